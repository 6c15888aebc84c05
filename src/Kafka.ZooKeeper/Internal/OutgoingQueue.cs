using System.Threading.Channels;

namespace Kafka.ZooKeeper.Internal;

/// <summary>
/// Requests waiting to be written, in submission order (the order xids are given out, and replies must follow).
/// It outlives connections: what is queued while disconnected is sent after the next handshake.
/// </summary>
internal sealed class OutgoingQueue
{
    private readonly object _gate = new();
    private readonly Queue<Request> _queue = new();

    // A doorbell: one pending ring is enough to wake the single sender.
    private readonly Channel<bool> _doorbell = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    public void Enqueue(Request request)
    {
        lock (_gate)
        {
            _queue.Enqueue(request);
        }
        Ring();
    }

    public bool TryDequeue(out Request request)
    {
        lock (_gate)
        {
            return _queue.TryDequeue(out request!);
        }
    }

    public List<Request> DrainAll()
    {
        lock (_gate)
        {
            var all = new List<Request>(_queue.Count);
            while (_queue.TryDequeue(out var request))
            {
                all.Add(request);
            }
            return all;
        }
    }

    public void Ring() => _doorbell.Writer.TryWrite(true);

    public ValueTask<bool> WaitAsync(CancellationToken cancellationToken) => _doorbell.Reader.ReadAsync(cancellationToken);
}
