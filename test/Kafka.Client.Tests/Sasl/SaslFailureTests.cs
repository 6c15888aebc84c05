using System.Globalization;
using Kafka.Testing;
using Microsoft.Extensions.Time.Testing;
using static Kafka.Client.Tests.Sasl.SaslTestSupport;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Sasl;

/// <summary>What the client says when authentication fails, and that it neither loops nor hangs.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class SaslFailureTests
{
    /// <summary>Runs a cluster update that must fail, returning the one attempt's error.</summary>
    private static async Task<TException> UpdateFailsWith<TException>(KafkaClient client) where TException : Exception
    {
        var outer = Assert.ThrowsAsync<NoBrokersAvailableException>(() => client.UpdateClusterAsync(Timeout()));
        var error = outer!.Attempts.Single().Value;
        await TestContext.Out.WriteLineAsync($"{error.GetType().Name}: {error.Message}");
        Assert.That(error, Is.InstanceOf<TException>(), error.ToString());
        Assert.That(outer.IsRetriable, Is.EqualTo(error is KafkaException { IsRetriable: true }));
        return (TException)error;
    }

    [TestCase("PLAIN", SaslServerLibrary.Cyrus, "alice", "wrong")]
    [TestCase("PLAIN", SaslServerLibrary.Cyrus, "mallory", "any-secret")]
    [TestCase("SCRAM-SHA-256", SaslServerLibrary.Cyrus, "alice", "wrong")]
    [TestCase("SCRAM-SHA-256", SaslServerLibrary.Cyrus, "mallory", "any-secret")]
    [TestCase("SCRAM-SHA-512", SaslServerLibrary.Cyrus, "alice", "wrong")]
    [TestCase("SCRAM-SHA-512", SaslServerLibrary.Cyrus, "mallory", "any-secret")]
    [TestCase("SCRAM-SHA-256", SaslServerLibrary.Gnu, "alice", "wrong")]
    [TestCase("PLAIN", SaslServerLibrary.Gnu, "mallory", "any-secret")]
    public async Task Wrong_credentials_are_an_authentication_error_naming_the_broker_and_mechanism_never_the_secret(
        string mechanism, SaslServerLibrary library, string user, string password)
    {
        await using var sasl = SaslCluster.Start(SaslCluster.Options(mechanism, library));
        await using var client = NewClient(sasl, Config(mechanism, user, password), tls: false);

        var error = await UpdateFailsWith<KafkaAuthenticationException>(client);

        Assert.That(error.IsRetriable, Is.False);
        Assert.That(error.SaslMechanism, Is.EqualTo(mechanism));
        Assert.That(error.Port, Is.EqualTo(sasl.Proxies[1].Port));
        Assert.That(error.Message, Does.Contain(sasl.Bootstrap).And.Contain(mechanism).And.Contain(user));
        Assert.That(error.ToString(), Does.Not.Contain(password));
        Assert.That(sasl.Proxies[1].AuthenticationCount, Is.Zero);
    }

    [Test]
    public async Task A_mechanism_the_broker_does_not_enable_is_refused_listing_those_it_does()
    {
        await using var sasl = SaslCluster.Start(new SaslProxyOptions { Mechanisms = ["SCRAM-SHA-512", "OAUTHBEARER"], Users = SaslCluster.Users });
        await using var client = NewClient(sasl, Config("PLAIN"), tls: false);

        var error = await UpdateFailsWith<KafkaAuthenticationException>(client);

        Assert.That(error.Message, Does.Contain("does not enable SASL mechanism PLAIN").And.Contain("it enables: SCRAM-SHA-512, OAUTHBEARER"));
    }

    [Test]
    public async Task A_SASL_client_at_a_port_without_SASL_is_told_so()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        await using var client = NewClient(cluster, o => o.Sasl = Config("SCRAM-SHA-256"));

        var error = await UpdateFailsWith<KafkaAuthenticationException>(client);

        Assert.That(error.Message, Does.Contain("does not offer SASL"));
    }

    [Test]
    public async Task A_client_without_SASL_at_a_SASL_listener_is_told_to_set_Sasl()
    {
        await using var sasl = SaslCluster.Start(SaslCluster.Options("PLAIN"));
        await using var client = NewClient(sasl.Bootstrap);

        var error = await UpdateFailsWith<KafkaConnectionException>(client);

        Assert.That(error.Message, Does.Contain("if the listener requires SASL").And.Contain("set Sasl"));
        Assert.That(sasl.Failures.Single(), Does.Contain("before SASL authentication"));
    }

    [Test]
    public async Task A_failed_authentication_is_retried_only_after_the_reconnect_backoff()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var sasl = SaslCluster.Start(SaslCluster.Options("SCRAM-SHA-256"));
        await using var client = NewClient(sasl, Config("SCRAM-SHA-256", password: "wrong"), tls: false, time: clock, configure: o =>
        {
            o.ReconnectBackoff = TimeSpan.FromSeconds(1);
            o.ReconnectBackoffMax = TimeSpan.FromSeconds(10);
        });
        await UpdateFailsWith<KafkaAuthenticationException>(client);
        Assert.That(sasl.Proxies[1].AcceptedCount, Is.EqualTo(1));

        var second = client.UpdateClusterAsync(Timeout());
        clock.Advance(TimeSpan.FromMilliseconds(500)); // within the backoff (1 s, ±20%)
        var early = await Task.WhenAny(second, Task.Delay(TimeSpan.FromMilliseconds(300))) == second;

        Assert.That(early, Is.False, "the second attempt waited for the backoff");
        Assert.That(sasl.Proxies[1].AcceptedCount, Is.EqualTo(1), "no connection within the backoff");
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.ThrowsAsync<NoBrokersAvailableException>(() => second);
        Assert.That(sasl.Proxies[1].AcceptedCount, Is.EqualTo(2), "one more attempt once the backoff passed");
    }

    [Test]
    public async Task An_authentication_step_that_never_answers_fails_with_the_connect_timeout()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var sasl = SaslCluster.Start(SaslCluster.Options("PLAIN"));
        await using var silent = new TamperingProxy("127.0.0.1", sasl.Proxies[1].Port, swallowAuthenticate: true);
        await using var client = NewClient(sasl, Config("PLAIN"), tls: false, time: clock, configure: o =>
        {
            o.Hosts = silent.Address;
            o.ConnectTimeout = TimeSpan.FromSeconds(5);
        });

        var update = client.UpdateClusterAsync(Timeout());
        await WaitUntilAsync(() => Task.FromResult(silent.Swallowed > 0), "the SaslAuthenticate request to be swallowed");
        Assert.That(update.IsCompleted, Is.False, "it waits for the answer");
        clock.Advance(TimeSpan.FromSeconds(5));

        var outer = Assert.ThrowsAsync<NoBrokersAvailableException>(() => update);
        var error = outer!.Attempts.Single().Value;
        TestContext.Out.WriteLine(error.Message);
        Assert.That(error, Is.InstanceOf<KafkaTimeoutException>());
        Assert.That(((KafkaTimeoutException)error).Timeout, Is.EqualTo(TimeSpan.FromSeconds(5)), "the connect timeout");
        Assert.That(error.Message, Does.Contain("SASL").Or.Contain("SaslAuthenticate"));
    }

    [TestCase("SCRAM-SHA-256")]
    [TestCase("SCRAM-SHA-512")]
    public async Task A_broker_that_cannot_prove_it_knows_the_password_is_refused(string mechanism)
    {
        await using var sasl = SaslCluster.Start(SaslCluster.Options(mechanism));
        await using var forger = new TamperingProxy("127.0.0.1", sasl.Proxies[1].Port, forgeServerSignature: true);
        await using var client = NewClient(sasl, Config(mechanism), tls: false, configure: o => o.Hosts = forger.Address);

        var error = await UpdateFailsWith<KafkaAuthenticationException>(client);

        Assert.That(error.Message, Does.Contain("server signature is wrong"));
        Assert.That(sasl.Proxies[1].AuthenticationCount, Is.EqualTo(1), "the real server accepted the client; the client refused the forged answer");
    }

    [Test]
    public async Task A_refused_token_is_reported_with_the_brokers_status()
    {
        await using var sasl = SaslCluster.Start(new SaslProxyOptions { Mechanisms = ["OAUTHBEARER"], OAuthBearerRequiredScopes = ["admin"] });
        await using var client = NewClient(sasl, Config("OAUTHBEARER"), tls: false);

        var error = await UpdateFailsWith<KafkaAuthenticationException>(client);

        Assert.That(error.Message, Does.Contain("insufficient_scope"));
        Assert.That(sasl.Proxies[1].Failures.Single(), Does.Contain("lacks the scope(s) admin"));
    }

    [Test]
    public async Task A_token_provider_that_fails_is_an_authentication_error_with_its_reason()
    {
        await using var sasl = SaslCluster.Start(SaslCluster.Options("OAUTHBEARER"));
        await using var client = NewClient(sasl, new SaslConfig
        {
            Mechanism = SaslMechanism.OAuthBearer,
            OAuthBearerTokenProvider = _ => throw new InvalidOperationException("the identity provider is down"),
        }, tls: false);

        var error = await UpdateFailsWith<KafkaAuthenticationException>(client);

        Assert.That(error.Message, Does.Contain("token provider").And.Contain("the identity provider is down"));
        Assert.That(sasl.Proxies[1].AcceptedCount, Is.EqualTo(1));
    }

    [Test]
    public async Task A_broker_that_cannot_tell_the_lifetime_closes_the_expired_connection_and_the_client_reconnects()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var sasl = SaslCluster.Start(new SaslProxyOptions
        {
            Mechanisms = ["PLAIN"],
            Users = SaslCluster.Users,
            SessionLifetime = TimeSpan.FromMinutes(1),
            MaxSaslAuthenticateVersion = 0,
            TimeProvider = clock,
        });
        sasl.Cluster.CreateTopic("t", 1);
        await using var client = NewClient(sasl, Config("PLAIN"), tls: false, time: clock);
        await client.UpdateClusterAsync(Timeout());
        await client.Topics["t"].LatestAvailableOffsetsAsync(Timeout()); // the connection the next lookup reuses
        Assert.That(sasl.Authentications.Select(a => a.SaslAuthenticateVersion), Is.All.Zero, "SaslAuthenticate v0: no lifetime told");

        clock.Advance(TimeSpan.FromMinutes(2));
        // The first request on the expired session closes the connection; the lookup is retried (after a backoff on the
        // client's clock) on a new one.
        var lookup = client.Topics["t"].LatestAvailableOffsetsAsync(Timeout());
        await WaitUntilAsync(() => lookup.IsCompleted, "the lookup to be retried on a new connection",
            step: () => clock.Advance(TimeSpan.FromMilliseconds(100)));

        Assert.That((await lookup)[0], Is.Zero);
        Assert.That(sasl.Proxies[1].ExpiredSessionsClosed, Is.EqualTo(1));
        Assert.That(sasl.Proxies[1].AuthenticationCount, Is.GreaterThanOrEqualTo(2), "a new connection authenticated");
    }

    [Test]
    public async Task A_token_is_fetched_again_before_it_expires_and_the_connection_re_authenticates_with_it()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var sasl = SaslCluster.Start(new SaslProxyOptions { Mechanisms = ["OAUTHBEARER"], TimeProvider = clock });
        var fetched = 0;
        var config = new SaslConfig
        {
            Mechanism = SaslMechanism.OAuthBearer,
            OAuthBearerTokenProvider = _ =>
            {
                var n = Interlocked.Increment(ref fetched);
                return ValueTask.FromResult(OAuthBearerToken.CreateUnsecured("svc",
                    TimeSpan.FromMinutes(10), extensions: new Dictionary<string, string> { ["fetch"] = "n" + n.ToString(CultureInfo.InvariantCulture) }, timeProvider: clock));
            },
        };
        await using var client = NewClient(sasl, config, tls: false, time: clock, configure: o =>
        {
            o.SocketTimeout = TimeSpan.FromHours(1);
            o.ConnectTimeout = TimeSpan.FromHours(1);
        });
        await client.UpdateClusterAsync(Timeout());
        await client.Brokers[1].GetConnectionAsync(Internal.ConnectionKind.General, Timeout()); // an open, idle connection
        var first = sasl.Authentications.Last();
        Assert.That(first.SessionLifetime, Is.LessThanOrEqualTo(TimeSpan.FromMinutes(10)), "the session ends with the token");
        Assert.That(fetched, Is.EqualTo(1), "one token for both connections");

        var sessions = new SessionClock(clock, sasl.Proxies.Values, TimeSpan.FromMinutes(10));
        await sessions.RunUntilAsync(() => sasl.Proxies[1].ReauthenticationCount >= 2, "two re-authentications");

        var renewals = sasl.Authentications.Where(a => a.IsReauthentication).ToList();
        Assert.That(fetched, Is.GreaterThanOrEqualTo(3), "a token per session: fetched again before each one ended");
        Assert.That(renewals.Select(a => a.Extensions["fetch"]), Is.Unique, "each re-authentication sent a new token");
        Assert.That(renewals.Select(a => a.ConnectionId), Does.Contain(first.ConnectionId), "the idle connection renewed its session");
        Assert.That(sasl.Proxies[1].ExpiredSessionsClosed, Is.Zero);
    }
}
