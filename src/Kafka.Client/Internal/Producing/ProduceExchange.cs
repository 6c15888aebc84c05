using System.Runtime.CompilerServices;
using Kafka.Client.Protocol;

namespace Kafka.Client.Internal.Producing;

/// <summary>
/// One produce request and what rides on it, reused from request to request (each <see cref="BrokerSender"/> keeps
/// one per request it may have in flight): the batches taken, the request written from them, the response read into
/// the request's reused one, and the continuation that applies the outcome. So a producer sending a request per
/// message (linger 0, each delivery awaited) allocates nothing per request once warm.
/// </summary>
internal sealed class ProduceExchange
{
    private readonly List<ProducePartitionData> _partitions = [];
    private readonly ProduceTopicData[] _topics = new ProduceTopicData[1];
    private readonly Action _onCompleted;
    private ConfiguredValueTaskAwaitable<ProduceResponse>.ConfiguredValueTaskAwaiter _awaiter;
    private Action<ProduceExchange, ProduceResponse?, Exception?>? _handler;

    public ProduceExchange(ProducerEngine engine)
    {
        Request = new ProduceRequest
        {
            Acks = engine.Acks, TimeoutMs = engine.AckTimeoutMs, Topics = _topics, ReuseResponse = true, TransactionalId = engine.TransactionalId,
        };
        _onCompleted = OnCompleted;
    }

    /// <summary>The batches this request carries, at most one per partition.</summary>
    public List<(PartitionQueue Queue, ProducerBatch Batch)> Batches { get; } = [];

    public ProduceRequest Request { get; }

    /// <summary>Writes the request for <see cref="Batches"/> of <paramref name="topic"/>.</summary>
    public ProduceRequest BuildRequest(string topic)
    {
        _partitions.Clear();
        foreach (var (queue, batch) in Batches)
        {
            _partitions.Add(new ProducePartitionData(queue.Id, batch.Bytes));
        }
        _topics[0] = new ProduceTopicData(topic, _partitions);
        return Request;
    }

    /// <summary>
    /// Calls <paramref name="handler"/> with the outcome of <paramref name="response"/> when it completes (at once if
    /// it has): the response, or the error that failed the request.
    /// </summary>
    public void OnOutcome(ValueTask<ProduceResponse> response, Action<ProduceExchange, ProduceResponse?, Exception?> handler)
    {
        _handler = handler;
        _awaiter = response.ConfigureAwait(false).GetAwaiter();
        if (_awaiter.IsCompleted)
        {
            OnCompleted();
        }
        else
        {
            _awaiter.UnsafeOnCompleted(_onCompleted);
        }
    }

    private void OnCompleted()
    {
        ProduceResponse? response = null;
        Exception? error = null;
        try
        {
            response = _awaiter.GetResult();
        }
        catch (Exception ex)
        {
            error = ex;
        }
        _awaiter = default;
        var handler = _handler!;
        _handler = null;
        handler(this, response, error);
    }

    /// <summary>Forgets the batches and records once the outcome is applied, ready for the next request.</summary>
    public void Clear()
    {
        Batches.Clear();
        _partitions.Clear();
        _topics[0] = default;
    }
}
