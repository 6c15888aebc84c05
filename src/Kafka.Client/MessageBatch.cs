using System.Buffers;
using System.Collections;
using Kafka.Client.Internal.Consuming;
using Kafka.Client.Protocol.Records;

namespace Kafka.Client;

/// <summary>
/// The messages one <c>ConsumeBatchAsync</c> call returned, in the order they were taken: for each partition in
/// offset order, a run of one partition's messages after another's. Reading them allocates nothing: each
/// <see cref="MessageView"/> points into the pooled buffers the fetch filled.
/// </summary>
/// <remarks>
/// <para>
/// <b>Lifetime.</b> The batch belongs to its consumer, which fills the same object again on every call. It and its
/// messages are valid until the next consume call on that consumer (<c>ConsumeBatchAsync</c> or <c>ConsumeAsync</c>),
/// or until the consumer is reset or disposed; after that a <see cref="MessageView"/> still tells its topic, partition,
/// offset and timestamp, but its bytes throw <see cref="ObjectDisposedException"/>. Call
/// <see cref="MessageView.Detach"/> for a <see cref="ConsumedMessage"/> that owns its bytes, or <see cref="Retain()"/>
/// to keep messages without copying them.
/// </para>
/// <para>
/// <b>Retained batches.</b> <see cref="Retain(int, int)"/> makes a batch of some of the messages that is the caller's:
/// it holds the fetched buffers its messages point into until it is disposed, whatever the consumer does meanwhile
/// (consume again, give the partition up, be disposed). This is how messages are handed to work that outlives the
/// consume call — other tasks, one per partition say — without copying their bytes. It costs one object and one
/// pooled array per call, nothing per message. Until it is disposed the buffers cannot be reused, so a caller that
/// retains batches bounds how many it holds at once. Disposing the batch the consumer owns does nothing.
/// </para>
/// <para>
/// The batch also implements <see cref="IReadOnlyList{T}"/> for LINQ and the like; <c>foreach</c> over the batch itself
/// uses a struct enumerator and does not allocate.
/// </para>
/// </remarks>
public sealed partial class MessageBatch : IReadOnlyList<MessageView>, IDisposable
{
    private Entry[] _entries;
    private int _count;
    private int _generation;

    internal MessageBatch()
    {
        _entries = new Entry[16];
    }

    private MessageBatch(Entry[] entries, int count)
    {
        _entries = entries;
        _count = count;
        IsRetained = true;
    }

    /// <summary>
    /// Whether the batch is the caller's (made by <see cref="Retain(int, int)"/>, valid until disposed) rather than the
    /// consumer's (valid until its next consume call).
    /// </summary>
    public bool IsRetained { get; }

    /// <summary>How many messages the batch holds; 0 when none arrived within the consumer's timeout.</summary>
    public int Count => _count;

