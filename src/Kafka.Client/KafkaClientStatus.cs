using Kafka.Client.Internal;
using Kafka.ZooKeeper;

namespace Kafka.Client;

/// <summary>
/// What a <see cref="KafkaClient"/> knows about its cluster's health without asking it: how its metadata refreshes
/// went, which partitions have no leader it can reach, and the ZooKeeper session it discovers brokers through. Every
/// member reads state only; none opens a connection, so a health check may read it as often as it likes. Which
/// brokers answered is on each <see cref="Broker"/> (<see cref="Broker.IsReachable"/>).
/// </summary>
/// <remarks>
/// The client refreshes its metadata in the background: every <see cref="KafkaClientOptions.MetadataRefreshInterval"/>
/// once it has any, earlier when it meets stale metadata (<see cref="KafkaClient.RequestRefresh"/>), and again after a
/// failure with a growing backoff. <see cref="KafkaClient.UpdateClusterAsync"/> refreshes are counted here too.
/// </remarks>
public sealed class KafkaClientStatus
{
    private readonly Cluster _cluster;

    internal KafkaClientStatus(Cluster cluster) => _cluster = cluster;

    /// <summary>When a metadata refresh last succeeded; <see langword="null"/> until one has.</summary>
    public DateTimeOffset? LastSuccessfulRefresh => _cluster.Metadata.LastSuccessfulRefresh;

    /// <summary>When a metadata refresh last failed; <see langword="null"/> if none has.</summary>
    public DateTimeOffset? LastFailedRefresh => _cluster.Metadata.LastFailedRefresh;

    /// <summary>Why the latest refresh failed (a <see cref="NoBrokersAvailableException"/> naming each host tried); <see langword="null"/> after a success.</summary>
    public Exception? LastError => _cluster.Metadata.LastError;

    /// <summary>How many refreshes in a row have failed (0 after a success).</summary>
    public int ConsecutiveFailures => _cluster.Metadata.ConsecutiveFailures;

    /// <summary>How many refreshes have ended, successful or not.</summary>
    public long RefreshCount => _cluster.Metadata.RefreshCount;

    /// <summary>
    /// What the metadata refresh running now is doing, for diagnostics (a start-up that timed out, a health report):
    /// the broker or seed it is asking and what it waits on there (the reconnect backoff, the TCP connect, the TLS
    /// handshake, ApiVersions, SASL authentication, or the Metadata response), how long it has run and the hosts it
    /// already tried, for example <c>seed 127.0.0.1:9092: connecting: ApiVersions; running for 12.3 s</c>. It names hosts
    /// and steps only, never credentials. <see langword="null"/> while no refresh is running.
    /// </summary>
    public string? RefreshActivity => _cluster.Metadata.RefreshActivity;

    /// <summary>
    /// When the client plans its next background refresh; <see langword="null"/> while one is running, or before the
    /// client has any metadata (it does no I/O until something needs the cluster).
    /// </summary>
    public DateTimeOffset? NextRefresh => _cluster.Metadata.NextRefresh;

    /// <summary>
    /// The partitions, in the latest metadata, whose leader is none or a broker the metadata does not list (Kafka stops
    /// listing a broker that is down), as <c>topic/partition</c> sorted by topic then partition; internal topics included.
    /// </summary>
    public IReadOnlyList<TopicAndPartition> LeaderlessPartitions
    {
        get
        {
            var snapshot = _cluster.Snapshot;
            var result = new List<TopicAndPartition>();
            foreach (var (name, topic) in snapshot.Topics)
            {
                foreach (var partition in topic.Partitions)
                {
                    if (partition.LeaderId < 0 || !snapshot.Brokers.ContainsKey(partition.LeaderId))
                    {
                        result.Add(new TopicAndPartition(name, partition.PartitionIndex));
                    }
                }
            }
            result.Sort();
            return result;
        }
    }

    /// <summary>
    /// The state of the ZooKeeper session brokers are discovered through (<see cref="KafkaClientOptions.ZooKeeperHosts"/>):
    /// <see langword="null"/> without ZooKeeper or before the client first read it. While it is not
    /// <see cref="ZooKeeperState.Connected"/> the client cannot find brokers again if the known ones stop answering.
    /// </summary>
    public ZooKeeperState? ZooKeeperState => _cluster.ZooKeeper?.State;

    /// <summary>
    /// Completes when the refresh running now, or else the next one, ends, whether it succeeds or fails. To wait for a
    /// condition on the status (a first successful refresh), call this first and look at the status after: a refresh
    /// that ends between a look and a later call is not the one this waits for, and the next may be a whole
    /// <see cref="KafkaClientOptions.MetadataRefreshInterval"/> away.
    /// </summary>
    /// <example>
    /// <code>
    /// while (true)
    /// {
    ///     var next = client.Status.WaitForNextRefreshAsync(ct);
    ///     if (client.Status.LastSuccessfulRefresh is not null) break;
    ///     await next;
    /// }
    /// </code>
    /// </example>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes after that refresh.</returns>
    public Task WaitForNextRefreshAsync(CancellationToken cancellationToken = default) =>
        _cluster.Metadata.WaitForNextRefreshAsync(cancellationToken);
}
