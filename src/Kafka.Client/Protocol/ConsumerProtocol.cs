namespace Kafka.Client.Protocol;

/// <summary>
/// The consumer protocol: the bytes consumer group members put inside JoinGroup (their subscription, as each
/// protocol's metadata) and SyncGroup (their assignment), so that members of different clients can share a group.
/// Both start with an int16 version and use the classic (non-flexible) encoding in every version.
/// </summary>
/// <remarks>
/// Subscription v0: topics, user data; v1 adds the partitions the member owns; v2 its generation; v3 its rack.
/// Assignment v0–v3 all have the same layout: partitions by topic, user data. A reader meets versions newer than it
/// knows by reading the fields it knows and ignoring what follows, so new versions only append fields.
/// </remarks>
internal static class ConsumerProtocol
{
    /// <summary>The protocol type of consumer groups.</summary>
    public const string ProtocolType = "consumer";

    /// <summary>The newest version of both structures that this client reads and writes.</summary>
    public const short LatestVersion = 3;

    /// <summary>Encodes a subscription at <paramref name="version"/> (0–3); fields newer than the version are dropped.</summary>
    public static byte[] WriteSubscription(ConsumerProtocolSubscription subscription, short version = LatestVersion)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        ThrowIfUnsupported(version);
        using var writer = new KafkaWriter(256);
        writer.WriteInt16(version);
        var topics = subscription.Topics;
        writer.WriteArrayLength(topics.Count, compact: false);
        for (var i = 0; i < topics.Count; i++)
        {
            writer.WriteString(topics[i], compact: false);
        }
        writer.WriteNullableBytes(subscription.UserData, compact: false);
        if (version >= 1)
        {
            WritePartitionsByTopic(writer, subscription.OwnedPartitions);
        }
        if (version >= 2)
        {
            writer.WriteInt32(subscription.GenerationId);
        }
        if (version >= 3)
        {
            writer.WriteNullableString(subscription.RackId, compact: false);
        }
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Decodes a subscription of any version from 0; fields after those of version 3 are ignored.
    /// </summary>
    /// <exception cref="KafkaProtocolException">The bytes are not a subscription.</exception>
    public static ConsumerProtocolSubscription ReadSubscription(ReadOnlySpan<byte> bytes)
    {
        var reader = new KafkaReader(bytes);
        var version = ReadVersion(ref reader, "subscription");
        var topicCount = reader.ReadCount(compact: false, minElementSize: 2);
        var topics = new string[topicCount];
        for (var i = 0; i < topics.Length; i++)
        {
            topics[i] = reader.ReadString(compact: false);
        }
        var userData = ReadUserData(ref reader);
        IReadOnlyList<TopicAndPartition> owned = version >= 1 ? ReadPartitionsByTopic(ref reader) : [];
        var generationId = version >= 2 ? reader.ReadInt32() : -1;
        var rackId = version >= 3 ? reader.ReadNullableString(compact: false) : null;
        return new ConsumerProtocolSubscription(topics, userData, owned, generationId, rackId) { Version = version };
    }

    /// <summary>Encodes an assignment at <paramref name="version"/> (0–3; the layout is the same in each).</summary>
    public static byte[] WriteAssignment(ConsumerProtocolAssignment assignment, short version = LatestVersion)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        ThrowIfUnsupported(version);
        using var writer = new KafkaWriter(256);
        writer.WriteInt16(version);
        WritePartitionsByTopic(writer, assignment.Partitions);
        writer.WriteNullableBytes(assignment.UserData, compact: false);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Decodes an assignment of any version from 0. No bytes at all (what a coordinator returns to a member the
    /// leader gave nothing) is an empty assignment.
    /// </summary>
    /// <exception cref="KafkaProtocolException">The bytes are not an assignment.</exception>
    public static ConsumerProtocolAssignment ReadAssignment(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return new ConsumerProtocolAssignment([]);
        }
        var reader = new KafkaReader(bytes);
        var version = ReadVersion(ref reader, "assignment");
        var partitions = ReadPartitionsByTopic(ref reader);
        var userData = ReadUserData(ref reader);
        return new ConsumerProtocolAssignment(partitions, userData) { Version = version };
    }

