using System.Globalization;

namespace Kafka.Benchmarks;

/// <summary>What one measured run reports, one line on stdout: client, messages, seconds, CPU seconds, allocated bytes, peak working set.</summary>
internal sealed record RunResult(string Client, long Messages, double Seconds, double CpuSeconds, long AllocatedBytes, long PeakWorkingSet)
{
    public double MessagesPerSecond => Messages / Seconds;

    public double CpuMicrosecondsPerMessage => CpuSeconds * 1e6 / Messages;

    public double AllocatedBytesPerMessage => (double)AllocatedBytes / Messages;

    public double PeakMiB => PeakWorkingSet / 1024.0 / 1024.0;

    public string ToLine() => string.Create(CultureInfo.InvariantCulture,
        $"RESULT {Client} {Messages} {Seconds:R} {CpuSeconds:R} {AllocatedBytes} {PeakWorkingSet}");

    public static RunResult? Parse(string line)
    {
        var parts = line.Split(' ');
        if (parts.Length != 7 || parts[0] != "RESULT")
        {
            return null;
        }
        var c = CultureInfo.InvariantCulture;
        return new RunResult(parts[1], long.Parse(parts[2], c), double.Parse(parts[3], c), double.Parse(parts[4], c), long.Parse(parts[5], c), long.Parse(parts[6], c));
    }
}
