namespace Kafka.Client.Protocol;

/// <summary>
/// What this client implements of one Kafka API: the versions its codec speaks and the first flexible
/// version (compact strings and arrays, tagged fields, request header v2 and response header v1).
/// </summary>
internal sealed record ApiInfo(ApiKey Key, short MinVersion, short MaxVersion, short FirstFlexibleVersion)
{
    /// <summary>Marks an API with no flexible version among those the client speaks.</summary>
    public const short NeverFlexible = short.MaxValue;

    public bool IsFlexible(short version) => version >= FirstFlexibleVersion;

    /// <summary>The request header version for a request at <paramref name="version"/>.</summary>
    public short RequestHeaderVersion(short version) => IsFlexible(version) ? (short)2 : (short)1;

    /// <summary>
    /// The response header version: v1 (with tagged fields) for flexible versions, except ApiVersions,
    /// whose response header is always v0 so that a broker can answer a version it does not understand.
    /// </summary>
    public short ResponseHeaderVersion(short version) =>
        Key != ApiKey.ApiVersions && IsFlexible(version) ? (short)1 : (short)0;

    /// <summary>
    /// Throws when the client's codec for this API does not implement <paramref name="version"/>. Negotiation never
    /// picks such a version, so this guards against a request written at a version that was not negotiated.
    /// </summary>
    public void ThrowIfUnsupported(short version)
    {
        if (version < MinVersion || version > MaxVersion)
        {
            throw new ArgumentOutOfRangeException(
                nameof(version), version, $"This client implements {Key} v{MinVersion} to v{MaxVersion}, not v{version}.");
        }
    }
}
