namespace Kafka.Testing;

/// <summary>A Kafka request seen by a <see cref="TcpProxy"/> that records requests: its header's first fields.</summary>
/// <param name="ApiKey">The Kafka API key (0 Produce, 1 Fetch, 2 ListOffsets, 3 Metadata, 18 ApiVersions, ...).</param>
/// <param name="ApiVersion">The version of the API the client used.</param>
/// <param name="CorrelationId">The request's correlation id.</param>
/// <param name="Timestamp">When the proxy read the request.</param>
public sealed record ProxiedRequest(short ApiKey, short ApiVersion, int CorrelationId, DateTimeOffset Timestamp);
