using System.Buffers;
using Kafka.Client.Protocol.Records;

namespace Kafka.Client.Internal.Consuming;

/// <summary>
/// What one fetch brought for one partition: the decoded messages (whose bytes are slices of the fetch frame or of a
/// decompression buffer), the offset to fetch next, or the error that stopped decoding. The chunk is the lease on those
/// buffers: <see cref="Release"/> gives them back, after which its messages refuse to hand out their bytes.
/// </summary>
internal sealed class FetchChunk
{
    private static readonly ConsumedMessage[] None = [];

    private ConsumedMessage[] _messages = None;
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

    public void Add(ConsumedMessage message)
    {
        if (_count == _messages.Length)
        {
            var larger = ArrayPool<ConsumedMessage>.Shared.Rent(Math.Max(16, _count * 2));
            _messages.AsSpan(0, _count).CopyTo(larger);
            ReturnArray();
            _messages = larger;
        }
        _messages[_count++] = message;
    }

    /// <summary>The next message not yet delivered, or <see langword="null"/> when every one was.</summary>
    public ConsumedMessage? Take() => _next < _count ? _messages[_next++] : null;

    /// <summary>Gives the buffers back; the chunk's messages stop handing out their bytes. Idempotent.</summary>
    public void Release()
    {
        if (_released)
        {
            return;
        }
        _released = true;
        ReturnArray();
        _messages = None;
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
        if (_messages.Length > 0)
        {
            ArrayPool<ConsumedMessage>.Shared.Return(_messages, clearArray: true);
        }
    }
}
