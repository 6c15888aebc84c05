using Kafka.Client.Protocol;

namespace Kafka.Client.Internal;

/// <summary>
/// How API versions are chosen for a client, from <see cref="KafkaClientOptions.BrokerVersion"/>: ask each
/// broker (ApiVersions) and cap by the named release, or, for releases that cannot be asked, use the release's
/// table as it is.
/// </summary>
internal sealed class VersionPolicy
{
    private VersionPolicy(string brokerVersion) => BrokerVersion = brokerVersion;

    public string BrokerVersion { get; }

    /// <summary>Whether connections ask the broker with an ApiVersions request.</summary>
    public bool AskBroker => true;

    public static VersionPolicy Parse(string brokerVersion) =>
        TryParse(brokerVersion, out var policy, out var error) ? policy : throw new ArgumentException(error, nameof(brokerVersion));

    public static bool TryParse(string? brokerVersion, out VersionPolicy policy, out string error)
    {
        policy = new VersionPolicy(brokerVersion ?? KafkaClientOptions.AutoBrokerVersion);
        error = string.Empty;
        return true;
    }

    public ApiVersionTable FromBroker(ApiVersionsResponse response) => throw new NotImplementedException();

    public ApiVersionTable FromRelease() => throw new NotImplementedException();
}