    // Null user data must stay null: a null byte[] would convert to an empty, non-null ReadOnlyMemory.
    private static ReadOnlyMemory<byte>? ReadUserData(ref KafkaReader reader) =>
        reader.TryReadNullableBytes(compact: false, out var data) ? data.ToArray() : (ReadOnlyMemory<byte>?)null;

    private static void ThrowIfUnsupported(short version)
    {
        if (version is < 0 or > LatestVersion)
        {
            throw new ArgumentOutOfRangeException(nameof(version), version, $"The consumer protocol has versions 0 to {LatestVersion}.");
        }
    }

    private static short ReadVersion(ref KafkaReader reader, string what)
    {
        var version = reader.ReadInt16();
        if (version < 0)
        {
            throw new KafkaProtocolException($"A consumer protocol {what} with version {version}: not a consumer group member's data.");
        }
        return version;
    }

    // Partitions go on the wire grouped by topic, topics in the order they first appear.
    private static void WritePartitionsByTopic(KafkaWriter writer, IReadOnlyList<TopicAndPartition> partitions)
    {
        var topics = new List<string>();
        var byTopic = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        foreach (var partition in partitions)
        {
            if (!byTopic.TryGetValue(partition.Topic, out var numbers))
            {
                byTopic[partition.Topic] = numbers = [];
                topics.Add(partition.Topic);
            }
            numbers.Add(partition.Partition);
        }
        writer.WriteArrayLength(topics.Count, compact: false);
        foreach (var topic in topics)
        {
            writer.WriteString(topic, compact: false);
            var numbers = byTopic[topic];
            writer.WriteArrayLength(numbers.Count, compact: false);
            foreach (var number in numbers)
            {
                writer.WriteInt32(number);
            }
        }
    }

    private static TopicAndPartition[] ReadPartitionsByTopic(ref KafkaReader reader)
    {
        // Smallest topic entry: an empty name and an empty partition array.
        var topicCount = reader.ReadCount(compact: false, minElementSize: 2 + 4);
        var result = new List<TopicAndPartition>();
        for (var t = 0; t < topicCount; t++)
        {
            var topic = reader.ReadString(compact: false);
            foreach (var number in reader.ReadInt32Array(compact: false))
            {
                result.Add(new TopicAndPartition(topic, number));
            }
        }
        return [.. result];
    }
}

/// <summary>A member's subscription, as the consumer protocol carries it in JoinGroup.</summary>
/// <param name="Topics">The topics the member subscribes to.</param>
/// <param name="UserData">Assignor-specific data, or null.</param>
/// <param name="OwnedPartitions">The partitions the member owns as it joins (v1+).</param>
/// <param name="GenerationId">The generation the owned partitions belong to (v2+), or -1.</param>
/// <param name="RackId">The member's rack (v3+), or null.</param>
internal sealed record ConsumerProtocolSubscription(
    IReadOnlyList<string> Topics,
    ReadOnlyMemory<byte>? UserData,
    IReadOnlyList<TopicAndPartition> OwnedPartitions,
    int GenerationId = -1,
    string? RackId = null)
{
    /// <summary>The version it was read at (the newest, <see cref="ConsumerProtocol.LatestVersion"/>, for one built here).</summary>
    public short Version { get; init; } = ConsumerProtocol.LatestVersion;
}

/// <summary>A member's assignment, as the consumer protocol carries it in SyncGroup.</summary>
/// <param name="Partitions">The partitions assigned.</param>
/// <param name="UserData">Assignor-specific data, or null.</param>
internal sealed record ConsumerProtocolAssignment(IReadOnlyList<TopicAndPartition> Partitions, ReadOnlyMemory<byte>? UserData = null)
{
    /// <summary>The version it was read at (the newest, <see cref="ConsumerProtocol.LatestVersion"/>, for one built here).</summary>
    public short Version { get; init; } = ConsumerProtocol.LatestVersion;
}
