namespace Kafka.Client.Protocol;

/// <summary>The APIs this client implements, with the versions its codecs speak.</summary>
internal static class KnownApis
{
    /// <summary>ApiVersions v0–v3; v3 is flexible (its response header stays v0, see <see cref="ApiInfo"/>).</summary>
    public static readonly ApiInfo ApiVersions = new(ApiKey.ApiVersions, 0, 3, 3);

    /// <summary>Metadata v0–v12, flexible from v9.</summary>
    public static readonly ApiInfo Metadata = new(ApiKey.Metadata, 0, 12, 9);

    /// <summary>ListOffsets v1–v7, flexible from v6. v0 (several offsets per partition) was removed in Kafka 4.0.</summary>
    public static readonly ApiInfo ListOffsets = new(ApiKey.ListOffsets, 1, 7, 6);

    /// <summary>
    /// Produce v0–v12, flexible from v9. v0–v2 (legacy message sets) are only negotiated when BrokerVersion names a
    /// release before 0.11; Kafka 4.0 rejects them. v11 and v12 have v10's shape: v11 may answer TRANSACTION_ABORTABLE,
    /// and v12 adds a transactional producer's partition to its transaction (transactions V2, KIP-890), so a
    /// transactional producer sends v12 only in transactions V2 and at most v11 otherwise.
    /// </summary>
    public static readonly ApiInfo Produce = new(ApiKey.Produce, 0, 12, 9);

    /// <summary>InitProducerId v0–v4, flexible from v2 (v3 bumps an existing producer's epoch).</summary>
    public static readonly ApiInfo InitProducerId = new(ApiKey.InitProducerId, 0, 4, 2);

    /// <summary>AddPartitionsToTxn v0–v3, flexible from v3 (v4+ are broker-to-broker, KIP-890).</summary>
    public static readonly ApiInfo AddPartitionsToTxn = new(ApiKey.AddPartitionsToTxn, 0, 3, 3);

    /// <summary>AddOffsetsToTxn v0–v4, flexible from v3.</summary>
    public static readonly ApiInfo AddOffsetsToTxn = new(ApiKey.AddOffsetsToTxn, 0, 4, 3);

    /// <summary>EndTxn v0–v5, flexible from v3; v5 is transactions V2 (a new epoch per transaction).</summary>
    public static readonly ApiInfo EndTxn = new(ApiKey.EndTxn, 0, 5, 3);

    /// <summary>
    /// TxnOffsetCommit v0–v5, flexible from v3; v3 carries the group member's generation and ids (KIP-447); v5 has v4's
    /// shape and adds the group to the transaction itself (transactions V2, KIP-890), so it is sent only in V2.
    /// </summary>
    public static readonly ApiInfo TxnOffsetCommit = new(ApiKey.TxnOffsetCommit, 0, 5, 3);

    /// <summary>
    /// Fetch v4–v18, flexible from v12; topic ids from v13. v0–v3 were removed in Kafka 4.0 (KIP-896) and read only
    /// message format v0/v1.
    /// </summary>
    public static readonly ApiInfo Fetch = new(ApiKey.Fetch, 4, 18, 12);

    /// <summary>OffsetCommit v2–v9, flexible from v8. v0–v1 were removed in Kafka 4.0.</summary>
    public static readonly ApiInfo OffsetCommit = new(ApiKey.OffsetCommit, 2, 9, 8);

    /// <summary>OffsetFetch v1–v9, flexible from v6; organised by group from v8. v0 (ZooKeeper offsets) was removed in Kafka 4.0.</summary>
    public static readonly ApiInfo OffsetFetch = new(ApiKey.OffsetFetch, 1, 9, 6);

    /// <summary>FindCoordinator v0–v6, flexible from v3; batched keys from v4.</summary>
    public static readonly ApiInfo FindCoordinator = new(ApiKey.FindCoordinator, 0, 6, 3);

    /// <summary>
    /// JoinGroup v2–v9, flexible from v6. v0–v1 were removed in Kafka 4.0 (4.1 put them back); v2 needs Kafka 0.11.
    /// </summary>
    public static readonly ApiInfo JoinGroup = new(ApiKey.JoinGroup, 2, 9, 6);

    /// <summary>SyncGroup v0–v5, flexible from v4.</summary>
    public static readonly ApiInfo SyncGroup = new(ApiKey.SyncGroup, 0, 5, 4);

    /// <summary>Heartbeat v0–v4, flexible from v4.</summary>
    public static readonly ApiInfo Heartbeat = new(ApiKey.Heartbeat, 0, 4, 4);

    /// <summary>LeaveGroup v0–v5, flexible from v4; a batch of members from v3.</summary>
    public static readonly ApiInfo LeaveGroup = new(ApiKey.LeaveGroup, 0, 5, 4);

