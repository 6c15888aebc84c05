using System.Buffers.Binary;
using System.Text;
using Confluent.Kafka;
using Kafka.Testing.Tests.Support;

namespace Kafka.Testing.Tests;

/// <summary>
/// The first side of the triangle: librdkafka's own SASL client (Confluent.Kafka) authenticates through the proxy against
/// Cyrus SASL and GNU SASL, so the proxy is shown to speak Kafka's SASL framing, not a dialect of this project's.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class SaslProxyTests
{
    private static readonly Dictionary<string, string> Users = new() { ["alice"] = "alice-secret", ["bob"] = "bob-secret" };

    private static SaslProxyOptions Options(string mechanism, SaslServerLibrary library = SaslServerLibrary.Cyrus, TimeSpan? lifetime = null) => new()
    {
        Mechanisms = [mechanism],
        Users = Users,
        Library = library,
        SessionLifetime = lifetime,
    };

    private static ProducerConfig PeerConfig(string bootstrap, string mechanism, string user = "alice", string password = "alice-secret")
    {
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrap,
            SecurityProtocol = SecurityProtocol.SaslPlaintext,
            SaslMechanism = mechanism switch
            {
                "PLAIN" => SaslMechanism.Plain,
                "SCRAM-SHA-256" => SaslMechanism.ScramSha256,
                "SCRAM-SHA-512" => SaslMechanism.ScramSha512,
                _ => SaslMechanism.OAuthBearer,
            },
            MessageTimeoutMs = 10_000,
            LingerMs = 0,
        };
        if (mechanism == "OAUTHBEARER")
        {
            config.Set("enable.sasl.oauthbearer.unsecure.jwt", "true");
            config.SaslOauthbearerConfig = $"principal={user} scope=kafka lifeSeconds=3600 extension_traceId=t-42";
        }
        else
        {
            config.SaslUsername = user;
            config.SaslPassword = password;
        }
        return config;
    }

    [TestCase("PLAIN", SaslServerLibrary.Cyrus)]
    [TestCase("SCRAM-SHA-256", SaslServerLibrary.Cyrus)]
    [TestCase("SCRAM-SHA-512", SaslServerLibrary.Cyrus)]
    [TestCase("PLAIN", SaslServerLibrary.Gnu)]
    [TestCase("SCRAM-SHA-256", SaslServerLibrary.Gnu)]
    [TestCase("OAUTHBEARER", SaslServerLibrary.Cyrus)]
    public async Task Confluent_Kafka_authenticates_through_the_proxy_and_produces(string mechanism, SaslServerLibrary library)
    {
        await using var cluster = MockKafkaCluster.Start(2);
        cluster.CreateTopic("orders", 2, 2);
        cluster.SetPartitionLeader("orders", 0, 1);
        cluster.SetPartitionLeader("orders", 1, 2);
        var proxies = SaslProxy.InFrontOf(cluster, Options(mechanism, library));
        try
        {
            using (var producer = new ProducerBuilder<string, string>(PeerConfig(proxies[1].Address, mechanism)).SetLogHandler((_, _) => { }).Build())
            {
                for (var partition = 0; partition < 2; partition++)
                {
                    var result = await producer.ProduceAsync(new TopicPartition("orders", partition), new Message<string, string> { Key = "k", Value = "v" })
                        .WaitAsync(TimeSpan.FromSeconds(20));
                    Assert.That(result.Status, Is.EqualTo(PersistenceStatus.Persisted));
                }
            }
            var authentications = proxies.Values.SelectMany(p => p.Authentications).ToList();
            Assert.That(authentications, Is.Not.Empty);
            Assert.That(authentications.Select(a => a.Mechanism), Is.All.EqualTo(mechanism));
            Assert.That(authentications.Select(a => a.Principal), Is.All.EqualTo("alice"));
            Assert.That(proxies.Values.All(p => p.AuthenticationCount > 0), Is.True, "the broker learnt from metadata was reached through its proxy too");
            Assert.That(proxies.Values.SelectMany(p => p.Failures), Is.Empty);
            if (mechanism == "OAUTHBEARER")
            {
                Assert.That(authentications[0].Extensions["traceId"], Is.EqualTo("t-42"), "KIP-342 extensions reach the broker");
                Assert.That(authentications[0].SessionLifetime, Is.LessThanOrEqualTo(TimeSpan.FromHours(1)), "the session ends with the token");
            }
        }
        finally
        {
            foreach (var proxy in proxies.Values)
            {
                await proxy.DisposeAsync();
            }
        }
    }

    [TestCase("PLAIN", SaslServerLibrary.Cyrus)]
    [TestCase("SCRAM-SHA-256", SaslServerLibrary.Cyrus)]
    [TestCase("SCRAM-SHA-512", SaslServerLibrary.Cyrus)]
    [TestCase("SCRAM-SHA-256", SaslServerLibrary.Gnu)]
    public async Task A_wrong_password_is_refused(string mechanism, SaslServerLibrary library)
    {
        await using var cluster = MockKafkaCluster.Start(1);
        await using var proxy = new SaslProxy("127.0.0.1", cluster.GetBrokerPort(1), Options(mechanism, library));
        var errors = new List<Error>();
        using var admin = new AdminClientBuilder(new AdminClientConfig(PeerConfig(proxy.Address, mechanism, password: "wrong")))
            .SetErrorHandler((_, e) => { lock (errors) { errors.Add(e); } })
            .SetLogHandler((_, _) => { }).Build();

        Assert.Throws<KafkaException>(() => admin.GetMetadata(TimeSpan.FromSeconds(2)));

        Eventually.WaitUntil(() => { lock (errors) { return errors.Any(e => e.Code == ErrorCode.Local_Authentication); } }, "librdkafka reports an authentication failure");
        lock (errors)
        {
            TestContext.Out.WriteLine(string.Join(Environment.NewLine, errors.Select(e => $"{e.Code}: {e.Reason}")));
            Assert.That(errors.First(e => e.Code == ErrorCode.Local_Authentication).Reason, Does.Contain("Authentication failed"), "the broker's reason reached the client");
        }
        Assert.That(proxy.AuthenticationCount, Is.Zero);
        Assert.That(proxy.Failures, Is.Not.Empty);
        TestContext.Out.WriteLine(string.Join(Environment.NewLine, proxy.Failures));
    }

    [Test]
    public async Task A_mechanism_the_proxy_does_not_enable_is_refused_with_the_enabled_list()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        await using var proxy = new SaslProxy("127.0.0.1", cluster.GetBrokerPort(1), new SaslProxyOptions { Mechanisms = ["SCRAM-SHA-512", "PLAIN"], Users = Users });
        using var socket = RawKafka.Connect(proxy.Port);

        var body = RawKafka.Exchange(socket, 17, 1, KafkaString("SCRAM-SHA-256"))!;

        Assert.That(BinaryPrimitives.ReadInt16BigEndian(body), Is.EqualTo(33), "UNSUPPORTED_SASL_MECHANISM");
        Assert.That(ReadStrings(body.AsSpan(2)), Is.EqualTo(new[] { "SCRAM-SHA-512", "PLAIN" }));
        Assert.That(RawKafka.IsClosedByPeer(socket), Is.True, "then the connection is closed");
    }

    [Test]
    public async Task ApiVersions_lists_the_brokers_apis_and_the_SASL_ones_and_other_requests_before_authentication_close_the_connection()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        await using var proxy = new SaslProxy("127.0.0.1", cluster.GetBrokerPort(1), new SaslProxyOptions { Mechanisms = ["PLAIN"], Users = Users, MaxSaslAuthenticateVersion = 1 });
        var broker = RawKafka.ApiVersions(cluster.GetBrokerPort(1));

        var (error, apis) = RawKafka.ApiVersions(proxy.Port);

        Assert.That(error, Is.Zero);
        Assert.That(apis[17], Is.EqualTo(((short)0, (short)1)), "SaslHandshake v0-v1, as Kafka advertises");
        Assert.That(apis[36], Is.EqualTo(((short)0, (short)1)), "SaslAuthenticate up to the configured version");
        Assert.That(apis.Where(a => a.Key is not (17 or 36)), Is.EquivalentTo(broker.Apis), "the broker's own list otherwise");

        using var socket = RawKafka.Connect(proxy.Port);
        Assert.That(RawKafka.Exchange(socket, 3, 1, [0, 0, 0, 0]), Is.Null, "Metadata before authentication: closed");
        Eventually.WaitUntil(() => proxy.Failures.Any(f => f.Contains("before SASL authentication", StringComparison.Ordinal)), "the proxy says why");
    }

    [Test]
    public async Task SaslHandshake_v0_takes_the_tokens_as_bare_frames()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        await using var proxy = new SaslProxy("127.0.0.1", cluster.GetBrokerPort(1), new SaslProxyOptions { Mechanisms = ["PLAIN"], Users = Users });
        using var socket = RawKafka.Connect(proxy.Port);
        Assert.That(BinaryPrimitives.ReadInt16BigEndian(RawKafka.Exchange(socket, 17, 0, KafkaString("PLAIN"))), Is.Zero);

        var token = "\0alice\0alice-secret"u8.ToArray();
        var frame = new byte[4 + token.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, token.Length);
        token.CopyTo(frame, 4);
        socket.Send(frame);
        var answer = new byte[4];
        Assert.That(socket.Receive(answer), Is.EqualTo(4));

        Assert.That(BinaryPrimitives.ReadInt32BigEndian(answer), Is.Zero, "an empty frame: authenticated");
        Assert.That(RawKafka.Exchange(socket, RawKafka.ApiVersionsKey, 0, []), Is.Not.Null, "then requests reach the broker");
        Assert.That(proxy.Authentications.Single().Principal, Is.EqualTo("alice"));
    }

    [Test]
    public async Task Confluent_Kafka_re_authenticates_when_the_session_lifetime_runs_out()
    {
        // librdkafka runs on the wall clock: a short real lifetime, the only way to see it re-authenticate.
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("renewed", 1);
        await using var proxy = new SaslProxy("127.0.0.1", cluster.GetBrokerPort(1), Options("SCRAM-SHA-256", lifetime: TimeSpan.FromSeconds(1.2)));
        cluster.SetBrokerHostPort(1, "127.0.0.1", proxy.Port);
        using var producer = new ProducerBuilder<string, string>(PeerConfig(proxy.Address, "SCRAM-SHA-256")).SetLogHandler((_, _) => { }).Build();

        var delivered = 0;
        while (proxy.ReauthenticationCount == 0 || delivered < 20)
        {
            await producer.ProduceAsync("renewed", new Message<string, string> { Value = "m" + delivered }).WaitAsync(TimeSpan.FromSeconds(20));
            delivered++;
            Assert.That(delivered, Is.LessThan(5000), "librdkafka never re-authenticated");
            await Task.Delay(20);
        }

        Assert.That(proxy.ExpiredSessionsClosed, Is.Zero, "no request arrived after its session expired");
        var renewal = proxy.Authentications.First(a => a.IsReauthentication);
        Assert.That(renewal.Principal, Is.EqualTo("alice"));
        Assert.That(renewal.SessionLifetime, Is.EqualTo(TimeSpan.FromSeconds(1.2)));
    }

    [Test]
    public async Task A_client_that_cannot_learn_the_lifetime_is_closed_on_its_first_request_after_the_session_expired()
    {
        var clock = new ManualClock();
        await using var cluster = MockKafkaCluster.Start(1);
        await using var proxy = new SaslProxy("127.0.0.1", cluster.GetBrokerPort(1), new SaslProxyOptions
        {
            Mechanisms = ["PLAIN"],
            Users = Users,
            SessionLifetime = TimeSpan.FromMinutes(1),
            MaxSaslAuthenticateVersion = 0, // as a broker before 2.2: the client is not told the lifetime
            TimeProvider = clock,
        });
        cluster.SetBrokerHostPort(1, "127.0.0.1", proxy.Port);
        using var admin = new AdminClientBuilder(new AdminClientConfig(PeerConfig(proxy.Address, "PLAIN"))).SetLogHandler((_, _) => { }).Build();
        admin.GetMetadata(TimeSpan.FromSeconds(10));

        // librdkafka may open another connection meanwhile (the broker learnt from metadata): each round moves the clock past
        // every session authenticated so far, so the connection the next request goes to has expired.
        Eventually.WaitUntil(() =>
        {
            clock.Advance(TimeSpan.FromMinutes(2));
            admin.GetMetadata(TimeSpan.FromSeconds(5)); // closed, then answered on a new connection
            return proxy.ExpiredSessionsClosed > 0;
        }, "the expired connection is closed");

        Assert.That(proxy.Authentications.Select(a => a.SaslAuthenticateVersion), Is.All.EqualTo(0));
        Assert.That(proxy.AuthenticationCount, Is.GreaterThanOrEqualTo(2), "librdkafka authenticated again on a new connection");
    }

    private static byte[] KafkaString(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        var result = new byte[bytes.Length + 2];
        BinaryPrimitives.WriteInt16BigEndian(result, (short)bytes.Length);
        bytes.CopyTo(result, 2);
        return result;
    }

    private static List<string> ReadStrings(ReadOnlySpan<byte> array)
    {
        var count = BinaryPrimitives.ReadInt32BigEndian(array);
        var offset = 4;
        var result = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var length = BinaryPrimitives.ReadInt16BigEndian(array[offset..]);
            result.Add(Encoding.UTF8.GetString(array.Slice(offset + 2, length)));
            offset += 2 + length;
        }
        return result;
    }

    /// <summary>A clock that moves only when told to (the proxy's view of time).</summary>
    private sealed class ManualClock : TimeProvider
    {
        private readonly Lock _gate = new();
        private DateTimeOffset _now = DateTimeOffset.UtcNow;

        public override DateTimeOffset GetUtcNow()
        {
            lock (_gate)
            {
                return _now;
            }
        }

        public void Advance(TimeSpan by)
        {
            lock (_gate)
            {
                _now += by;
            }
        }
    }
}
