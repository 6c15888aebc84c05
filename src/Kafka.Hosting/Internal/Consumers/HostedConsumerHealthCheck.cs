using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Kafka.Hosting.Internal;

/// <summary>
/// A hosted consumer's health from its own state: Unhealthy (the registration's failure status) while it is not
/// running or is restarting after a failure; Degraded while the failure policy keeps a partition stopped, or while a
/// partition has messages waiting that nothing has been committed for in <see cref="StalledIntervals"/> commit
/// intervals (a stuck handler, an unreachable coordinator); Healthy otherwise. It names the partitions.
/// </summary>
internal sealed class HostedConsumerHealthCheck(HostedConsumerService service) : IHealthCheck
{
    /// <summary>How many commit intervals without a commit make waiting messages count as stalled.</summary>
    public const int StalledIntervals = 5;

    private const int ListedPartitions = 10;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var failure = context.Registration.FailureStatus;
        var name = service.Registration.DisplayName;
        var data = new Dictionary<string, object> { ["state"] = service.State.ToString() };
        switch (service.State)
        {
            case HostedConsumerState.NotStarted:
                return Result(failure, $"Consumer {name} has not started.", null, data);
            case HostedConsumerState.Stopped:
                return Result(failure, $"Consumer {name} has stopped.", null, data);
            case HostedConsumerState.Restarting:
                return Result(failure, $"Consumer {name} is restarting after its group membership failed: {service.LastFailure?.Message}", service.LastFailure, data);
        }
        if (service.Session is not { } session)
        {
            return Result(failure, $"Consumer {name} is between consumers (restarting).", service.LastFailure, data);
        }
        var lanes = session.Lanes;
        var stalledAfter = service.Options.CommitInterval * StalledIntervals;
        var stopped = lanes.Where(l => l.IsStopped).ToList();
        var stalled = lanes.Where(l => !l.IsStopped && l.StalledFor >= stalledAfter).ToList();
        data["partitions"] = lanes.Count;
        data["inFlight"] = session.InFlight;
        data["stoppedPartitions"] = stopped.Select(l => l.Partition.ToString()).ToArray();
        data["stalledPartitions"] = stalled.Select(l => l.Partition.ToString()).ToArray();
        if (stopped.Count == 0 && stalled.Count == 0)
        {
            return Result(HealthStatus.Healthy, lanes.Count == 0
                ? $"Consumer {name} owns no partitions yet (joining its group)."
                : $"Consumer {name} owns {lanes.Count} partition(s); {session.InFlight} message(s) in flight.", null, data);
        }
        var parts = new List<string>();
        if (stopped.Count > 0)
        {
            parts.Add("stopped by the failure policy: " + List(stopped, l => $"{l.Partition} at offset {l.StoppedAt.ToString(CultureInfo.InvariantCulture)}"));
        }
        if (stalled.Count > 0)
        {
            parts.Add($"nothing committed for {stalledAfter.TotalSeconds:0.###} s while messages wait: "
                + List(stalled, l => $"{l.Partition} ({l.Uncommitted.ToString(CultureInfo.InvariantCulture)} uncommitted, for {l.StalledFor.TotalSeconds:0} s)"));
        }
        return Result(HealthStatus.Degraded, $"Consumer {name}: {string.Join("; ", parts)}.", null, data);
    }

    private static string List(List<PartitionLane> lanes, Func<PartitionLane, string> describe) =>
        string.Join(", ", lanes.Take(ListedPartitions).Select(describe)) + (lanes.Count > ListedPartitions ? $", and {lanes.Count - ListedPartitions} more" : "");

    private static Task<HealthCheckResult> Result(HealthStatus status, string description, Exception? error, Dictionary<string, object> data) =>
        Task.FromResult(new HealthCheckResult(status, description, error, data));
}
