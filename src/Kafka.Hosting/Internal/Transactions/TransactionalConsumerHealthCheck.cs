using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Kafka.Hosting.Internal;

/// <summary>
/// A transactional consumer's health: Unhealthy (the registration's failure status) while not running, restarting,
/// or stopped for good after being fenced; Degraded while a partition is stopped because its handler kept failing;
/// Healthy otherwise, with the counts of committed and aborted transactions.
/// </summary>
internal sealed class TransactionalConsumerHealthCheck(TransactionalConsumerService service) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var failure = context.Registration.FailureStatus;
        var name = service.Registration.DisplayName;
        var data = new Dictionary<string, object> { ["state"] = service.State.ToString() };
        if (service.Fenced)
        {
            return Result(failure, $"Transactional consumer {name} was fenced by a newer instance with its transactional id and has stopped.", service.LastFailure, data);
        }
        if (service.State != HostedConsumerState.Running || service.Session is not { } session)
        {
            return Result(failure, $"Transactional consumer {name} is {service.State.ToString().ToLowerInvariant()}.", service.LastFailure, data);
        }
        var stopped = session.Stopped;
        data["partitions"] = session.Partitions.Count;
        data["committedTransactions"] = session.Committed;
        data["abortedTransactions"] = session.Aborted;
        data["stoppedPartitions"] = stopped.Select(s => $"{s.Key}@{s.Value}").ToArray();
        if (stopped.Count > 0)
        {
            return Result(HealthStatus.Degraded,
                $"Transactional consumer {name}: its handler keeps failing for {string.Join(", ", stopped.Select(s => $"{s.Key} at offset {s.Value}"))}.", null, data);
        }
        return Result(HealthStatus.Healthy,
            $"Transactional consumer {name} owns {session.Partitions.Count} partition(s); {session.Committed} transaction(s) committed, {session.Aborted} aborted.", null, data);
    }

    private static Task<HealthCheckResult> Result(HealthStatus status, string description, Exception? error, Dictionary<string, object> data) =>
        Task.FromResult(new HealthCheckResult(status, description, error, data));
}
