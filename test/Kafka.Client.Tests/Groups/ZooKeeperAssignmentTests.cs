using Kafka.Client.Internal.Groups;

namespace Kafka.Client.Tests.Groups;

/// <summary>
/// The share each member of a ZooKeeper-coordinated group computes. The expected shares were computed by pykafka's own
/// <c>decide_partitions_range</c> and <c>decide_partitions_roundrobin</c> (pykafka 2.8, membershipprotocol.py) on the
/// same inputs: a member that computed anything else would claim partitions pykafka members think are theirs.
/// </summary>
public sealed class ZooKeeperAssignmentTests
{
    private static ZooKeeperPartition[] Partitions(int count, Func<int, int> leader) =>
        [.. Enumerable.Range(0, count).Select(p => new ZooKeeperPartition(p, leader(p)))];

    private static int[] Share(string protocol, string[] members, ZooKeeperPartition[] partitions, string member) =>
        [.. ZooKeeperAssignment.Decide(protocol, members, partitions, member).Select(p => p.PartitionId).Order()];

    // 12 partitions led by brokers 1, 2, 3 in turn: the order is "1-0", "1-3", "1-6", "1-9", "2-1", "2-10", ...
    [TestCase("range", "host-a:1", new[] { 0, 3, 6, 9 })]
    [TestCase("range", "host-b:2", new[] { 1, 4, 7, 10 })]
    [TestCase("range", "host-c:3", new[] { 2, 5, 8, 11 })]
    [TestCase("roundrobin", "host-a:1", new[] { 0, 2, 4, 9 })]
    [TestCase("roundrobin", "host-b:2", new[] { 1, 3, 5, 7 })]
    [TestCase("roundrobin", "host-c:3", new[] { 6, 8, 10, 11 })]
    public void Twelve_partitions_over_three_leaders_are_dealt_as_pykafka_deals_them(string protocol, string member, int[] expected)
    {
        string[] members = ["host-c:3", "host-a:1", "host-b:2"];
        Assert.That(Share(protocol, members, Partitions(12, p => (p % 3) + 1), member), Is.EqualTo(expected));
    }

    // Leaders 10, 2 and 3: "10-0" sorts before "2-1"; members sort by bytes, so "M:5" comes before "a:1".
    [TestCase("range", "z:9", new[] { 5, 8 })]
    [TestCase("range", "a:1", new[] { 1, 6, 9 })]
    [TestCase("range", "M:5", new[] { 0, 3, 12 })]
    [TestCase("range", "b:0", new[] { 2, 11 })]
    [TestCase("range", "a:10", new[] { 4, 7, 10 })]
    [TestCase("roundrobin", "z:9", new[] { 9, 11 })]
    [TestCase("roundrobin", "a:1", new[] { 5, 10, 12 })]
    [TestCase("roundrobin", "M:5", new[] { 0, 1, 2 })]
    [TestCase("roundrobin", "b:0", new[] { 6, 7 })]
    [TestCase("roundrobin", "a:10", new[] { 3, 4, 8 })]
    public void Multi_digit_leaders_and_mixed_case_ids_sort_as_strings(string protocol, string member, int[] expected)
    {
        string[] members = ["z:9", "a:1", "M:5", "b:0", "a:10"];
        int[] leaders = [10, 2, 3];
        Assert.That(Share(protocol, members, Partitions(13, p => leaders[p % 3]), member), Is.EqualTo(expected));
    }

    [TestCase("range")]
    [TestCase("roundrobin")]
    public void More_members_than_partitions_leaves_the_last_members_without_any(string protocol)
    {
        var members = Enumerable.Range(0, 7).Select(k => $"c{k}:x").ToArray();
        var partitions = Partitions(5, _ => 1);
        for (var k = 0; k < 7; k++)
        {
            Assert.That(Share(protocol, members, partitions, members[k]), Is.EqualTo(k < 5 ? new[] { k } : Array.Empty<int>()), members[k]);
        }
    }

    [Test]
    public void Every_partition_goes_to_exactly_one_member()
    {
        string[] members = ["b:2", "a:1", "c:3", "d:4"];
        var partitions = Partitions(30, p => p % 7);
        foreach (var protocol in new[] { "range", "roundrobin" })
        {
            var all = members.SelectMany(m => Share(protocol, members, partitions, m)).ToList();
            Assert.That(all, Is.EquivalentTo(Enumerable.Range(0, 30)), protocol);
        }
    }

    [Test]
    public void Owner_node_names_are_leader_dash_partition_and_read_back_to_the_partition()
    {
        Assert.That(ZooKeeperAssignment.OwnerNodeName(3, 11), Is.EqualTo("3-11"));
        Assert.That(ZooKeeperAssignment.OwnerNodeName(-1, 4), Is.EqualTo("-1-4"));
        Assert.That(ZooKeeperAssignment.TryParseOwnerNodeName("3-11", out var pid) ? pid : -99, Is.EqualTo(11));
        Assert.That(ZooKeeperAssignment.TryParseOwnerNodeName("-1-4", out pid) ? pid : -99, Is.EqualTo(4));
        Assert.That(ZooKeeperAssignment.TryParseOwnerNodeName("11", out _), Is.False);
        Assert.That(ZooKeeperAssignment.TryParseOwnerNodeName("3-x", out _), Is.False);
        Assert.That(ZooKeeperAssignment.TryParseOwnerNodeName("3-+1", out _), Is.False);
    }

    [Test]
    public void Only_range_and_roundrobin_are_supported_and_the_member_must_take_part()
    {
        Assert.That(ZooKeeperAssignment.IsSupported("range") && ZooKeeperAssignment.IsSupported("roundrobin"));
        Assert.That(ZooKeeperAssignment.IsSupported("sticky"), Is.False);
        Assert.Throws<ArgumentException>(() => ZooKeeperAssignment.Decide("sticky", ["a"], Partitions(1, _ => 1), "a"));
        Assert.Throws<ArgumentException>(() => ZooKeeperAssignment.Decide("range", ["a"], Partitions(1, _ => 1), "b"));
    }
}
