using Kafka.Client.Protocol.Records;

namespace Kafka.Client.Internal.Consuming;

/// <summary>
/// The record readers of one consumer: a fetched partition's chunk holds one while its records are handed out and
/// returns it when released, so that decoding allocates no reader (and no scratch buffer) per fetch.
/// </summary>
internal sealed class RecordReaderPool : IDisposable
{
    private const int MaxPooled = 64;

    private readonly Lock _lock = new();
    private readonly Stack<RecordSetReader> _readers = new();
    private readonly bool _verifyChecksums;
    private bool _disposed;

    public RecordReaderPool(bool verifyChecksums)
    {
        _verifyChecksums = verifyChecksums;
        ReturnAction = Return;
    }

    /// <summary><see cref="Return"/> as a delegate made once, for chunks to call.</summary>
    public Action<RecordSetReader> ReturnAction { get; }

    public RecordSetReader Rent()
    {
        lock (_lock)
        {
            if (_readers.TryPop(out var reader))
            {
                return reader;
            }
        }
        return new RecordSetReader { VerifyChecksums = _verifyChecksums };
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

    public void Dispose()
    {
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
