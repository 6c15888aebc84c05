using Microsoft.Extensions.Logging;
using Polly;

namespace Kafka.Client.Internal;

/// <summary>What every connection of one client shares: identity, limits, timeouts, TLS, SASL, clock and logging.</summary>
internal sealed class ConnectionSettings
{
    public required string ClientId { get; init; }

    public required TimeSpan SocketTimeout { get; init; }

    public required TimeSpan OffsetsChannelSocketTimeout { get; init; }

    public required TimeSpan ConnectTimeout { get; init; }

    public required int MaxResponseSize { get; init; }

    public required HostAddress? SourceAddress { get; init; }

    public required VersionPolicy Versions { get; init; }

    public required TimeSpan ReconnectBackoff { get; init; }

    public required TimeSpan ReconnectBackoffMax { get; init; }

    public required TimeProvider TimeProvider { get; init; }

    public required ILoggerFactory LoggerFactory { get; init; }

    /// <summary>TLS for every connection, loaded once per client; null for plaintext.</summary>
    public ClientTls? Tls { get; init; }

    /// <summary>SASL authentication for every connection; null for none.</summary>
    public Internal.Sasl.ClientSasl? Sasl { get; init; }

    /// <summary>Wraps connection set-up and idempotent request/response exchanges (the hosting layer's retries).</summary>
    public required ResiliencePipeline Resilience { get; init; }

    /// <summary>The telemetry attribute that tells this client's spans and measurements from other clients'.</summary>
    public required KeyValuePair<string, object?> ClientTag { get; init; }

    /// <summary>Whether each request gets a span (<see cref="KafkaClientOptions.TraceRequests"/>).</summary>
    public bool TraceRequests { get; init; }

    /// <summary>
    /// Builds a client's settings from validated options. <paramref name="tls"/> is the TLS material the validator
    /// already loaded; when it is null and <see cref="KafkaClientOptions.Ssl"/> is set, it is loaded here.
    /// </summary>
    public static ConnectionSettings From(KafkaClientOptions options, TimeProvider timeProvider, ILoggerFactory loggerFactory,
        ResiliencePipeline? resilience, ClientTls? tls = null)
    {
        if (!HostAddress.TryParseSourceAddress(options.SourceAddress, out var source, out var error))
        {
            throw new ArgumentException(error, nameof(options));
        }
        if (tls is null && options.Ssl is not null)
        {
            var errors = new List<string>();
            tls = ClientTls.Load(options.Ssl, errors) ?? throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }
        tls?.UseLogger(loggerFactory, timeProvider);
        var sasl = Internal.Sasl.ClientSasl.Create(options, timeProvider);
        sasl?.UseLogger(loggerFactory, tls: tls is not null);
        return new ConnectionSettings
        {
            ClientId = options.ClientId,
            SocketTimeout = options.SocketTimeout,
            OffsetsChannelSocketTimeout = options.OffsetsChannelSocketTimeout,
            ConnectTimeout = options.ConnectTimeout,
            MaxResponseSize = options.MaxResponseSize,
            SourceAddress = source,
            Versions = VersionPolicy.Parse(options.BrokerVersion),
            ReconnectBackoff = options.ReconnectBackoff,
            ReconnectBackoffMax = options.ReconnectBackoffMax,
            TimeProvider = timeProvider,
            LoggerFactory = loggerFactory,
            Resilience = resilience ?? ResiliencePipeline.Empty,
            Tls = tls,
            Sasl = sasl,
            ClientTag = ClientTelemetry.ClientTag(options.ClientId),
            TraceRequests = options.TraceRequests,
        };
    }
}
