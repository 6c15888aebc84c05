using System.Globalization;
using System.Text;

namespace Kafka.Client.Internal.Groups;

/// <summary>
/// How the members of a ZooKeeper-coordinated group split a topic's partitions, exactly as pykafka's
/// <c>BalancedConsumer</c> members do: each member computes its own share from the same two lists, so every member of
/// the group, ours and pykafka's, must compute it the same way.
/// </summary>
/// <remarks>
/// <para>
/// The participants (consumer ids) are sorted by their UTF-8 bytes. The partitions are sorted by the string
/// <c>&lt;leader id&gt;-&lt;partition id&gt;</c> compared character by character (pykafka sorts by
/// <c>topic-leader-partition</c>, and the topic is the same for all), so partition 10 comes before partition 2 and
/// the order follows the leaders. That is a quirk Kafka's own assignors do not have, but a member that ordered them
/// otherwise would claim partitions the pykafka members think are theirs.
/// </para>
/// <para>
/// Range: with P partitions and C participants, the participant at index i gets the slice starting at
/// <c>(P / C) * i + min(i, P % C)</c> of length <c>P / C</c>, plus one when <c>i &lt; P % C</c>. Round-robin:
/// the partition at index k goes to the participant at index <c>k % C</c>.
/// </para>
/// </remarks>
internal static class ZooKeeperAssignment
{
    /// <summary>Whether members can balance with the protocol of this name through ZooKeeper.</summary>
    public static bool IsSupported(string protocolName) =>
        protocolName is RangeAssignor.ProtocolName or RoundRobinAssignor.ProtocolName;

    /// <summary>The name of the owner node a member creates to claim a partition: <c>&lt;leader id&gt;-&lt;partition id&gt;</c>.</summary>
    public static string OwnerNodeName(int leaderId, int partitionId) =>
        string.Create(CultureInfo.InvariantCulture, $"{leaderId}-{partitionId}");

    /// <summary>The partition id an owner node names (its text after the last '-'), as pykafka reads it back.</summary>
    public static bool TryParseOwnerNodeName(string name, out int partitionId)
    {
        partitionId = -1;
        var dash = name.LastIndexOf('-');
        return dash > 0
            && int.TryParse(name.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out partitionId);
    }

    /// <summary>Orders consumer ids as pykafka does: by their UTF-8 bytes.</summary>
    public static int CompareParticipants(string x, string y) =>
        Encoding.UTF8.GetBytes(x).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(y));

    /// <summary>The partitions <paramref name="consumerId"/> owns, in the order the protocol deals them.</summary>
    /// <param name="protocolName"><c>range</c> or <c>roundrobin</c>.</param>
    /// <param name="participants">The consumer ids of the members of the group that consume the topic (in any order); it includes <paramref name="consumerId"/>.</param>
    /// <param name="partitions">The topic's partitions with their leaders' broker ids (-1 when there is none).</param>
    /// <param name="consumerId">The member whose share is computed.</param>
    /// <exception cref="ArgumentException"><paramref name="consumerId"/> is not a participant, or the protocol is not supported.</exception>
    public static IReadOnlyList<ZooKeeperPartition> Decide(
        string protocolName, IReadOnlyCollection<string> participants, IReadOnlyCollection<ZooKeeperPartition> partitions, string consumerId)
    {
        var members = participants.Distinct(StringComparer.Ordinal).ToArray();
        Array.Sort(members, CompareParticipants);
        var index = Array.IndexOf(members, consumerId);
        if (index < 0)
        {
            throw new ArgumentException($"'{consumerId}' is not one of the participants.", nameof(consumerId));
        }
        var ordered = partitions.OrderBy(p => OwnerNodeName(p.LeaderId, p.PartitionId), StringComparer.Ordinal).ToArray();
        switch (protocolName)
        {
            case RangeAssignor.ProtocolName:
                var perMember = ordered.Length / members.Length;
                var withExtra = ordered.Length % members.Length;
                var start = (perMember * index) + Math.Min(index, withExtra);
                var count = perMember + (index < withExtra ? 1 : 0);
                return ordered[start..(start + count)];
            case RoundRobinAssignor.ProtocolName:
                var mine = new List<ZooKeeperPartition>();
                for (var k = 0; k < ordered.Length; k++)
                {
                    if (k % members.Length == index)
                    {
                        mine.Add(ordered[k]);
                    }
                }
                return mine;
            default:
                throw new ArgumentException($"Protocol '{protocolName}' cannot be used through ZooKeeper; range and roundrobin can.", nameof(protocolName));
        }
    }
}

/// <summary>A partition as a ZooKeeper-coordinated group sees it: its id and its leader's broker id (-1 without a leader).</summary>
internal readonly record struct ZooKeeperPartition(int PartitionId, int LeaderId);
