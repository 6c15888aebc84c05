using Kafka.Client.Internal.Consuming;
using Kafka.Client.Internal.Groups;

namespace Kafka.Client;

/// <summary>
/// A member of a consumer group that consumes the partitions the group gives it (pykafka's <c>BalancedConsumer</c>,
/// from <see cref="Topic.GetBalancedConsumer(string, BalancedConsumerOptions?)"/>). How the group shares out its
/// partitions depends on <see cref="BalancedConsumerOptions.Managed"/>: Kafka's group coordinator balances them
/// (the default; the consumer is then a <see cref="ManagedBalancedConsumer"/>), or the members balance them among
/// themselves through ZooKeeper, as pykafka's ZooKeeper-coordinated <c>BalancedConsumer</c> members do.
/// </summary>
/// <remarks>
/// <para>
/// The consumer joins the group at once in the background. Whenever its share changes it reads the group's
/// committed offsets of its partitions (<see cref="ConsumerOptions.AutoOffsetReset"/> where there are none),
/// then fetches them. Before partitions are given up it stops fetching them and commits their offsets (unless the
/// membership was already lost): the offset of the message last returned by <see cref="ConsumeAsync"/> is not
/// counted as consumed until the next call, so a message in hand during a rebalance is delivered again to the
/// partition's next owner (at least once).
/// </para>
/// <para>
/// <see cref="ConsumeAsync"/> is for one caller at a time; the other members may be called concurrently with it.
/// </para>
/// </remarks>
public class BalancedConsumer : IAsyncDisposable, IAsyncEnumerable<ConsumedMessage>
{
    private readonly BalancedConsumerOptions _options;
    private readonly GroupConsumer _group;

