using Kafka.Client.Internal;
using Kafka.Client.Protocol;

namespace Kafka.Client.Admin;

/// <summary>
/// Administers the cluster a <see cref="KafkaClient"/> talks to: topics, partitions, configurations, consumer groups,
/// committed offsets, records, and consumer lag. Get it from <see cref="KafkaClient.Admin"/>; it shares the client's
/// connections, metadata and lifetime, so it costs nothing to keep and needs no disposal of its own.
/// </summary>
/// <remarks>
/// <para>
/// Each call finds the right broker itself (the controller, a group's coordinator, a partition's leader, or any
/// broker), speaks the highest version of the API both sides support, and retries what Kafka says is transient
/// (a moved controller or coordinator, a coordinator still loading, a lost connection) until
/// <see cref="AdminRequestOptions.OperationTimeout"/> runs out.
/// </para>
/// <para>
/// Calls on several items (topics, groups, partitions) answer one result per item: an item that failed carries its
/// error as a <see cref="KafkaBrokerException"/> with Kafka's error code, and the others are unaffected. A call
/// throws only when it could not be carried out at all (no broker answered, the brokers lack the API).
/// </para>
/// </remarks>
public sealed partial class KafkaAdmin
{
    private static readonly AdminRequestOptions Defaults = new();
    private readonly Cluster _cluster;

    internal KafkaAdmin(Cluster cluster) => _cluster = cluster;

    private TimeProvider Time => _cluster.Settings.TimeProvider;

    private static KafkaBrokerException? ErrorOf(KafkaErrorCode code, string? message, string what) =>
        code == KafkaErrorCode.None
            ? null
            : new KafkaBrokerException(code, $"{what} failed: {KafkaErrors.GetName(code)}{(string.IsNullOrEmpty(message) ? "" : $" ({message})")}.");

    /// <summary>Errors after which the same request may succeed at the current (or re-found) controller or coordinator.</summary>
    private static bool IsRetriableAdminError(KafkaErrorCode code) =>
        code is KafkaErrorCode.NotController or KafkaErrorCode.NotCoordinator or KafkaErrorCode.CoordinatorNotAvailable
            or KafkaErrorCode.CoordinatorLoadInProgress or KafkaErrorCode.RequestTimedOut or KafkaErrorCode.LeaderNotAvailable
            or KafkaErrorCode.NotLeaderOrFollower;

    private Task EnsureMetadataAsync(CancellationToken cancellationToken) => _cluster.EnsureMetadataAsync(cancellationToken);

    private Broker AnyBroker()
    {
        var brokers = _cluster.Brokers.Values.ToArray();
        if (brokers.Length == 0)
        {
            throw new NoBrokersAvailableException([]);
        }
        return brokers[Random.Shared.Next(brokers.Length)];
    }

    /// <summary>The controller, or any broker when the metadata names none (KRaft brokers forward to the controller).</summary>
    private Broker Controller() => _cluster.ControllerBroker ?? AnyBroker();

    private Broker BrokerById(int id) =>
        _cluster.Brokers.TryGetValue(id, out var broker)
            ? broker
            : throw new KafkaBrokerException(KafkaErrorCode.BrokerNotAvailable, $"Broker {id} is not in the cluster metadata.");

    /// <summary>
    /// Runs <paramref name="attempt"/> until it succeeds, fails for good, or <paramref name="timeout"/> runs out: a
    /// retriable <see cref="KafkaException"/> refreshes the metadata and tries again after a growing pause.
    /// </summary>
    private async Task<T> RetryAsync<T>(Func<CancellationToken, Task<T>> attempt, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Time.GetTimestamp();
        for (var round = 1; ; round++)
        {
            try
            {
                await EnsureMetadataAsync(cancellationToken).ConfigureAwait(false);
                return await attempt(cancellationToken).ConfigureAwait(false);
            }
            catch (KafkaException ex) when (ex.IsRetriable && Time.GetElapsedTime(started) < timeout && !cancellationToken.IsCancellationRequested)
            {
                await PauseAsync(round, cancellationToken).ConfigureAwait(false);
                await _cluster.Metadata.WaitForRefreshAsync($"an admin request failed: {ex.Message}", cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private Task PauseAsync(int round, CancellationToken cancellationToken) =>
        Task.Delay(TimeSpan.FromMilliseconds(Math.Min(50 * (1 << Math.Min(round, 5)), 1000)), Time, cancellationToken);

    /// <summary>
    /// Runs a batch until no item is left with a retriable error, or the timeout runs out: <paramref name="round"/>
    /// sends the pending items and returns those to try again; the metadata is refreshed between rounds.
    /// </summary>
    private async Task RetryItemsAsync<TItem>(
        IReadOnlyList<TItem> items, Func<IReadOnlyList<TItem>, CancellationToken, Task<IReadOnlyList<TItem>>> round, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Time.GetTimestamp();
        var pending = items;
        for (var n = 1; pending.Count > 0; n++)
        {
            var last = Time.GetElapsedTime(started) >= timeout;
            pending = await RetryAsync(token => round(pending, token), timeout, cancellationToken).ConfigureAwait(false);
            if (pending.Count == 0 || last || Time.GetElapsedTime(started) >= timeout)
            {
                return;
            }
            await PauseAsync(n, cancellationToken).ConfigureAwait(false);
            await _cluster.Metadata.WaitForRefreshAsync("admin requests are retried", cancellationToken).ConfigureAwait(false);
        }
    }

    private static int TimeoutMs(AdminRequestOptions options) =>
        (int)Math.Clamp(options.OperationTimeout.TotalMilliseconds, 0, int.MaxValue);

    /// <summary>
    /// The cluster id, controller and brokers. Uses DescribeCluster (Kafka 2.8+), which can also report fenced
    /// brokers; older brokers (and brokers without the API) are asked with Metadata.
    /// </summary>
    /// <param name="includeFencedBrokers">List brokers the controller has fenced too (Kafka 4.0+).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="NoBrokersAvailableException">No broker answered.</exception>
    public Task<ClusterDescription> DescribeClusterAsync(bool includeFencedBrokers = false, CancellationToken cancellationToken = default) =>
        RetryAsync(async token =>
        {
            var broker = AnyBroker();
            var connection = await broker.GetConnectionAsync(ConnectionKind.General, token).ConfigureAwait(false);
            if (connection.Versions.TryNegotiate(KnownApis.DescribeCluster, out _))
            {
                var response = await broker.SendAsync(ConnectionKind.General, new DescribeClusterRequest { IncludeFencedBrokers = includeFencedBrokers }, token).ConfigureAwait(false);
                if (ErrorOf(response.ErrorCode, response.ErrorMessage, "Describing the cluster") is { } error)
                {
                    throw error;
                }
                return new ClusterDescription(
                    response.ClusterId, response.ControllerId,
                    [.. response.Brokers.OrderBy(b => b.BrokerId).Select(b => new BrokerDescription(b.BrokerId, b.Host, b.Port, b.Rack, b.IsFenced))]);
            }
            var metadata = await broker.SendAsync(ConnectionKind.General, new MetadataRequest { Topics = [] }, token).ConfigureAwait(false);
            return new ClusterDescription(
                metadata.ClusterId, metadata.ControllerId,
                [.. metadata.Brokers.OrderBy(b => b.NodeId).Select(b => new BrokerDescription(b.NodeId, b.Host, b.Port, b.Rack, false))]);
        }, _cluster.Settings.SocketTimeout, cancellationToken);
}
