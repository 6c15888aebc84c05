using System.Net;
using System.Net.Sockets;
using Kafka.Testing.Tests.Support;

namespace Kafka.Testing.Tests;

/// <summary>The forwarding proxy: forwards, cuts, and stalls the connections it is told to.</summary>
public class TcpProxyTests
{
    [Test]
    public async Task Forwards_to_the_broker_and_cutting_closes_the_client_side()
    {
        await using var cluster = MockKafkaCluster.Start();
        await using var proxy = new TcpProxy("127.0.0.1", cluster.GetBrokerPort(1));

        using var socket = RawKafka.Connect(proxy.Port);
        Assert.That(RawKafka.Exchange(socket, RawKafka.ApiVersionsKey, 0, []), Is.Not.Null, "ApiVersions answered through the proxy");
        WaitUntil(() => proxy.OpenCount == 1, "the proxy tracks the open connection");

        proxy.CutAllConnections();

        Assert.That(RawKafka.IsClosedByPeer(socket), Is.True);
        WaitUntil(() => proxy.OpenCount == 0, "the cut connection is forgotten");
        Assert.That(proxy.AcceptedCount, Is.EqualTo(1));
    }

    [Test]
    public async Task A_stalled_connection_is_accepted_but_never_answered_and_the_next_one_is_forwarded()
    {
        await using var cluster = MockKafkaCluster.Start();
        await using var proxy = new TcpProxy("127.0.0.1", cluster.GetBrokerPort(1));
        proxy.StallNextConnections(1);

        using var stalled = RawKafka.Connect(proxy.Port);
        // Bounded wait for an answer that must not come: the broker would answer ApiVersions in milliseconds.
        stalled.ReceiveTimeout = 500;
        var silence = Assert.Throws<SocketException>(() => RawKafka.Exchange(stalled, RawKafka.ApiVersionsKey, 0, []));
        Assert.That(silence!.SocketErrorCode, Is.EqualTo(SocketError.TimedOut));

        using var forwarded = RawKafka.Connect(proxy.Port);
        Assert.That(RawKafka.Exchange(forwarded, RawKafka.ApiVersionsKey, 0, []), Is.Not.Null, "the next connection is forwarded");
        Assert.That(proxy.StalledCount, Is.EqualTo(1));

        // Stalled connections are cut like the others.
        proxy.CutAllConnections();
        stalled.ReceiveTimeout = 10_000;
        Assert.Multiple(() =>
        {
            Assert.That(RawKafka.IsClosedByPeer(stalled), Is.True, "the stalled connection is cut");
            Assert.That(RawKafka.IsClosedByPeer(forwarded), Is.True, "the forwarded connection is cut");
        });
    }

    [Test]
    public async Task Isolating_a_source_cuts_its_connections_and_turns_new_ones_away_while_others_carry_on()
    {
        await using var cluster = MockKafkaCluster.Start();
        await using var proxy = new TcpProxy("127.0.0.1", cluster.GetBrokerPort(1));
        var isolated = IPAddress.Parse("127.0.0.2");
        using var cutOff = RawKafka.Connect(proxy.Port, isolated);
        using var other = RawKafka.Connect(proxy.Port);
        Assert.That(RawKafka.Exchange(cutOff, RawKafka.ApiVersionsKey, 0, []), Is.Not.Null, "forwarded before the isolation");
        WaitUntil(() => proxy.OpenCount == 2, "both connections are open");

        proxy.IsolateSource(isolated);

        Assert.That(RawKafka.IsClosedByPeer(cutOff), Is.True, "the isolated source's connection is cut");
        using var again = RawKafka.Connect(proxy.Port, isolated);
        Assert.That(RawKafka.IsClosedByPeer(again), Is.True, "a new connection from it is closed on arrival");
        Assert.That(proxy.TurnedAwayCount, Is.EqualTo(1));
        Assert.That(RawKafka.Exchange(other, RawKafka.ApiVersionsKey, 0, []), Is.Not.Null, "a connection from another address carries on");
        using var newOther = RawKafka.Connect(proxy.Port);
        Assert.That(RawKafka.Exchange(newOther, RawKafka.ApiVersionsKey, 0, []), Is.Not.Null, "and new ones from it are forwarded");
    }
}