    /// <summary>The message at <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative or not below <see cref="Count"/>.</exception>
    public MessageView this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _count);
            ref readonly var entry = ref _entries[index];
            return new MessageView(this, index, _generation, entry.Topic, entry.PartitionId, entry.Record.Offset, entry.Record.Timestamp);
        }
    }

    /// <summary>Enumerates the messages without allocating.</summary>
    public Enumerator GetEnumerator() => new(this);

    IEnumerator<MessageView> IEnumerable<MessageView>.GetEnumerator() => new BoxedEnumerator(this);

    IEnumerator IEnumerable.GetEnumerator() => new BoxedEnumerator(this);

    /// <summary>The batch as <c>n messages</c>.</summary>
    public override string ToString() => $"{_count} messages";

    /// <summary>A retained batch of every message of this one (see <see cref="Retain(int, int)"/>).</summary>
    /// <exception cref="ObjectDisposedException">This batch is a retained batch that was disposed.</exception>
    public MessageBatch Retain() => Retain(0, _count);

    /// <summary>
    /// A batch of <paramref name="count"/> of this batch's messages from <paramref name="start"/> on, that the caller owns:
    /// its messages stay readable, without their bytes being copied, until it is disposed (see the remarks on
    /// <see cref="MessageBatch"/>). Dispose it once its messages are handled.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not within the batch.</exception>
    /// <exception cref="ObjectDisposedException">The messages' buffers were already given back (the consumer moved on, or this retained batch was disposed).</exception>
    public MessageBatch Retain(int start, int count)
    {
        ObjectDisposedException.ThrowIf(IsRetained && _entries.Length == 0, this);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start, _count - count);
        var entries = ArrayPool<Entry>.Shared.Rent(Math.Max(count, 1));
        FetchChunk? held = null;
        var taken = 0;
        try
        {
            for (; taken < count; taken++)
            {
                ref readonly var entry = ref _entries[start + taken];
                // Consecutive messages mostly share a chunk: one reference per run of them.
                if (!ReferenceEquals(entry.Lease, held))
                {
                    if (!entry.Lease.Retain())
                    {
                        throw new ObjectDisposedException(nameof(MessageBatch),
                            $"The bytes of message {entry.Topic}/{entry.PartitionId}@{entry.Record.Offset} were already given back: retain a batch before the next consume call.");
                    }
                    held = entry.Lease;
                }
                entries[taken] = entry;
            }
        }
        catch
        {
            ReleaseLeases(entries, taken);
            Array.Clear(entries, 0, taken);
            ArrayPool<Entry>.Shared.Return(entries);
            throw;
        }
        return new MessageBatch(entries, count);
    }

    /// <summary>
    /// For a retained batch, gives its buffers back: its messages stop handing out their bytes. Idempotent. Does
    /// nothing for the batch a consumer owns.
    /// </summary>
    public void Dispose()
    {
        if (!IsRetained)
        {
            return;
        }
        var entries = Interlocked.Exchange(ref _entries, []);
        if (entries.Length == 0)
        {
            return;
        }
        var count = _count;
        _count = 0;
        _generation++;
        ReleaseLeases(entries, count);
        Array.Clear(entries, 0, count);
        ArrayPool<Entry>.Shared.Return(entries);
    }

    private static void ReleaseLeases(Entry[] entries, int count)
    {
        FetchChunk? released = null;
        for (var i = 0; i < count; i++)
        {
            var lease = entries[i].Lease;
            if (!ReferenceEquals(lease, released))
            {
                lease.ReleaseRetained();
                released = lease;
            }
        }
    }

    internal int Generation => _generation;

    /// <summary>Empties the batch for the next call; views of what it held stop handing out bytes.</summary>
    internal void Reset()
    {
        if (IsRetained)
        {
            throw new InvalidOperationException("A retained batch is not refilled.");
        }
        if (_count > 0)
        {
            // Cleared, so that the batch does not keep released buffers (or their chunks) reachable.
            Array.Clear(_entries, 0, _count);
            _count = 0;
        }
        _generation++;
    }

    internal void Add(string topic, int partitionId, in RecordView record, FetchChunk lease)
    {
        if (_count == _entries.Length)
        {
            Array.Resize(ref _entries, _entries.Length * 2);
        }
        _entries[_count++] = new Entry(topic, partitionId, record, lease);
    }

    /// <summary>The entry behind a view, checked: the batch must still hold it and its buffers must not be released.</summary>
    internal ref readonly RecordView Record(in MessageView view)
    {
        ref readonly var entry = ref Find(view);
        if (entry.Lease.IsReleased)
        {
            throw Released(view);
        }
        return ref entry.Record;
    }

    internal bool IsAvailable(in MessageView view) =>
        view.Generation == _generation && (uint)view.Index < (uint)_count && !_entries[view.Index].Lease.IsReleased;

    internal FetchChunk Lease(in MessageView view) => Find(view).Lease;

    private ref readonly Entry Find(in MessageView view)
    {
        if (view.Generation != _generation || (uint)view.Index >= (uint)_count)
        {
            throw Released(view);
        }
        return ref _entries[view.Index];
    }

    private ObjectDisposedException Released(in MessageView view) => new(nameof(MessageView), IsRetained
        ? $"The bytes of message {view} were valid until its retained batch was disposed."
        : $"The bytes of message {view} were valid until the next consume call and have been reused. Call Detach() or Retain() for messages you keep.");

    private readonly struct Entry(string topic, int partitionId, in RecordView record, FetchChunk lease)
    {
        public readonly string Topic = topic;
        public readonly int PartitionId = partitionId;
        public readonly RecordView Record = record;
        public readonly FetchChunk Lease = lease;
    }

    /// <summary>Enumerates a <see cref="MessageBatch"/> without allocating.</summary>
    public struct Enumerator
    {
        private readonly MessageBatch _batch;
        private int _index;

        internal Enumerator(MessageBatch batch)
        {
            _batch = batch;
            _index = -1;
        }

        /// <summary>The current message.</summary>
        public readonly MessageView Current => _batch[_index];

        /// <summary>Moves to the next message.</summary>
        public bool MoveNext() => ++_index < _batch._count;
    }

    private sealed class BoxedEnumerator(MessageBatch batch) : IEnumerator<MessageView>
    {
        private int _index = -1;

        public MessageView Current => batch[_index];

        object IEnumerator.Current => Current;

        public bool MoveNext() => ++_index < batch._count;

        public void Reset() => _index = -1;

        public void Dispose()
        {
        }
    }
}
