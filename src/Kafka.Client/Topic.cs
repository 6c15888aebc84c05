using Kafka.Client.Internal;
using Kafka.Client.Protocol;

namespace Kafka.Client;

/// <summary>
/// A topic and its partitions. The client keeps only weak references to topics (as pykafka's TopicDict): hold
/// on to the ones you use; every metadata refresh updates them in place.
/// </summary>
public sealed class Topic
{
    private volatile PartitionMap _partitions = PartitionMap.Empty;

    internal Topic(Cluster cluster, MetadataTopic metadata)
    {
        Cluster = cluster;
        Name = metadata.Name!;
        Update(metadata, cluster.Snapshot);
    }

    /// <summary>The topic name.</summary>
    public string Name { get; }

    /// <summary>The topic id (Kafka 2.8 and later; <see cref="Guid.Empty"/> from older brokers).</summary>
    public Guid Id { get; private set; }

    /// <summary>Whether this is an internal topic such as <c>__consumer_offsets</c>.</summary>
    public bool IsInternal { get; private set; }

    /// <summary>The partitions by id, as of the latest metadata refresh.</summary>
    public IReadOnlyDictionary<int, Partition> Partitions => _partitions;

    internal Cluster Cluster { get; }

    /// <summary>The name of this topic's <c>send</c> spans (<c>send {topic}</c>), built once.</summary>
    internal string SendSpanName => field ??= "send " + Name;

    /// <summary>The latest offset (high watermark) of every partition.</summary>
    public Task<IReadOnlyDictionary<int, long>> LatestAvailableOffsetsAsync(CancellationToken cancellationToken = default) =>
        FetchOffsetLimitsAsync(OffsetType.Latest, cancellationToken);

    /// <summary>The earliest offset (log start) of every partition.</summary>
    public Task<IReadOnlyDictionary<int, long>> EarliestAvailableOffsetsAsync(CancellationToken cancellationToken = default) =>
        FetchOffsetLimitsAsync(OffsetType.Earliest, cancellationToken);

    /// <summary>The offset for <paramref name="offsetType"/> of every partition, one request per leader.</summary>
    public Task<IReadOnlyDictionary<int, long>> FetchOffsetLimitsAsync(OffsetType offsetType, CancellationToken cancellationToken = default) =>
        Cluster.Offsets.ListAsync(this, _partitions.Keys, (long)offsetType, cancellationToken);

    /// <summary>
    /// For every partition, the earliest offset whose message timestamp is at or after <paramref name="timestamp"/>,
    /// or -1 where every message is older. (pykafka's <c>fetch_offset_limits(offsets_before)</c>, with the
    /// semantics of ListOffsets v1 and later.)
    /// </summary>
    public Task<IReadOnlyDictionary<int, long>> FetchOffsetLimitsAsync(DateTimeOffset timestamp, CancellationToken cancellationToken = default) =>
        Cluster.Offsets.ListAsync(this, _partitions.Keys, timestamp.ToUnixTimeMilliseconds(), cancellationToken);

    /// <summary>
    /// Creates a producer for this topic (pykafka's <c>get_producer()</c>); it starts at once. Dispose it to deliver
    /// what is still queued.
    /// </summary>
    /// <param name="options">The producer's settings; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public Producer GetProducer(ProducerOptions? options = null) => new(this, options ?? new ProducerOptions());

    /// <summary>
    /// Creates a producer whose <c>Producer.Produce</c> waits for each message's delivery (pykafka's
    /// <c>get_sync_producer()</c>): <paramref name="options"/> with <see cref="ProducerOptions.Sync"/> set.
    /// </summary>
    public Producer GetSyncProducer(ProducerOptions? options = null)
    {
        var sync = options?.Clone() ?? new ProducerOptions();
        sync.Sync = true;
        return new Producer(this, sync);
    }

    /// <summary>
    /// Creates a producer of typed keys and values (pykafka's <c>serializer</c>): each is serialized straight into the
    /// batch buffer's staging area, with no intermediate arrays.
    /// </summary>
    public Producer<TKey, TValue> GetProducer<TKey, TValue>(ISerializer<TKey> keySerializer, ISerializer<TValue> valueSerializer, ProducerOptions? options = null) =>
        new(GetProducer(options), keySerializer, valueSerializer);

