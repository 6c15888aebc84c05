namespace Kafka.Client.Protocol;

/// <summary>
/// The versions a broker supports of each API (from its ApiVersions answer, or from a release's table), optionally
/// capped by the release the client's <c>BrokerVersion</c> names; and the negotiation of the version
/// to use for each API: the highest version both the client and the (capped) broker support.
/// </summary>
internal sealed class ApiVersionTable
{
    private const string BrokerSource = "The broker";

    private readonly Dictionary<ApiKey, ApiVersionRange> _ranges;
    private readonly IReadOnlyList<FeatureRange> _finalized;

    /// <summary>Creates a table from version ranges; a key listed twice keeps its last range.</summary>
    /// <param name="ranges">The ranges.</param>
    /// <param name="source">Who supports these ranges, for error messages ("The broker", "Kafka 0.9.0").</param>
    public ApiVersionTable(IReadOnlyList<ApiVersionRange> ranges, string source = BrokerSource)
        : this(ToDictionary(ranges), source, cap: null, finalized: [])
    {
    }

    private ApiVersionTable(Dictionary<ApiKey, ApiVersionRange> ranges, string source, BrokerRelease? cap, IReadOnlyList<FeatureRange> finalized)
    {
        _ranges = ranges;
        _finalized = finalized;
        Source = source;
        Cap = cap;
    }

    /// <summary>Who supports the ranges, as error messages name it.</summary>
    public string Source { get; }

    /// <summary>The release capping the ranges, or <see langword="null"/>.</summary>
    public BrokerRelease? Cap { get; }

    /// <summary>The number of APIs listed (before any cap).</summary>
    public int Count => _ranges.Count;

    /// <summary>
    /// The table of a broker's ApiVersions answer.
    /// </summary>
    /// <exception cref="KafkaBrokerException">The answer carries an error (handle UNSUPPORTED_VERSION before, by
    /// retrying at <see cref="ApiVersionsResponse.TryGetRetryVersion"/>).</exception>
    public static ApiVersionTable FromResponse(ApiVersionsResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.ErrorCode != KafkaErrorCode.None)
        {
            throw new KafkaBrokerException(
                response.ErrorCode,
                $"The broker answered ApiVersions with {KafkaErrors.GetName(response.ErrorCode)}: {KafkaErrors.GetDescription(response.ErrorCode)}");
        }
        // Finalized levels are valid only with a known epoch (the schema's rule).
        return new ApiVersionTable(ToDictionary(response.ApiKeys), BrokerSource, cap: null,
            response.FinalizedFeaturesEpoch >= 0 ? response.FinalizedFeatures : []);
    }

    /// <summary>
    /// The level the cluster finalized for <paramref name="feature"/> (its finalized max version level, KIP-584), or 0
    /// when the broker names none (older brokers, ApiVersions before v3, or an unknown finalized-features epoch).
    /// </summary>
    public short FinalizedLevel(string feature)
    {
        foreach (var range in _finalized)
        {
            if (string.Equals(range.Name, feature, StringComparison.Ordinal))
            {
                return range.MaxVersion;
            }
        }
        return 0;
    }

    /// <summary>
    /// This table capped by <paramref name="release"/>: each API the release table covers is limited to what the
    /// release supports (and missing if the release lacks it); other APIs keep the broker's range.
    /// </summary>
    public ApiVersionTable CapBy(BrokerRelease release)
    {
        ArgumentNullException.ThrowIfNull(release);
        return new ApiVersionTable(_ranges, Source, release, _finalized);
    }

    /// <summary>
    /// The range of <paramref name="key"/> after the cap; false when the API is not listed, or the capping release
    /// lacks it. The range may be empty (min &gt; max) when the cap lies below the broker's minimum.
    /// </summary>
    public bool TryGetRange(ApiKey key, out ApiVersionRange range)
    {
        if (!_ranges.TryGetValue(key, out range))
        {
            return false;
        }
        if (Cap is not null && KafkaReleases.Covers(key))
        {
            if (!KafkaReleases.TryGetRange(Cap, key, out var capped))
            {
                range = default;
                return false;
            }
            range = new ApiVersionRange(key, Math.Max(range.MinVersion, capped.MinVersion), Math.Min(range.MaxVersion, capped.MaxVersion));
        }
        return true;
    }

    /// <summary>The highest version of <paramref name="api"/> both sides support; false when there is none.</summary>
    public bool TryNegotiate(ApiInfo api, out short version)
    {
        ArgumentNullException.ThrowIfNull(api);
        version = -1;
        if (!TryGetRange(api.Key, out var range))
        {
            return false;
        }
        var low = Math.Max(range.MinVersion, api.MinVersion);
        var high = Math.Min(range.MaxVersion, api.MaxVersion);
        if (low > high)
        {
            return false;
        }
        version = high;
        return true;
    }

    /// <summary>The highest version of <paramref name="api"/> both sides support.</summary>
    /// <exception cref="KafkaVersionException">There is none; the message names the API and both ranges.</exception>
    public short Negotiate(ApiInfo api) =>
        TryNegotiate(api, out var version) ? version : throw new KafkaVersionException(DescribeMismatch(api));

    private string DescribeMismatch(ApiInfo api)
    {
        var client = $"this client speaks {api.Key} v{api.MinVersion} to v{api.MaxVersion}";
        if (!_ranges.TryGetValue(api.Key, out var listed))
        {
            return $"{Source} does not support {api.Key} at all; {client}.";
        }
        var broker = $"{Source} supports {api.Key} v{listed.MinVersion} to v{listed.MaxVersion}";
        if (Cap is null)
        {
            return $"{broker} and {client}: no version in common.";
        }
        if (!KafkaReleases.TryGetRange(Cap, api.Key, out var capped))
        {
            return $"{broker}, but BrokerVersion {Cap} names a release without {api.Key}; {client}.";
        }
        return $"{broker}, capped to v{capped.MinVersion} to v{capped.MaxVersion} by BrokerVersion {Cap}, and {client}: no version in common.";
    }

    private static Dictionary<ApiKey, ApiVersionRange> ToDictionary(IReadOnlyList<ApiVersionRange> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var map = new Dictionary<ApiKey, ApiVersionRange>(ranges.Count);
        for (var i = 0; i < ranges.Count; i++)
        {
            map[ranges[i].Key] = ranges[i];
        }
        return map;
    }
}
