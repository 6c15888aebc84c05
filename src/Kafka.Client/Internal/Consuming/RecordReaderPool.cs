using Kafka.Client.Protocol.Records;

namespace Kafka.Client.Internal.Consuming;

/// <summary>
/// The record readers of one consumer: a fetched partition's chunk holds one while its records are handed out and
/// returns it when released, so that decoding allocates no reader (and no scratch buffer) per fetch. Readers keep
/// their decompression buffers, so every <see cref="TrimmingArrayPool{T}.TrimInterval"/> the pool disposes as many readers
/// as stayed unused through the whole interval, and lets their buffers go: an idle consumer gives that memory back.
/// </summary>
internal sealed class RecordReaderPool : IDisposable
{
    private const int MaxPooled = 64;

    private readonly Lock _lock = new();
    private readonly Stack<RecordSetReader> _readers = new();
    private readonly bool _verifyChecksums;
    private readonly ITimer _trimTimer;
    private int _lowWater;
    private bool _disposed;

    public RecordReaderPool(bool verifyChecksums, TimeProvider time)
    {
        _verifyChecksums = verifyChecksums;
        ReturnAction = Return;
        _trimTimer = time.CreateTimer(static pool => ((RecordReaderPool)pool!).Trim(), this, FrameBufferPool.TrimInterval, FrameBufferPool.TrimInterval);
    }

    /// <summary>Readers pooled now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _readers.Count;
            }
        }
    }

    /// <summary><see cref="Return"/> as a delegate made once, for chunks to call.</summary>
    public Action<RecordSetReader> ReturnAction { get; }

    public RecordSetReader Rent()
    {
        lock (_lock)
        {
            if (_readers.TryPop(out var reader))
            {
                _lowWater = Math.Min(_lowWater, _readers.Count);
                return reader;
            }
        }
        // Decompression buffers from the frame pool, which trims what an idle consumer no longer uses (the shared pool
        // kept tens of megabytes of them for a minute or more).
        return new RecordSetReader { VerifyChecksums = _verifyChecksums, BufferPool = FrameBufferPool.Instance };
    }

    /// <summary>Takes a reader back (emptied); beyond the pool's size, or after disposal, it is disposed.</summary>
    public void Return(RecordSetReader reader)
    {
        reader.Reset(ReadOnlyMemory<byte>.Empty);
        lock (_lock)
        {
            if (_readers.Count < MaxPooled && !_disposed)
            {
                _readers.Push(reader);
                return;
            }
        }
        reader.Dispose();
    }

    /// <summary>Disposes as many readers as stayed pooled since the last trim (the fewest the pool held).</summary>
    public void Trim()
    {
        List<RecordSetReader>? unused = null;
        lock (_lock)
        {
            for (var n = Math.Min(_lowWater, _readers.Count); n > 0; n--)
            {
                (unused ??= []).Add(_readers.Pop());
            }
            _lowWater = _readers.Count;
        }
        // Their buffers went unused as long as they did: straight to the GC, not into the frame pool for another
        // interval or two (which kept an idle consumer's decompression buffers for up to 40 s).
        unused?.ForEach(reader => reader.DisposeUnpooled());
    }

    public void Dispose()
    {
        _trimTimer.Dispose();
        lock (_lock)
        {
            _disposed = true;
            while (_readers.TryPop(out var reader))
            {
                reader.Dispose();
            }
        }
    }
}
