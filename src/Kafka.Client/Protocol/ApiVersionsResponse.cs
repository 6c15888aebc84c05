namespace Kafka.Client.Protocol;

/// <summary>The versions a broker supports of one API.</summary>
/// <param name="Key">The API; numbers this client does not name are kept as they are.</param>
/// <param name="MinVersion">The lowest version the broker supports.</param>
/// <param name="MaxVersion">The highest version the broker supports.</param>
internal readonly record struct ApiVersionRange(ApiKey Key, short MinVersion, short MaxVersion);

/// <summary>A feature's version range (KIP-584): what a broker supports, or the level finalized for the cluster.</summary>
/// <param name="Name">The feature, for example <c>transaction.version</c>.</param>
/// <param name="MinVersion">The lowest version (or finalized level).</param>
/// <param name="MaxVersion">The highest version (or finalized level).</param>
internal readonly record struct FeatureRange(string Name, short MinVersion, short MaxVersion);

/// <summary>A broker's answer to <see cref="ApiVersionsRequest"/>.</summary>
internal sealed class ApiVersionsResponse
{
    /// <summary>The top-level error; UNSUPPORTED_VERSION means the request's version was too new for the broker.</summary>
    public KafkaErrorCode ErrorCode { get; init; }

    /// <summary>The APIs the broker supports, with their version ranges, in the broker's order.</summary>
    public IReadOnlyList<ApiVersionRange> ApiKeys { get; init; } = [];

    /// <summary>How long the broker throttled the request for a quota violation (v1+; 0 before).</summary>
    public int ThrottleTimeMs { get; init; }

    /// <summary>The features the broker supports (v3+, tag 0); empty before.</summary>
    public IReadOnlyList<FeatureRange> SupportedFeatures { get; init; } = [];

    /// <summary>The epoch of <see cref="FinalizedFeatures"/> (v3+, tag 1); -1 when unknown.</summary>
    public long FinalizedFeaturesEpoch { get; init; } = -1;

    /// <summary>
    /// The feature levels finalized for the whole cluster (v3+, tag 2), for example <c>transaction.version</c> 2,
    /// which turns on transactions V2 (KIP-890); empty before.
    /// </summary>
    public IReadOnlyList<FeatureRange> FinalizedFeatures { get; init; } = [];

    /// <summary>
    /// The version the body was read at: the version requested, or 0 when the broker did not support that version
    /// and answered with a v0 error body.
    /// </summary>
    public short BodyVersion { get; init; }

    /// <summary>
    /// After an UNSUPPORTED_VERSION answer, the ApiVersions version to send next: the highest the broker lists for
    /// ApiVersions (Kafka 2.4+ list it even in the error answer), capped by what this client speaks, or v0 when the
    /// broker lists nothing. Returns false when the answer is not that error, or when no version lower than
    /// <paramref name="sentVersion"/> is left to try (so retrying cannot loop).
    /// </summary>
    public bool TryGetRetryVersion(short sentVersion, out short retryVersion)
    {
        retryVersion = 0;
        if (ErrorCode != KafkaErrorCode.UnsupportedVersion)
        {
            return false;
        }
        var candidate = KnownApis.ApiVersions.MinVersion;
        for (var i = 0; i < ApiKeys.Count; i++)
        {
            var range = ApiKeys[i];
            if (range.Key == ApiKey.ApiVersions)
            {
                candidate = Math.Min(range.MaxVersion, KnownApis.ApiVersions.MaxVersion);
                break;
            }
        }
        if (candidate < KnownApis.ApiVersions.MinVersion || candidate >= sentVersion)
        {
            return false;
        }
        retryVersion = candidate;
        return true;
    }
}
