using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Kafka.Testing.Internal.Sasl;

/// <summary>
/// The Cyrus options of one proxy (its password database, its mechanisms), as NUL-terminated native strings that live
/// as long as the proxy, and the log lines Cyrus wrote for it. Reached from native callbacks through a GCHandle.
/// </summary>
internal sealed class CyrusOptions : IDisposable
{
    private const int LogLines = 50;

    private readonly Dictionary<string, nint> _values = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _log = new();
    private GCHandle _handle;

    public CyrusOptions(IReadOnlyDictionary<string, string> values)
    {
        foreach (var (name, value) in values)
        {
            _values[name] = Marshal.StringToCoTaskMemUTF8(value);
        }
        _handle = GCHandle.Alloc(this);
    }

    /// <summary>The context pointer handed to Cyrus with the callbacks.</summary>
    public nint Context => GCHandle.ToIntPtr(_handle);

    /// <summary>The last lines Cyrus logged for this proxy.</summary>
    public IReadOnlyList<string> LogTail => [.. _log];

    public bool TryGet(string name, out nint value) => _values.TryGetValue(name, out value);

    public void Log(int level, string message)
    {
        _log.Enqueue($"[{level}] {message}");
        while (_log.Count > LogLines && _log.TryDequeue(out _))
        {
        }
    }

    public void Dispose()
    {
        if (_handle.IsAllocated)
        {
            _handle.Free();
        }
        foreach (var value in _values.Values)
        {
            Marshal.FreeCoTaskMem(value);
        }
        _values.Clear();
    }
}
