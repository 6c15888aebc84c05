using Kafka.Client.Protocol;
using Microsoft.Extensions.Logging;

namespace Kafka.Client.Internal.Consuming;

/// <summary>
/// The fetch loop of one leader broker (franz-go's "source"): it sends one Fetch at a time on the broker's fetch
/// connection for the partitions whose cursors it serves and that have room in their buffers, hands the response to
/// the engine, and sleeps when there is nothing to fetch until the engine wakes it.
/// </summary>
internal sealed class FetchSource
{
    private readonly FetchEngine _engine;
    private readonly AsyncSignal _wake = new();
    private int _rotation;

    public FetchSource(FetchEngine engine, Broker broker, int lane)
    {
        _engine = engine;
        Broker = broker;
        Lane = lane;
    }

    public Broker Broker { get; }

    /// <summary>Which of the broker's fetch loops this is (see <see cref="FetchSettings.FetchersPerBroker"/>).</summary>
    public int Lane { get; }

    public Task Loop { get; private set; } = Task.CompletedTask;

    public void Start(CancellationToken cancellationToken) => Loop = Task.Run(() => RunAsync(cancellationToken), CancellationToken.None);

    public void Wake() => _wake.Set();

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var time = _engine.TimeProvider;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var plan = _engine.PlanFetch(this, ref _rotation);
                if (plan.Retire)
                {
                    return;
                }
                if (plan.Entries is null)
                {
                    await _wake.WaitAsync(plan.WakeIn, time, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                FetchResponse response;
                try
                {
                    response = await SendAsync(plan.Entries, cancellationToken).ConfigureAwait(false);
                }
                catch (KafkaException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    _engine.OnFetchFailed(this, plan.Entries, ex);
                    continue;
                }
                _engine.OnFetched(this, plan.Entries, response);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A bug or an unexpected failure: keep the loop alive, but not spinning.
                ConsumerLog.FetchLoopFailed(_engine.Logger, ex, Broker.Id);
                try
                {
                    await Task.Delay(_engine.Settings.ErrorBackoff, time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task<FetchResponse> SendAsync(List<FetchEntry> entries, CancellationToken cancellationToken)
    {
        var connection = await Broker.GetConnectionAsync(ConnectionKind.Fetch, cancellationToken).ConfigureAwait(false);
        var version = connection.Versions.Negotiate(KnownApis.Fetch);
        var topics = new List<FetchTopic>(1);
        var withoutId = false;
        var i = 0;
        while (i < entries.Count)
        {
            // Entries come grouped by topic (the engine plans them that way).
            var topic = entries[i].Cursor.Topic;
            var partitions = new List<FetchPartition>();
            for (; i < entries.Count && ReferenceEquals(entries[i].Cursor.Topic, topic); i++)
            {
                var e = entries[i];
                partitions.Add(new FetchPartition(e.Cursor.Id, e.FetchOffset, e.MaxBytes, e.LeaderEpoch));
            }
            withoutId |= topic.Id == Guid.Empty;
            topics.Add(new FetchTopic(topic.Name, topic.Id, partitions));
        }
        if (withoutId && version >= FetchRequest.FirstTopicIdVersion)
        {
            // Topic ids come with Metadata v10+; without them, name the topics (v12 and below).
            version = FetchRequest.FirstTopicIdVersion - 1;
        }
        var settings = _engine.Settings;
        // Only paused partitions' probes: no long poll, so that a resume is never stuck behind one (the probes' own
        // schedule already spaces these fetches by the fetch wait).
        var maxWait = entries.TrueForAll(e => e.IsProbe) ? TimeSpan.Zero : settings.MaxWait;
        var request = new FetchRequest
        {
            MaxWaitMs = (int)Math.Min(int.MaxValue, maxWait.TotalMilliseconds),
            MinBytes = settings.MinBytes,
            MaxBytes = settings.ResponseMaxBytes,
            IsolationLevel = settings.ReadCommitted ? (sbyte)1 : (sbyte)0,
            Topics = topics,
        };
        // A long poll waits up to MaxWait on the broker before the response starts.
        var timeout = _engine.Cluster.Settings.SocketTimeout + maxWait;
        return await connection.SendAsync(request, version, timeout, cancellationToken).ConfigureAwait(false);
    }

    public override string ToString() => $"fetcher {Lane} of {Broker}";
}

/// <summary>
/// One partition of a planned fetch, with the cursor state it was planned from. A probe (a paused partition) asks for
/// zero bytes: only its high watermark is wanted from the answer.
/// </summary>
internal readonly record struct FetchEntry(PartitionCursor Cursor, int Version, long FetchOffset, int MaxBytes, int LeaderEpoch, bool IsProbe = false);

/// <summary>What a fetch loop should do next: fetch these entries, wait, or stop (it serves no partition any more).</summary>
internal readonly record struct FetchPlan(List<FetchEntry>? Entries, TimeSpan WakeIn, bool Retire);
