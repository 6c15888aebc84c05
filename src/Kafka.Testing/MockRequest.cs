namespace Kafka.Testing;

/// <summary>
/// One request a <see cref="MockKafkaCluster"/> broker received while request tracking was on
/// (see <see cref="MockKafkaCluster.StartRequestTracking"/>).
/// </summary>
/// <param name="BrokerId">The id of the broker that received the request.</param>
/// <param name="ApiKey">The Kafka API key of the request, e.g. 0 for Produce, 3 for Metadata, 18 for ApiVersions.</param>
/// <param name="Timestamp">
/// When the broker read the request. librdkafka records it on a monotonic clock; it is converted to wall-clock time
/// when the requests are read, so it is exact relative to other requests and to <see cref="System.Diagnostics.Stopwatch"/>,
/// and as accurate as the system clock otherwise.
/// </param>
/// <remarks>librdkafka 2.16 does not record the request's API version; start the cluster with <c>recordApiVersions</c> to have it.</remarks>
public sealed record MockRequest(int BrokerId, short ApiKey, DateTimeOffset Timestamp)
{
    /// <summary>
    /// The request's API version, when the cluster was started with <c>recordApiVersions</c>; otherwise
    /// <see langword="null"/> (librdkafka does not record it).
    /// </summary>
    public short? ApiVersion { get; init; }
}
