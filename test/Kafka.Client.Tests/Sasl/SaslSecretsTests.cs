using Kafka.Client.Tests.Support;
using Kafka.Testing;
using Microsoft.Extensions.Time.Testing;
using static Kafka.Client.Tests.Sasl.SaslTestSupport;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Sasl;

/// <summary>Passwords, SCRAM keys and tokens appear in no log line at Trace level and in no exception, success or failure.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class SaslSecretsTests
{
    [Test]
    public async Task No_secret_reaches_the_logs_or_the_exceptions()
    {
        var logs = new CapturingLoggerFactory();
        var errors = new List<Exception>();
        var secrets = new List<string>(SaslCluster.Users.Values) { "wrong-Pa55word" };

        foreach (var mechanism in new[] { "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512" })
        {
            await using var sasl = SaslCluster.Start(SaslCluster.Options(mechanism));
            sasl.Cluster.CreateTopic("t", 1);
            await using (var good = NewClient(sasl, Config(mechanism), tls: false, logs))
            {
                await good.UpdateClusterAsync(Timeout());
                await good.Topics["t"].LatestAvailableOffsetsAsync(Timeout());
            }
            await using var bad = NewClient(sasl, Config(mechanism, password: "wrong-Pa55word"), tls: false, logs);
            errors.Add(Assert.ThrowsAsync<NoBrokersAvailableException>(() => bad.UpdateClusterAsync(Timeout()))!);
        }

        // OAUTHBEARER, renewed once on a fake clock, then refused.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var tokens = new List<string>();
        await using (var sasl = SaslCluster.Start(new SaslProxyOptions { Mechanisms = ["OAUTHBEARER"], TimeProvider = clock }))
        {
            await using var client = NewClient(sasl, new SaslConfig
            {
                Mechanism = SaslMechanism.OAuthBearer,
                OAuthBearerTokenProvider = _ =>
                {
                    var token = OAuthBearerToken.CreateUnsecured("svc", TimeSpan.FromMinutes(5), timeProvider: clock);
                    lock (tokens)
                    {
                        tokens.Add(token.Value);
                    }
                    return ValueTask.FromResult(token);
                },
            }, tls: false, logs, clock, o => { o.SocketTimeout = TimeSpan.FromHours(1); o.ConnectTimeout = TimeSpan.FromHours(1); });
            await client.UpdateClusterAsync(Timeout());
            await client.Brokers[1].GetConnectionAsync(Internal.ConnectionKind.General, Timeout());
            await new SessionClock(clock, sasl.Proxies.Values, TimeSpan.FromMinutes(5)).RunUntilAsync(() => sasl.Proxies[1].ReauthenticationCount > 0 && logs.Entries.Any(IsReauthenticated), "a renewal the client logged");
        }
        await using (var sasl = SaslCluster.Start(new SaslProxyOptions { Mechanisms = ["OAUTHBEARER"], OAuthBearerRequiredScopes = ["none-granted"] }))
        {
            await using var refused = NewClient(sasl, new SaslConfig
            {
                Mechanism = SaslMechanism.OAuthBearer,
                OAuthBearerTokenProvider = _ =>
                {
                    var token = OAuthBearerToken.CreateUnsecured("svc", TimeSpan.FromMinutes(5));
                    lock (tokens)
                    {
                        tokens.Add(token.Value);
                    }
                    return ValueTask.FromResult(token);
                },
            }, tls: false, logs);
            errors.Add(Assert.ThrowsAsync<NoBrokersAvailableException>(() => refused.UpdateClusterAsync(Timeout()))!);
        }
        secrets.AddRange(tokens);
        // The token's claims and signature-less body, as they would appear if a token were logged in part.
        secrets.AddRange(tokens.Select(t => t.Split('.')[1]));

        var text = string.Join(Environment.NewLine, logs.Entries) + string.Join(Environment.NewLine, errors.Select(e => e.ToString()));
        Assert.That(logs.Entries.Count(e => e.Contains("Sasl", StringComparison.Ordinal)), Is.GreaterThan(5), "SASL logged what it did");
        Assert.That(logs.Entries.Any(IsReauthenticated), Is.True);
        foreach (var secret in secrets.Distinct())
        {
            Assert.That(text, Does.Not.Contain(secret), "a secret was logged or thrown");
        }
    }

    // The proxy counts a renewal when it answers; the client logs it once it has read that answer.
    private static bool IsReauthenticated(string entry) =>
        entry.StartsWith("Debug", StringComparison.Ordinal) && entry.Contains("Re-authenticated", StringComparison.Ordinal);
}