    /// <summary>
    /// Creates a consumer of this topic's partitions (pykafka's <c>get_simple_consumer</c>). It starts at once in the
    /// background; dispose it to stop (and, with auto-commit, to commit).
    /// </summary>
    /// <param name="options">The consumer's settings (copied); defaults when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The options are invalid (the message lists every problem), or name a partition the topic lacks.</exception>
    public SimpleConsumer GetSimpleConsumer(SimpleConsumerOptions? options = null) => new(this, options ?? new SimpleConsumerOptions());

    /// <summary>
    /// Creates a member of <paramref name="consumerGroup"/> that consumes the partitions of this topic the group
    /// assigns it (pykafka's <c>get_balanced_consumer</c>): a <see cref="ManagedBalancedConsumer"/> balanced by
    /// Kafka's group coordinator, or with <see cref="BalancedConsumerOptions.Managed"/> off a member balanced through
    /// ZooKeeper as pykafka's <c>BalancedConsumer</c> is. It joins at once in the background; dispose it to commit and
    /// leave the group. To consume several topics in one member, use
    /// <see cref="Cluster.GetBalancedConsumer(IEnumerable{string}, string, BalancedConsumerOptions?)"/>.
    /// </summary>
    /// <param name="consumerGroup">The consumer group to join.</param>
    /// <param name="options">The consumer's settings (copied); defaults when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">
    /// The group is empty or the options are invalid (the message lists every problem); through ZooKeeper, no
    /// ZooKeeper to use (neither <see cref="BalancedConsumerOptions.ZooKeeperHosts"/> nor <see cref="KafkaClientOptions.ZooKeeperHosts"/>).
    /// </exception>
    public BalancedConsumer GetBalancedConsumer(string consumerGroup, BalancedConsumerOptions? options = null) =>
        Cluster.GetBalancedConsumer([Name], consumerGroup, options);

    /// <summary>Creates a consumer that deserializes keys and values with the options' deserializers.</summary>
    /// <param name="options">The consumer's settings, with <c>KeyDeserializer</c> and <c>ValueDeserializer</c> set.</param>
    /// <exception cref="ArgumentException">The options are invalid or lack a deserializer.</exception>
    public SimpleConsumer<TKey, TValue> GetSimpleConsumer<TKey, TValue>(SimpleConsumerOptions<TKey, TValue> options) => new(this, options);

    /// <summary>
    /// Applies newer metadata: partitions added, removed, or re-pointed to their current brokers. A partition whose
    /// leader and replicas did not change keeps its state object, and a topic whose partitions did not change keeps
    /// its map, so a steady refresh allocates nothing per partition.
    /// </summary>
    internal void Update(MetadataTopic metadata, ClusterSnapshot snapshot)
    {
        Id = metadata.TopicId;
        IsInternal = Cluster.IsInternalTopic(metadata);
        var old = _partitions;
        var source = metadata.Partitions;
        if (old.Count == source.Count && HasEvery(old, source))
        {
            for (var i = 0; i < source.Count; i++)
            {
                var p = source[i];
                var partition = old[p.PartitionIndex];
                partition.State = partition.State.Next(p, snapshot);
            }
            return;
        }
        var partitions = new Partition[source.Count];
        for (var i = 0; i < partitions.Length; i++)
        {
            var p = source[i];
            if (old.TryGetValue(p.PartitionIndex, out var partition))
            {
                partition.State = partition.State.Next(p, snapshot);
            }
            else
            {
                partition = new Partition(this, p.PartitionIndex, PartitionState.From(p, snapshot));
            }
            partitions[i] = partition;
        }
        _partitions = PartitionMap.Create(partitions);
    }

    private static bool HasEvery(PartitionMap old, IReadOnlyList<MetadataPartition> source)
    {
        for (var i = 0; i < source.Count; i++)
        {
            if (!old.ContainsKey(source[i].PartitionIndex))
            {
                return false;
            }
        }
        return true;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
