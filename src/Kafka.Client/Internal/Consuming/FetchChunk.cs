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
internal sealed class FetchChunk
{
    private static readonly RecordView[] None = [];

    private RecordView[] _records = None;
    private int _count;
    private int _next;
    private SharedFetchResponse? _response;
    private RecordSetReader? _reader;
    private Action<RecordSetReader>? _returnReader;
    private volatile bool _released;

    /// <summary>A chunk that only moves the position (no messages): control records, compaction gaps, a reset.</summary>
    public static FetchChunk PositionOnly(long nextOffset) => new() { NextOffset = nextOffset };

    /// <summary>A chunk that carries a partition's error to the consumer, after the messages before it.</summary>
    public static FetchChunk Failure(KafkaConsumeException error) => new() { Error = error, NextOffset = error.Offset };

    public long NextOffset { get; set; }

    public KafkaConsumeException? Error { get; private init; }

    public int Count => _count;

    public int Remaining => _count - _next;

    public bool IsReleased => _released;

    /// <summary>Holds the buffers the messages point into until <see cref="Release"/>.</summary>
    public void Hold(SharedFetchResponse response, RecordSetReader reader, Action<RecordSetReader> returnReader)
    {
        response.AddReference();
        _response = response;
        _reader = reader;
        _returnReader = returnReader;
    }

    public void Add(in RecordView record)
    {
        if (_count == _records.Length)
        {
            var larger = ArrayPool<RecordView>.Shared.Rent(Math.Max(16, _count * 2));
            _records.AsSpan(0, _count).CopyTo(larger);
            ReturnArray();
            _records = larger;
        }
        _records[_count++] = record;
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

    /// <summary>Gives the buffers back; the chunk's messages stop handing out their bytes. Idempotent.</summary>
    public void Release()
    {
        if (_released)
        {
            return;
        }
        _released = true;
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
            ArrayPool<RecordView>.Shared.Return(_records, clearArray: true);
        }
    }
}
