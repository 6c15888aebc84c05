using Kafka.Client.Protocol;

namespace Kafka.Client.Internal;

/// <summary>
/// How API versions are chosen for a client, from <see cref="KafkaClientOptions.BrokerVersion"/>: ask each broker
/// (ApiVersions) and, when a release is named, cap by it; for releases that cannot be asked (0.9), use the
/// release's table as it is.
/// </summary>
internal sealed class VersionPolicy
{
    private VersionPolicy(BrokerRelease? release) => Release = release;

    /// <summary>The named release, or <see langword="null"/> for <c>auto</c>.</summary>
    public BrokerRelease? Release { get; }

    /// <summary>Whether connections ask the broker with an ApiVersions request.</summary>
    public bool AskBroker => Release is null || Release.SupportsApiVersionsRequest;

    public static VersionPolicy Parse(string brokerVersion) =>
        TryParse(brokerVersion, out var policy, out var error) ? policy : throw new ArgumentException(error, nameof(brokerVersion));

    public static bool TryParse(string? brokerVersion, out VersionPolicy policy, out string error)
    {
        if (BrokerRelease.TryParse(brokerVersion, out var release, out error))
        {
            policy = new VersionPolicy(release);
            return true;
        }
        policy = null!;
        return false;
    }

    public ApiVersionTable FromBroker(ApiVersionsResponse response)
    {
        var table = ApiVersionTable.FromResponse(response);
        return Release is null ? table : table.CapBy(Release);
    }

    public ApiVersionTable FromRelease() =>
        (Release ?? throw new InvalidOperationException("No release to take versions from.")).ToApiVersionTable();
}
