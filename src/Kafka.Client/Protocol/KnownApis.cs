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
    /// Produce v0–v10, flexible from v9. v0–v2 (legacy message sets) are only negotiated when BrokerVersion names a
    /// release before 0.11; Kafka 4.0 rejects them.
    /// </summary>
    public static readonly ApiInfo Produce = new(ApiKey.Produce, 0, 10, 9);

    /// <summary>InitProducerId v0–v4, flexible from v2 (v3 bumps an existing producer's epoch).</summary>
    public static readonly ApiInfo InitProducerId = new(ApiKey.InitProducerId, 0, 4, 2);

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

    /// <summary>SaslHandshake v1 only (tokens in SaslAuthenticate); never flexible.</summary>
    public static readonly ApiInfo SaslHandshake = new(ApiKey.SaslHandshake, 1, 1, ApiInfo.NeverFlexible);

    /// <summary>SaslAuthenticate v0–v2, flexible from v2; v1 adds the session lifetime (KIP-368).</summary>
    public static readonly ApiInfo SaslAuthenticate = new(ApiKey.SaslAuthenticate, 0, 2, 2);

    /// <summary>Every API above, for code that needs to walk them (diagnostics, tests).</summary>
    public static IReadOnlyList<ApiInfo> All { get; } =
        [ApiVersions, Metadata, ListOffsets, Fetch, OffsetCommit, OffsetFetch, FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
         Produce, InitProducerId, SaslHandshake, SaslAuthenticate];
}
