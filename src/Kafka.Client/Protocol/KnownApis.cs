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

    /// <summary>Every API above, for code that needs to walk them (diagnostics, tests).</summary>
    public static IReadOnlyList<ApiInfo> All { get; } = [ApiVersions, Metadata, ListOffsets, Produce, InitProducerId];
}
