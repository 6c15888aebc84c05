using System.Globalization;

namespace Kafka.Client;

/// <summary>
/// A partition of a topic, by name and number: the unit that group members are assigned. Ordered by topic name
/// (ordinal) and then by partition number, the order Kafka's assignors lay partitions out in.
/// </summary>
/// <remarks>
/// Named as Kafka's own Scala client named it, so that it does not clash with <c>Confluent.Kafka.TopicPartition</c>
/// in code that uses both clients.
/// </remarks>
/// <param name="Topic">The topic name.</param>
/// <param name="Partition">The partition number.</param>
public readonly record struct TopicAndPartition(string Topic, int Partition) : IComparable<TopicAndPartition>
{
    /// <summary>Compares by topic name (ordinal), then by partition number.</summary>
    public int CompareTo(TopicAndPartition other)
    {
        var byTopic = string.CompareOrdinal(Topic, other.Topic);
        return byTopic != 0 ? byTopic : Partition.CompareTo(other.Partition);
    }

    /// <summary>Whether <paramref name="left"/> orders before <paramref name="right"/>.</summary>
    public static bool operator <(TopicAndPartition left, TopicAndPartition right) => left.CompareTo(right) < 0;

    /// <summary>Whether <paramref name="left"/> orders before or equals <paramref name="right"/>.</summary>
    public static bool operator <=(TopicAndPartition left, TopicAndPartition right) => left.CompareTo(right) <= 0;

    /// <summary>Whether <paramref name="left"/> orders after <paramref name="right"/>.</summary>
    public static bool operator >(TopicAndPartition left, TopicAndPartition right) => left.CompareTo(right) > 0;

    /// <summary>Whether <paramref name="left"/> orders after or equals <paramref name="right"/>.</summary>
    public static bool operator >=(TopicAndPartition left, TopicAndPartition right) => left.CompareTo(right) >= 0;

    /// <summary>The partition as <c>topic/number</c>, e.g. <c>orders/3</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Topic}/{Partition}");
}
