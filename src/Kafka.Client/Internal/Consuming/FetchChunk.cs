using System.Buffers;
using Kafka.Client.Protocol.Records;

namespace Kafka.Client.Internal.Consuming;

/// <summary>
/// What one fetch brought for one partition: the decoded records (whose bytes are slices of the fetch frame or of a
/// decompression buffer), the offset to fetch next, or the error that stopped decoding. The chunk is the lease on those
/// buffers: <see cref="Release"/> gives them back, after which the messages made from it refuse to hand out their bytes.
/// The records are kept as structs in a pooled array, so a fetch allocates nothing per record; a
/// <see cref="ConsumedMessage"/> is made only when one is handed out alone.
/// </summary>
/// <remarks>
/// The engine holds one reference, dropped once by <see cref="Release"/> (idempotent, as the engine may drop a chunk on
/// a reset and again on disposal); a retained <see cref="MessageBatch"/> holds more through <see cref="Retain"/> and
/// <see cref="ReleaseRetained"/>. The buffers go back when the last reference is dropped.
/// </remarks>
internal sealed class FetchChunk
{
    private static readonly RecordView[] None = [];

    private RecordView[] _records = None;
    private int _count;
    private int _next;
    private SharedFetchResponse? _response;
    private RecordSetReader? _reader;
    private Action<RecordSetReader>? _returnReader;
    private int _references = 1;
    private int _engineReleased;

    /// <summary>A chunk that only moves the position (no messages): control records, compaction gaps, a reset.</summary>
    public static FetchChunk PositionOnly(long nextOffset) => new() { NextOffset = nextOffset };

    /// <summary>A chunk that carries a partition's error to the consumer, after the messages before it.</summary>
    public static FetchChunk Failure(KafkaConsumeException error) => new() { Error = error, NextOffset = error.Offset };

    public long NextOffset { get; set; }

    public KafkaConsumeException? Error { get; private init; }

    public int Count => _count;

    public int Remaining => _count - _next;

    public bool IsReleased => Volatile.Read(ref _references) == 0;

    /// <summary>Holds the buffers the messages point into until <see cref="Release"/>.</summary>
    public void Hold(SharedFetchResponse response, RecordSetReader reader, Action<RecordSetReader> returnReader)
    {
        response.AddReference();
        _response = response;
        _reader = reader;
        _returnReader = returnReader;
    }

    /// <summary>
    /// The most records <see cref="Reserve"/> makes room for at once: a batch's declared count comes from the wire, so
    /// a corrupt one costs at most this many empty slots (3.5 MiB) before decoding finds it out.
    /// </summary>
    public const int MaxReservation = 64 * 1024;

    public void Add(in RecordView record)
    {
        if (_count == _records.Length)
        {
            Grow(Math.Max(16, _count * 2));
        }
        _records[_count++] = record;
    }

    /// <summary>
    /// Makes room for a batch's records before they are added, so the array grows once per batch to the pool's next
    /// size class (at most a quarter unused) rather than doubling record by record (up to half unused, and a copy at
    /// every step).
    /// </summary>
    public void Reserve(int records)
    {
        var needed = _count + Math.Clamp(records, 0, MaxReservation);
        if (needed > _records.Length)
        {
            Grow(needed);
        }
    }

    private void Grow(int capacity)
    {
        var larger = RecordArrayPool.Instance.Rent(capacity);
        _records.AsSpan(0, _count).CopyTo(larger);
        ReturnArray();
        _records = larger;
    }

    /// <summary>The next record not yet delivered; false when every one was.</summary>
    public bool TryTake(out RecordView record)
    {
        if (_next < _count)
        {
            record = _records[_next++];
            return true;
        }
        record = default;
        return false;
    }

    /// <summary>
    /// Drops the engine's reference (idempotent): the buffers go back now unless a retained batch still holds them,
    /// after which the chunk's messages stop handing out their bytes.
    /// </summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _engineReleased, 1) == 0)
        {
            ReleaseRetained();
        }
    }

    /// <summary>Adds a reference for a retained batch; false when the buffers were already given back.</summary>
    public bool Retain()
    {
        var references = Volatile.Read(ref _references);
        while (references > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, references + 1, references);
            if (seen == references)
            {
                return true;
            }
            references = seen;
        }
        return false;
    }

    /// <summary>Drops a reference <see cref="Retain"/> added; the last one gives the buffers back.</summary>
    public void ReleaseRetained()
    {
        if (Interlocked.Decrement(ref _references) != 0)
        {
            return;
        }
        ReturnArray();
        _records = None;
        _count = 0;
        _next = 0;
        var reader = _reader;
        _reader = null;
        if (reader is not null)
        {
            _returnReader?.Invoke(reader);
        }
        Interlocked.Exchange(ref _response, null)?.Release();
    }

    private void ReturnArray()
    {
        if (_records.Length > 0)
        {
            // Cleared: the records hold the pooled buffers' memory, which must not outlive the lease.
            RecordArrayPool.Instance.Return(_records, clearArray: true);
        }
    }
}
