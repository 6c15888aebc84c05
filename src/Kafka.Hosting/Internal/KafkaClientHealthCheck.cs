using System.Globalization;
using Kafka.ZooKeeper;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Kafka.Hosting.Internal;

/// <summary>
/// A client's health from what it already knows, through its public status: the background refresh's last success,
/// each known broker's reachability, leaderless partitions and the ZooKeeper session. It never builds a client and
/// never opens a connection.
/// </summary>
internal sealed class KafkaClientHealthCheck : IHealthCheck
{
    private readonly KafkaClientRuntime _runtime;

    public KafkaClientHealthCheck(KafkaClientRuntime runtime) => _runtime = runtime;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var failure = context.Registration.FailureStatus;
        if (_runtime.CreatedClient is not { } client)
        {
            return Result(failure, "No metadata refresh has succeeded yet.", null, new Dictionary<string, object> { ["consecutiveFailures"] = 0 });
        }
        var status = client.Status;
        var interval = client.Options.MetadataRefreshInterval;
        var data = new Dictionary<string, object>
        {
            ["consecutiveFailures"] = status.ConsecutiveFailures,
        };

        // The cluster refuses the client (credentials, certificates): nothing works until the configuration changes.
        if (status.ConsecutiveFailures > 0 && AuthenticationFailure(status.LastError) is { } refused)
        {
            data["authenticationFailed"] = true;
            return Result(failure, $"Authentication failed: {refused.Message}", status.LastError, data);
        }
        if (status.LastSuccessfulRefresh is not { } lastSuccess)
        {
            return Result(failure, "No metadata refresh has succeeded yet.", status.LastError, data);
        }
        data["lastSuccessfulRefresh"] = lastSuccess.ToString("O", CultureInfo.InvariantCulture);
        var age = _runtime.TimeProvider.GetUtcNow() - lastSuccess;
        if (age > 2 * interval)
        {
            return Result(failure, $"The last successful metadata refresh was {age.TotalSeconds:0} s ago (more than two intervals of {interval.TotalSeconds:0} s).", status.LastError, data);
        }

        var brokers = client.Brokers.Values.ToArray();
        var unreachable = brokers.Where(b => !b.IsReachable).Select(b => b.Id).Order().ToArray();
        data["brokers"] = brokers.Length;
        data["unreachableBrokers"] = unreachable;
        if (brokers.Length > 0 && unreachable.Length == brokers.Length)
        {
            return Result(failure, "No known broker is reachable.", status.LastError, data);
        }
        if (unreachable.Length > 0)
        {
            return Result(HealthStatus.Degraded, $"Broker(s) {string.Join(", ", unreachable)} of {brokers.Length} unreachable.", null, data);
        }
        // Kafka stops listing a broker that is down; its partitions then have no leader the client can reach.
        var leaderless = status.LeaderlessPartitions;
        if (leaderless.Count > 0)
        {
            data["leaderlessPartitions"] = leaderless.Count;
            return Result(HealthStatus.Degraded,
                $"{leaderless.Count} partition(s) have no reachable leader ({string.Join(", ", leaderless.Take(5))}{(leaderless.Count > 5 ? ", ..." : "")}).", null, data);
        }
        // With ZooKeeperHosts, brokers are found again through ZooKeeper when none of the known ones answers.
        if (!string.IsNullOrWhiteSpace(client.Options.ZooKeeperHosts))
        {
            var state = status.ZooKeeperState?.ToString() ?? "NotConnected";
            data["zooKeeper"] = state;
            if (status.ZooKeeperState is not ZooKeeperState.Connected)
            {
                return Result(HealthStatus.Degraded,
                    $"The ZooKeeper session at {client.Options.ZooKeeperHosts.Trim()} is {state}: brokers cannot be rediscovered if the known ones stop answering.", null, data);
            }
        }
        if (status.ConsecutiveFailures > 0)
        {
            return Result(HealthStatus.Degraded, $"The last {status.ConsecutiveFailures} metadata refresh(es) failed.", status.LastError, data);
        }
        return Result(HealthStatus.Healthy, $"{brokers.Length} broker(s) reachable; metadata refreshed {age.TotalSeconds:0} s ago.", null, data);
    }

    /// <summary>The authentication error behind a failed refresh (one broker's, or every one's), if that is why it failed.</summary>
    private static Kafka.Client.KafkaAuthenticationException? AuthenticationFailure(Exception? error) => error switch
    {
        Kafka.Client.KafkaAuthenticationException refused => refused,
        Kafka.Client.NoBrokersAvailableException none => none.Attempts.Select(a => AuthenticationFailure(a.Value)).FirstOrDefault(e => e is not null),
        { InnerException: { } inner } => AuthenticationFailure(inner),
        _ => null,
    };

    private static Task<HealthCheckResult> Result(HealthStatus status, string description, Exception? error, Dictionary<string, object> data) =>
        Task.FromResult(new HealthCheckResult(status, description, error, data));
}