    internal BalancedConsumer(Cluster cluster, IReadOnlyList<string> topics, string consumerGroup, BalancedConsumerOptions? options)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(topics);
        ArgumentException.ThrowIfNullOrEmpty(consumerGroup);
        options ??= new BalancedConsumerOptions();
        if (options.ConsumerGroup is { } named && !string.Equals(named, consumerGroup, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The options name consumer group '{named}' but the consumer is for group '{consumerGroup}'.", nameof(options));
        }
        var copy = (BalancedConsumerOptions)options.Clone();
        copy.ConsumerGroup = consumerGroup;
        var errors = copy.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(
                $"Invalid balanced consumer options:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", errors)}", nameof(options));
        }
        var names = topics.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if ((names.Length == 0 && copy.TopicRegex is null) || Array.Exists(names, string.IsNullOrEmpty))
        {
            throw new ArgumentException("A balanced consumer consumes at least one topic (or, with GroupProtocol Consumer, a TopicRegex), and topic names are not empty.", nameof(topics));
        }
        string? zooKeeperHosts = null;
        if (!copy.Managed)
        {
            if (names.Length != 1)
            {
                throw new ArgumentException(
                    $"A ZooKeeper-coordinated balanced consumer (Managed = false) consumes one topic, as pykafka's does; {names.Length} were given ({string.Join(", ", names)}).",
                    nameof(topics));
            }
            zooKeeperHosts = copy.ZooKeeperHosts ?? cluster.ZooKeeper?.ConnectString ?? throw new ArgumentException(
                "A ZooKeeper-coordinated balanced consumer (Managed = false) needs ZooKeeper: set BalancedConsumerOptions.ZooKeeperHosts or KafkaClientOptions.ZooKeeperHosts.",
                nameof(options));
        }
        _options = copy;
        Topics = names;
        ConsumerGroup = consumerGroup;
        _group = new GroupConsumer(cluster, names, consumerGroup, copy, zooKeeperHosts, this);
    }

    /// <summary>The topics consumed, sorted.</summary>
    public IReadOnlyList<string> Topics { get; }

    /// <summary>The consumer group this member belongs to.</summary>
    public string ConsumerGroup { get; }

    /// <summary>The partitions this member owns and consumes in the current generation (empty while the group rebalances).</summary>
    public IReadOnlyList<TopicAndPartition> Assignment => _group.Assignment;

    /// <summary>
    /// This member's id in the group: the one Kafka's coordinator gave it (empty before the first join), or with
    /// ZooKeeper the consumer id it registered (<c>&lt;host name&gt;:&lt;uuid&gt;</c>, as pykafka's).
    /// </summary>
    public string MemberId => _group.MemberId;

    /// <summary>
    /// The member as the group coordinator knows it now (group id, generation, member id, static instance id), for
    /// <see cref="TransactionalProducer.SendOffsetsToTransactionAsync"/>: read it when sending the offsets, so that the
    /// coordinator can refuse them if the member has since left the generation. Between generations (and with
    /// ZooKeeper, which has no coordinator generations) the generation is -1.
    /// </summary>
    public ConsumerGroupMetadata GroupMetadata
    {
        get
        {
            var generation = _group.Generation;
            return _options.Managed && generation is not null
                ? new ConsumerGroupMetadata(ConsumerGroup, generation.GenerationId, generation.MemberId, _options.GroupInstanceId)
                : new ConsumerGroupMetadata(ConsumerGroup, -1, _options.Managed ? _group.MemberId : string.Empty, _options.GroupInstanceId);
        }
    }

    /// <summary>Whether Kafka's group coordinator balances the group (<see cref="BalancedConsumerOptions.Managed"/>) rather than ZooKeeper.</summary>
    public bool IsManaged => _options.Managed;

    /// <summary>The generation the member is in, or <see langword="null"/> between generations.</summary>
    private protected GroupGeneration? CurrentGeneration => _group.Generation;

    /// <summary>Why the group membership failed for good (fenced, not authorized, retries exhausted), or <see langword="null"/>.</summary>
    public KafkaException? Failure => _group.Failure;

    /// <summary>
    /// The offset of the next message to consume from each partition owned in the current generation: what
    /// <see cref="CommitOffsetsAsync(CancellationToken)"/> commits unless <see cref="BalancedConsumerOptions.StoreOffsetsOnConsume"/>
    /// is off (then it commits <see cref="StoredOffsets"/>).
    /// </summary>
    public IReadOnlyDictionary<TopicAndPartition, long> HeldOffsets => _group.HeldOffsets;

    /// <summary>
    /// How far behind the end of each assigned partition the consumer is: the high watermark the latest fetch response
    /// reported minus the offset of the next message to consume (0 when caught up). Taken from the fetches the
    /// consumer makes anyway, with no extra request; partitions not fetched yet are absent. A paused partition's lag
    /// keeps rising as messages arrive: it stays in the fetches as a zero-byte probe that only brings its high
    /// watermark back. Also measured as the <see cref="KafkaTelemetry.ConsumerLag"/> gauge.
    /// </summary>
    public IReadOnlyDictionary<TopicAndPartition, long> Lag => _group.Lag;

    /// <summary>
    /// One partition's entry of <see cref="Lag"/>, without building the dictionary: how far behind the partition's end
    /// the consumer is (the high watermark of the latest fetch response minus the offset of the next message to
    /// consume), or <see langword="null"/> when the partition is not owned or not fetched yet. Cheap enough to
    /// ask after every consume call, for example to decide whether more of a partition is on its way.
    /// </summary>
    /// <param name="partition">An owned partition.</param>
    public long? GetLag(TopicAndPartition partition) => _group.GetLag(partition);

    /// <summary>
    /// The offsets stored with <see cref="StoreOffset"/> for the partitions owned in the current generation (empty
    /// unless <see cref="BalancedConsumerOptions.StoreOffsetsOnConsume"/> is off).
    /// </summary>
    public IReadOnlyDictionary<TopicAndPartition, long> StoredOffsets => _group.StoredOffsets;

    /// <summary>
    /// The group's committed offset of each partition owned in the current generation, as this member last read it
    /// (when the partition was assigned) or committed it; partitions the group has no offset for are left out.
    /// </summary>
    public IReadOnlyDictionary<TopicAndPartition, long> CommittedOffsets => _group.CommittedOffsets;

    /// <summary>
    /// Stores the offset of the next message to consume from <paramref name="partition"/> — every message before it is
    /// handled — as what the consumer commits by itself (automatically every <see cref="ConsumerOptions.AutoCommitInterval"/>,
    /// before giving the partition up, when disposed) and what <see cref="CommitOffsetsAsync(CancellationToken)"/>
    /// commits. For consumers whose <see cref="BalancedConsumerOptions.StoreOffsetsOnConsume"/> is off; takes a lock,
    /// allocates nothing.
    /// </summary>
    /// <returns>Whether it was stored: <see langword="false"/> when this member does not own the partition (any more).</returns>
    /// <exception cref="InvalidOperationException"><see cref="BalancedConsumerOptions.StoreOffsetsOnConsume"/> is on.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> is negative.</exception>
    public bool StoreOffset(TopicAndPartition partition, long offset) => _group.StoreOffset(partition, offset);

    /// <summary>
    /// The next message of the partitions this member owns; <see langword="null"/> when none arrives within
    /// <see cref="ConsumerOptions.ConsumerTimeout"/>. Its bytes are valid until the next call (see
    /// <see cref="ConsumedMessage"/>). Calling again also tells the consumer that the previous message was handled:
    /// until then, a rebalance commits its partition's offset before it.
    /// </summary>
    /// <exception cref="KafkaConsumeException">A partition cannot be consumed further; the others go on.</exception>
    /// <exception cref="KafkaException">The group membership failed for good (see <see cref="Failure"/>).</exception>
    /// <exception cref="ObjectDisposedException">The consumer was disposed.</exception>
    /// <exception cref="InvalidOperationException">Another ConsumeAsync call is still running.</exception>
    public ValueTask<ConsumedMessage?> ConsumeAsync(CancellationToken cancellationToken = default) => _group.ConsumeAsync(cancellationToken);

    /// <summary>
    /// Up to <paramref name="maxMessages"/> messages of the partitions this member owns, at once and without allocating
    /// (see <see cref="SimpleConsumer.ConsumeBatchAsync"/>); empty when none arrives within
    /// <see cref="ConsumerOptions.ConsumerTimeout"/>. The batch is valid until the next consume call, and the whole
    /// batch counts as handled only then: until that call, a rebalance commits each of its partitions' offsets before
    /// the batch's first message of that partition.
    /// </summary>
    /// <exception cref="KafkaConsumeException">A partition cannot be consumed further; the others go on.</exception>
    /// <exception cref="KafkaException">The group membership failed for good (see <see cref="Failure"/>).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxMessages"/> is below 1.</exception>
    /// <exception cref="ObjectDisposedException">The consumer was disposed.</exception>
    /// <exception cref="InvalidOperationException">Another consume call is still running.</exception>
    public ValueTask<MessageBatch> ConsumeBatchAsync(int maxMessages, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMessages);
        return _group.ConsumeBatchAsync(maxMessages, cancellationToken);
    }

    /// <summary>Enumerates messages as <see cref="ConsumeAsync"/> returns them, ending when it returns <see langword="null"/>.</summary>
    public IAsyncEnumerator<ConsumedMessage> GetAsyncEnumerator(CancellationToken cancellationToken = default) => _group.GetAsyncEnumerator(cancellationToken);

    /// <summary>
    /// Commits <see cref="HeldOffsets"/>, or <see cref="StoredOffsets"/> when <see cref="BalancedConsumerOptions.StoreOffsetsOnConsume"/>
    /// is off (with a Kafka-managed group, with the current generation and member id; through
    /// ZooKeeper, as a group without Kafka members, as pykafka does). Does nothing while the group rebalances (the partitions given up were committed then).
    /// </summary>
    /// <exception cref="KafkaOffsetCommitException">The offsets were not stored (a refusal because the group moved on also makes the member rejoin).</exception>
    public Task CommitOffsetsAsync(CancellationToken cancellationToken = default) => _group.CommitOffsetsAsync(cancellationToken);

    /// <summary>
    /// Commits the given offsets (each the offset of the next message to consume), as <see cref="CommitOffsetsAsync(CancellationToken)"/>
    /// does. Partitions this member does not own in the current generation are left out (their owner commits
    /// them); nothing is committed while the group rebalances.
    /// </summary>
    /// <exception cref="KafkaOffsetCommitException">The offsets were not stored.</exception>
    /// <exception cref="ArgumentException">An offset is negative.</exception>
    public Task CommitOffsetsAsync(IReadOnlyDictionary<TopicAndPartition, long> offsets, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        foreach (var (partition, offset) in offsets)
        {
            if (offset < 0)
            {
                throw new ArgumentException($"Offset {offset} for {partition} is negative; commit the offset of the next message to consume.", nameof(offsets));
            }
        }
        return _group.CommitOffsetsAsync(offsets, cancellationToken);
    }

    /// <summary>The group's committed offsets of the partitions this member owns, -1 where the group has none.</summary>
    /// <exception cref="KafkaOffsetCommitException">The offsets could not be read after the retries.</exception>
    public Task<IReadOnlyDictionary<TopicAndPartition, long>> FetchOffsetsAsync(CancellationToken cancellationToken = default) =>
        _group.FetchOffsetsAsync(cancellationToken);

    /// <summary>
    /// Moves owned partitions so that the next message consumed from each is the one at the given offset
    /// (<see cref="OffsetType"/> values are looked up), and commits the new positions.
    /// </summary>
    /// <exception cref="ArgumentException">A partition is not owned by this member, or an offset is below -2.</exception>
    public Task ResetOffsetsAsync(IReadOnlyDictionary<TopicAndPartition, long> offsets, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        return _group.ResetOffsetsAsync(offsets, cancellationToken);
    }

    /// <summary>Moves every owned partition to its earliest or latest offset, and commits it.</summary>
    public Task ResetOffsetsAsync(OffsetType offsetType, CancellationToken cancellationToken = default)
    {
        if (offsetType is not (OffsetType.Earliest or OffsetType.Latest))
        {
            throw new ArgumentOutOfRangeException(nameof(offsetType), offsetType, "Earliest or Latest.");
        }
        return ResetOffsetsAsync(Assignment.ToDictionary(p => p, _ => (long)offsetType), cancellationToken);
    }

    /// <summary>
    /// Stops consuming owned partitions until <see cref="Resume"/> or the next rebalance: their fetched messages are
    /// dropped and their position is kept (for a partition whose message is in hand, that message's offset, so that
    /// it is consumed again on resume or by the partition's next owner); no more records are fetched for them, but
    /// their <see cref="Lag"/> stays current. Partitions not owned are ignored.
    /// </summary>
    public void Pause(IEnumerable<TopicAndPartition> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        _group.Pause(partitions);
    }

    /// <summary>Consumes paused partitions again, from where they were paused.</summary>
    public void Resume(IEnumerable<TopicAndPartition> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        _group.Resume(partitions);
    }

    /// <summary>The owned partitions that are paused (see <see cref="Pause"/>).</summary>
    public IReadOnlyList<TopicAndPartition> Paused => _group.Paused;

    /// <summary>
    /// Stops fetching, commits the offsets of the owned partitions (the message in hand excluded), leaves the group
    /// (a static member stays, to come back) and closes its group connection. Calling it again does nothing.
    /// </summary>
    public ValueTask DisposeAsync() => _group.DisposeAsync();

    /// <inheritdoc/>
    public override string ToString() => $"BalancedConsumer({string.Join(", ", Topics)}, group {ConsumerGroup}, ZooKeeper-coordinated)";
}
