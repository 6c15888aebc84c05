using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Kafka.Hosting.Internal;

/// <summary>A hosted share consumer's health: running and in its share group, or not; with its acknowledgement counts.</summary>
internal sealed class ShareConsumerHealthCheck(ShareConsumerService service) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var name = service.Registration.DisplayName;
        var (accepted, released, rejected, deadLettered) = service.Counts;
        var data = new Dictionary<string, object>
        {
            ["state"] = service.State.ToString(),
            ["accepted"] = accepted,
            ["released"] = released,
            ["rejected"] = rejected,
            ["deadLettered"] = deadLettered,
        };
        if (service.State != HostedConsumerState.Running || service.Consumer is not { } consumer)
        {
            return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus,
                $"Share consumer {name} is {service.State.ToString().ToLowerInvariant()}.", service.LastFailure, data));
        }
        data["memberEpoch"] = consumer.MemberEpoch;
        data["partitions"] = consumer.Assignment.Count;
        var status = consumer.MemberEpoch > 0 ? HealthStatus.Healthy : HealthStatus.Degraded;
        return Task.FromResult(new HealthCheckResult(status,
            consumer.MemberEpoch > 0
                ? $"Share consumer {name} shares {consumer.Assignment.Count} partition(s); {accepted} accepted, {released} released, {rejected} rejected."
                : $"Share consumer {name} has not joined its share group yet.",
            null, data));
    }
}
