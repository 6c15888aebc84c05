using Confluent.Kafka;
using Kafka.Testing;
using Microsoft.Extensions.Logging;

namespace Kafka.Client.Tests.Sasl;

internal static class SaslTestSupport
{
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromHours(1);

    /// <summary>Our client's SASL settings for <paramref name="mechanism"/> (as SASL names it).</summary>
    public static SaslConfig Config(string mechanism, string user = "alice", string? password = null, TimeProvider? time = null) => mechanism switch
    {
        "PLAIN" => new SaslConfig { Mechanism = SaslMechanism.Plain, Username = user, Password = password ?? SaslCluster.Users[user] },
        "SCRAM-SHA-256" => new SaslConfig { Mechanism = SaslMechanism.ScramSha256, Username = user, Password = password ?? SaslCluster.Users[user] },
        "SCRAM-SHA-512" => new SaslConfig { Mechanism = SaslMechanism.ScramSha512, Username = user, Password = password ?? SaslCluster.Users[user] },
        "OAUTHBEARER" => new SaslConfig
        {
            Mechanism = SaslMechanism.OAuthBearer,
            OAuthBearerTokenProvider = _ => ValueTask.FromResult(OAuthBearerToken.CreateUnsecured(user, TokenLifetime, ["kafka"],
                new Dictionary<string, string> { ["traceId"] = "t-1" }, time)),
        },
        _ => throw new ArgumentOutOfRangeException(nameof(mechanism)),
    };

    public static KafkaClient NewClient(SaslCluster sasl, SaslConfig config, bool tls, ILoggerFactory? logs = null, TimeProvider? time = null,
        Action<KafkaClientOptions>? configure = null)
    {
        var options = new KafkaClientOptions
        {
            Hosts = sasl.Bootstrap,
            Sasl = config,
            Ssl = tls ? SaslCluster.TrustingTestCa() : null,
            SocketTimeout = TimeSpan.FromSeconds(10),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            ReconnectBackoff = TimeSpan.FromMilliseconds(20),
            ReconnectBackoffMax = TimeSpan.FromMilliseconds(200),
        };
        configure?.Invoke(options);
        return new KafkaClient(options, logs, time);
    }

    /// <summary>librdkafka's configuration for the same cluster and mechanism: the peer of the triangle.</summary>
    public static ClientConfig PeerConfig(SaslCluster sasl, string mechanism, bool tls, string user = "alice")
    {
        var config = new ClientConfig
        {
            BootstrapServers = sasl.Bootstrap,
            SecurityProtocol = tls ? SecurityProtocol.SaslSsl : SecurityProtocol.SaslPlaintext,
            SslCaLocation = tls ? SaslCluster.TrustingTestCa().CaFile : null,
            SaslMechanism = mechanism switch
            {
                "PLAIN" => Confluent.Kafka.SaslMechanism.Plain,
                "SCRAM-SHA-256" => Confluent.Kafka.SaslMechanism.ScramSha256,
                "SCRAM-SHA-512" => Confluent.Kafka.SaslMechanism.ScramSha512,
                _ => Confluent.Kafka.SaslMechanism.OAuthBearer,
            },
        };
        if (mechanism == "OAUTHBEARER")
        {
            config.Set("enable.sasl.oauthbearer.unsecure.jwt", "true");
            config.SaslOauthbearerConfig = $"principal={user} scope=kafka";
        }
        else
        {
            config.SaslUsername = user;
            config.SaslPassword = SaslCluster.Users[user];
        }
        return config;
    }

    public static IAdminClient PeerAdmin(SaslCluster sasl, string mechanism, bool tls) =>
        new AdminClientBuilder(PeerConfig(sasl, mechanism, tls)).SetLogHandler((_, _) => { }).Build();
}
