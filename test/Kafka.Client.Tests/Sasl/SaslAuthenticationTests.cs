using Kafka.Client.Internal;
using Kafka.Client.Tests.Support;
using Kafka.Testing;
using static Kafka.Client.Tests.Sasl.SaslTestSupport;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Sasl;

/// <summary>
/// Each mechanism against a server side this project did not write (Cyrus SASL, GNU SASL, Kafka's unsecured
/// OAUTHBEARER validation), over plaintext and over TLS. The triangle: librdkafka's client authenticates through the same
/// proxies first, then ours does.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class SaslAuthenticationTests
{
    public static IEnumerable<TestCaseData> Mechanisms()
    {
        foreach (var tls in new[] { false, true })
        {
            yield return new TestCaseData("PLAIN", SaslServerLibrary.Cyrus, tls);
            yield return new TestCaseData("SCRAM-SHA-256", SaslServerLibrary.Cyrus, tls);
            yield return new TestCaseData("SCRAM-SHA-512", SaslServerLibrary.Cyrus, tls);
            yield return new TestCaseData("PLAIN", SaslServerLibrary.Gnu, tls);
            yield return new TestCaseData("SCRAM-SHA-256", SaslServerLibrary.Gnu, tls);
            yield return new TestCaseData("OAUTHBEARER", SaslServerLibrary.Cyrus, tls);
        }
    }

    [TestCaseSource(nameof(Mechanisms))]
    public async Task The_peer_then_our_client_authenticate_every_connection(string mechanism, SaslServerLibrary library, bool tls)
    {
        await using var sasl = SaslCluster.Start(SaslCluster.Options(mechanism, library), brokers: 3, tls: tls);
        sasl.Cluster.CreateTopic("secured", partitions: 3);
        for (var p = 0; p < 3; p++)
        {
            sasl.Cluster.SetPartitionLeader("secured", p, p + 1);
        }

        using (var admin = PeerAdmin(sasl, mechanism, tls))
        {
            Assert.That(admin.GetMetadata("secured", TimeSpan.FromSeconds(10)).Topics.Single().Partitions, Has.Count.EqualTo(3), "the peer reads metadata");
        }
        var peer = sasl.Authentications.Count();
        Assert.That(peer, Is.GreaterThan(0), "librdkafka authenticated through the proxies");

        await using var client = NewClient(sasl, Config(mechanism), tls);
        await client.UpdateClusterAsync(Timeout());
        var offsets = await client.Topics["secured"].LatestAvailableOffsetsAsync(Timeout());
        foreach (var kind in Enum.GetValues<ConnectionKind>())
        {
            var connection = await client.Brokers[1].GetConnectionAsync(kind, Timeout());
            Assert.That(connection.IsAlive, Is.True, kind.ToString());
        }

        Assert.That(offsets, Has.Count.EqualTo(3));
        var ours = sasl.Authentications.ToList();
        Assert.That(ours, Has.Count.GreaterThanOrEqualTo(peer + 3 + 4), "the seed, the leaders learnt from metadata and every traffic class authenticated");
        Assert.That(sasl.Proxies.Values.All(p => p.AuthenticationCount >= 1), Is.True, "every broker was reached through its proxy");
        Assert.That(ours.Select(a => a.Mechanism), Is.All.EqualTo(mechanism));
        Assert.That(ours.Select(a => a.Principal), Is.All.EqualTo("alice"));
        Assert.That(ours.Select(a => a.SaslAuthenticateVersion).Distinct(), Does.Contain((short)2), "our client speaks SaslAuthenticate v2");
        Assert.That(sasl.Failures, Is.Empty);
    }
}
