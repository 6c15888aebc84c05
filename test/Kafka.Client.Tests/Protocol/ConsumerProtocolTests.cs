using Kafka.Client.Protocol;

namespace Kafka.Client.Tests.Protocol;

public sealed class ConsumerProtocolTests
{
    private static readonly ConsumerProtocolSubscription Subscription = new(
        ["t", "u"], UserData: null, OwnedPartitions: [new("t", 0), new("t", 2), new("u", 1)], GenerationId: 7, RackId: "r");

    private static string Normalize(string hex) => Hex.Format(Hex.Parse(hex));

    // topics [t, u], user data null; v1 owned [t: 0 2, u: 1]; v2 generation 7; v3 rack "r".
    [TestCase((short)0, "0000 00000002 0001 74 0001 75 ffffffff")]
    [TestCase((short)1, "0001 00000002 0001 74 0001 75 ffffffff 00000002 0001 74 00000002 00000000 00000002 0001 75 00000001 00000001")]
    [TestCase((short)2, "0002 00000002 0001 74 0001 75 ffffffff 00000002 0001 74 00000002 00000000 00000002 0001 75 00000001 00000001 00000007")]
    [TestCase((short)3, "0003 00000002 0001 74 0001 75 ffffffff 00000002 0001 74 00000002 00000000 00000002 0001 75 00000001 00000001 00000007 0001 72")]
    public void Subscription_every_version(short version, string hex)
    {
        var bytes = ConsumerProtocol.WriteSubscription(Subscription, version);
        Assert.That(Hex.Format(bytes), Is.EqualTo(Normalize(hex)));

        var read = ConsumerProtocol.ReadSubscription(bytes);
        Assert.That(read.Version, Is.EqualTo(version));
        Assert.That(read.Topics, Is.EqualTo(new[] { "t", "u" }));
        Assert.That(read.UserData, Is.Null);
        Assert.That(read.OwnedPartitions, Is.EqualTo(version >= 1 ? Subscription.OwnedPartitions : Array.Empty<TopicAndPartition>()));
        Assert.That(read.GenerationId, Is.EqualTo(version >= 2 ? 7 : -1));
        Assert.That(read.RackId, Is.EqualTo(version >= 3 ? "r" : null));
    }

    [Test]
    public void Subscription_v0_fixed_vector_with_user_data()
    {
        // As the Java client and librdkafka write a v0 subscription: version 0, topics ["orders"], user data 01 02 03.
        var read = ConsumerProtocol.ReadSubscription(Hex.Parse("0000 00000001 0006 6f7264657273 00000003 010203"));
        Assert.That(read.Topics, Is.EqualTo(new[] { "orders" }));
        Assert.That(read.UserData!.Value.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3 }));
        Assert.That(read.OwnedPartitions, Is.Empty);
    }

    [Test]
    public void A_newer_subscription_version_is_read_as_the_newest_known_ignoring_what_follows()
    {
        var v3 = ConsumerProtocol.WriteSubscription(Subscription, 3);
        var v4 = (byte[])[.. v3, 0xde, 0xad];
        v4[1] = 4;
        var read = ConsumerProtocol.ReadSubscription(v4);
        Assert.That(read.Version, Is.EqualTo(4));
        Assert.That(read.RackId, Is.EqualTo("r"));
        Assert.That(read.OwnedPartitions, Has.Count.EqualTo(3));
    }

    [Test]
    public void A_malformed_subscription_is_a_protocol_error()
    {
        Assert.Throws<KafkaProtocolException>(() => ConsumerProtocol.ReadSubscription(Hex.Parse("ffff 00000000 ffffffff")));
        Assert.Throws<KafkaProtocolException>(() => ConsumerProtocol.ReadSubscription(Hex.Parse("0000 7fffffff")));
        var bytes = ConsumerProtocol.WriteSubscription(Subscription, 3);
        for (var length = 0; length < bytes.Length; length++)
        {
            var truncated = bytes[..length];
            Assert.Throws<KafkaProtocolException>(() => ConsumerProtocol.ReadSubscription(truncated), $"cut at {length}");
        }
    }

    // partitions [t: 0 1, u: 3], user data null: the same layout in every version.
    [TestCase((short)0)]
    [TestCase((short)1)]
    [TestCase((short)2)]
    [TestCase((short)3)]
    public void Assignment_every_version(short version)
    {
        var assignment = new ConsumerProtocolAssignment([new("t", 0), new("t", 1), new("u", 3)]);
        var bytes = ConsumerProtocol.WriteAssignment(assignment, version);
        Assert.That(Hex.Format(bytes), Is.EqualTo(Normalize(
            $"000{version} 00000002 0001 74 00000002 00000000 00000001 0001 75 00000001 00000003 ffffffff")));
        var read = ConsumerProtocol.ReadAssignment(bytes);
        Assert.That(read.Version, Is.EqualTo(version));
        Assert.That(read.Partitions, Is.EqualTo(assignment.Partitions));
        Assert.That(read.UserData, Is.Null);
    }

    [Test]
    public void Assignment_with_user_data_and_no_partitions()
    {
        var bytes = ConsumerProtocol.WriteAssignment(new ConsumerProtocolAssignment([], new byte[] { 0xAB }), 1);
        Assert.That(Hex.Format(bytes), Is.EqualTo(Normalize("0001 00000000 00000001 ab")));
        Assert.That(ConsumerProtocol.ReadAssignment(bytes).UserData!.Value.ToArray(), Is.EqualTo(new byte[] { 0xAB }));
    }

    [Test]
    public void No_assignment_bytes_is_an_empty_assignment() =>
        Assert.That(ConsumerProtocol.ReadAssignment([]).Partitions, Is.Empty);

    [Test]
    public void A_malformed_assignment_is_a_protocol_error()
    {
        Assert.Throws<KafkaProtocolException>(() => ConsumerProtocol.ReadAssignment(Hex.Parse("0000 00000001 0001 74 7fffffff")));
        Assert.Throws<KafkaProtocolException>(() => ConsumerProtocol.ReadAssignment(Hex.Parse("0000")));
    }

    [Test]
    public void Versions_outside_0_to_3_are_not_written()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ConsumerProtocol.WriteSubscription(Subscription, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConsumerProtocol.WriteAssignment(new ConsumerProtocolAssignment([]), -1));
    }
}
