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
/// <see cref="MessageView.Detach"/> for a <see cref="ConsumedMessage"/> that owns its bytes.
/// </para>
/// <para>
/// The batch also implements <see cref="IReadOnlyList{T}"/> for LINQ and the like; <c>foreach</c> over the batch itself
/// uses a struct enumerator and does not allocate.
/// </para>
/// </remarks>
public sealed class MessageBatch : IReadOnlyList<MessageView>
{
    private Entry[] _entries = new Entry[16];
    private int _count;
    private int _generation;

    internal MessageBatch()
    {
    }

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

    internal int Generation => _generation;

    /// <summary>Empties the batch for the next call; views of what it held stop handing out bytes.</summary>
    internal void Reset()
    {
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

    private static ObjectDisposedException Released(in MessageView view) => new(nameof(MessageView),
        $"The bytes of message {view} were valid until the next consume call and have been reused. Call Detach() on messages you keep.");

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
