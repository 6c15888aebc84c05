using System.Diagnostics;
using System.Runtime;

namespace Kafka.HostedBenchmarks;

/// <summary>One pass: messages measured, wall time, CPU and allocation per message, and the time the JIT compiled in the window.</summary>
internal readonly record struct Result(int Messages, TimeSpan Elapsed, double CpuMicrosPerMessage, double AllocatedPerMessage, TimeSpan Jit = default)
{
    public double MessagesPerSecond => Messages / Elapsed.TotalSeconds;

    public static Result Median(List<Result> results) => results.OrderBy(r => r.Elapsed).ElementAt(results.Count / 2);
}

/// <summary>
/// Counts what a handler saw, checks that each partition's offsets come in order without a gap or a repeat, and takes
/// the process's wall time, CPU time and managed allocations from the first message handled to the last.
/// </summary>
internal sealed class Tally
{
    private readonly long[] _next = new long[Case.Partitions];
    private readonly Lock[] _locks = [.. Enumerable.Range(0, Case.Partitions).Select(_ => new Lock())];
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _expected;
    private int _count;
    private int _first;
    private long _started;
    private TimeSpan _cpu;
    private long _allocated;
    private TimeSpan _jit;
    private Result _result;

    public Tally(int expected) => _expected = expected;

    public Task Done => _done.Task;

    /// <summary>Messages counted so far.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Waits for the last message; a pass that stalls fails saying how far it got.</summary>
    public async Task WaitAsync()
    {
        try
        {
            await _done.Task.WaitAsync(TimeSpan.FromMinutes(5));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Only {Count} of {_expected} messages were handled within 5 minutes; next offsets: {string.Join(",", _next)}.");
        }
    }

    public Result Result => _result;

    /// <summary>One message handled (or <paramref name="count"/> of one partition, from <paramref name="offset"/> on).</summary>
    public void Record(int partition, long offset, int count = 1)
    {
        lock (_locks[partition])
        {
            if (offset != _next[partition])
            {
                _done.TrySetException(new InvalidOperationException($"Partition {partition}: offset {offset} where {_next[partition]} was next."));
                return;
            }
            _next[partition] = offset + count;
        }
        var total = Interlocked.Add(ref _count, count);
        if (total == count)
        {
            // The first message (or batch): measuring starts after it, so joining the group and the first fetch are out.
            _first = count;
            _allocated = GC.GetTotalAllocatedBytes(precise: true);
            _cpu = Environment.CpuUsage.TotalTime;
            _jit = JitInfo.GetCompilationTime();
            _started = Stopwatch.GetTimestamp();
        }
        if (total == _expected)
        {
            var elapsed = Stopwatch.GetElapsedTime(Volatile.Read(ref _started));
            var cpu = Environment.CpuUsage.TotalTime - _cpu;
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - Volatile.Read(ref _allocated);
            var measured = _expected - Volatile.Read(ref _first);
            _result = new Result(measured, elapsed, cpu.TotalMicroseconds / measured, (double)allocated / measured, JitInfo.GetCompilationTime() - _jit);
            _done.TrySetResult();
        }
    }
}