    /// <summary>ConsumerGroupHeartbeat v0–v1 (KIP-848, Kafka 4.0), flexible at every version; v1 adds the regular-expression subscription.</summary>
    public static readonly ApiInfo ConsumerGroupHeartbeat = new(ApiKey.ConsumerGroupHeartbeat, 0, 1, 0);

    /// <summary>
    /// ShareGroupHeartbeat v1 (KIP-932, Kafka 4.1), flexible at every version. v0 was Kafka 4.0's early access, removed
    /// in 4.1.
    /// </summary>
    public static readonly ApiInfo ShareGroupHeartbeat = new(ApiKey.ShareGroupHeartbeat, 1, 1, 0);

    /// <summary>ShareFetch v1 (KIP-932, Kafka 4.1), flexible at every version; v2 (acquire modes, renew, KIP-1206/1222) is not implemented.</summary>
    public static readonly ApiInfo ShareFetch = new(ApiKey.ShareFetch, 1, 1, 0);

    /// <summary>ShareAcknowledge v1 (KIP-932, Kafka 4.1), flexible at every version; v2 (renew, KIP-1222) is not implemented.</summary>
    public static readonly ApiInfo ShareAcknowledge = new(ApiKey.ShareAcknowledge, 1, 1, 0);

    /// <summary>SaslHandshake v1 only (tokens in SaslAuthenticate); never flexible.</summary>
    public static readonly ApiInfo SaslHandshake = new(ApiKey.SaslHandshake, 1, 1, ApiInfo.NeverFlexible);

    /// <summary>SaslAuthenticate v0–v2, flexible from v2; v1 adds the session lifetime (KIP-368).</summary>
    public static readonly ApiInfo SaslAuthenticate = new(ApiKey.SaslAuthenticate, 0, 2, 2);

    /// <summary>CreateTopics v2–v7, flexible from v5; v4 lets partitions and replication factor default (-1); v7 answers topic ids. v0–v1 were removed in Kafka 4.0.</summary>
    public static readonly ApiInfo CreateTopics = new(ApiKey.CreateTopics, 2, 7, 5);

    /// <summary>DeleteTopics v1–v6, flexible from v4; v6 names topics by name or id. v0 was removed in Kafka 4.0.</summary>
    public static readonly ApiInfo DeleteTopics = new(ApiKey.DeleteTopics, 1, 6, 4);

    /// <summary>CreatePartitions v0–v3, flexible from v2.</summary>
    public static readonly ApiInfo CreatePartitions = new(ApiKey.CreatePartitions, 0, 3, 2);

    /// <summary>DescribeCluster v0–v2 (Kafka 2.8+), flexible at every version; v2 can list fenced brokers.</summary>
    public static readonly ApiInfo DescribeCluster = new(ApiKey.DescribeCluster, 0, 2, 0);

    /// <summary>DescribeConfigs v1–v4, flexible from v4. v0 was removed in Kafka 4.0.</summary>
    public static readonly ApiInfo DescribeConfigs = new(ApiKey.DescribeConfigs, 1, 4, 4);

    /// <summary>IncrementalAlterConfigs v0–v1 (Kafka 2.3+), flexible from v1.</summary>
    public static readonly ApiInfo IncrementalAlterConfigs = new(ApiKey.IncrementalAlterConfigs, 0, 1, 1);

    /// <summary>ListGroups v0–v5, flexible from v3; v4 filters and answers states, v5 types.</summary>
    public static readonly ApiInfo ListGroups = new(ApiKey.ListGroups, 0, 5, 3);

    /// <summary>DescribeGroups v0–v6, flexible from v5; v6 answers an error message.</summary>
    public static readonly ApiInfo DescribeGroups = new(ApiKey.DescribeGroups, 0, 6, 5);

    /// <summary>DeleteGroups v0–v2 (Kafka 1.1+), flexible from v2.</summary>
    public static readonly ApiInfo DeleteGroups = new(ApiKey.DeleteGroups, 0, 2, 2);

    /// <summary>DeleteRecords v0–v2, flexible from v2.</summary>
    public static readonly ApiInfo DeleteRecords = new(ApiKey.DeleteRecords, 0, 2, 2);

    /// <summary>Every API above, for code that needs to walk them (diagnostics, tests).</summary>
    public static IReadOnlyList<ApiInfo> All { get; } =
        [ApiVersions, Metadata, ListOffsets, Fetch, OffsetCommit, OffsetFetch, FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
         ConsumerGroupHeartbeat, ShareGroupHeartbeat, ShareFetch, ShareAcknowledge,
         Produce, InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, TxnOffsetCommit, SaslHandshake, SaslAuthenticate,
         CreateTopics, DeleteTopics, CreatePartitions, DescribeCluster, DescribeConfigs, IncrementalAlterConfigs, ListGroups, DescribeGroups,
         DeleteGroups, DeleteRecords];
}
