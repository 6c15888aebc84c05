namespace Kafka.Client;

/// <summary>
/// Settings of a <see cref="BalancedConsumer"/>: every consumer's (<see cref="ConsumerOptions"/>; the group assigns the
/// partitions) plus the group membership settings of pykafka's <c>BalancedConsumer</c> and <c>ManagedBalancedConsumer</c>.
/// </summary>
public sealed class BalancedConsumerOptions : ConsumerOptions
{
    /// <summary>
    /// The consumer group, when these options name it: the group given to <c>GetBalancedConsumer</c> is the member's,
    /// and a group set here must be the same one.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? ConsumerGroup { get; set; }

    /// <summary>
    /// Whether Kafka's group coordinator balances the group (pykafka's <c>managed=True</c>; the consumer is a
    /// <see cref="ManagedBalancedConsumer"/>), or the members balance it among themselves through ZooKeeper, as
    /// pykafka's default <c>managed=False</c> members do. Use ZooKeeper only to share a group with pykafka
    /// <c>BalancedConsumer</c> members, for example while moving a service from Python to .NET: it needs the
    /// ZooKeeper ensemble those members use (<see cref="ZooKeeperHosts"/>), consumes one topic, and only the range and
    /// round-robin protocols.
    /// </summary>
    /// <value>The default value is <see langword="true"/> (pykafka's default was <see langword="false"/>).</value>
    public bool Managed { get; set; } = true;

    /// <summary>
    /// With <see cref="Managed"/> off, the ZooKeeper connection string (<c>zk1:2181,zk2:2181/chroot</c>) of the ensemble
    /// the group registers in; <see langword="null"/> takes <see cref="KafkaClientOptions.ZooKeeperHosts"/>. pykafka:
    /// <c>zookeeper_hosts</c> (or the deprecated <c>zookeeper_connect</c>).
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? ZooKeeperHosts { get; set; }

    /// <summary>
    /// With <see cref="Managed"/> off, the ZooKeeper session timeout the member asks for: when ZooKeeper hears nothing
    /// from it for this long, its registrations vanish and the other members take its partitions. The server bounds it
    /// (2 to 20 ticks, 4 s to 40 s by default). pykafka: <c>zookeeper_connection_timeout_ms</c>, which was really this.
    /// </summary>
    /// <value>The default value is 6 seconds, as in pykafka.</value>
    public TimeSpan ZooKeeperSessionTimeout { get; set; } = TimeSpan.FromSeconds(6);

    /// <summary>
    /// How long the coordinator waits for a heartbeat before it drops the member and rebalances; the broker bounds it
    /// (<c>group.min.session.timeout.ms</c>, 6 s by default). pykafka: <c>session_timeout_ms</c>.
    /// </summary>
    /// <value>The default value is 45 seconds.</value>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>
    /// How long the coordinator waits for every member to rejoin during a rebalance: the time a member has to commit
    /// the offsets of the partitions it gives up. pykafka had no such setting (it sent the session timeout).
    /// </summary>
    /// <value>The default value is 5 minutes.</value>
    public TimeSpan RebalanceTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the member heartbeats, well below <see cref="SessionTimeout"/>. pykafka: <c>heartbeat_interval_ms</c>.</summary>
    /// <value>The default value is 3 seconds.</value>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How many unexpected join or sync failures in a row are retried before the consumer fails (rebalances and
    /// coordinator moves are retried without limit). pykafka: <c>rebalance_max_retries</c>.
    /// </summary>
    /// <value>The default value is 5.</value>
    public int RebalanceMaxRetries { get; set; } = 5;

    /// <summary>The pause after a failed join or sync, times the failures in a row. pykafka: <c>rebalance_backoff_ms</c>.</summary>
    /// <value>The default value is 2 seconds.</value>
    public TimeSpan RebalanceBackoff { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How the group's partitions are split among its members: <see cref="RangeAssignor"/> (as pykafka's default),
    /// <see cref="RoundRobinAssignor"/> or an assignor of your own. Every member of a group must offer it (Java and
    /// librdkafka consumers offer range and round-robin by default). pykafka: <c>membership_protocol</c>.
    /// </summary>
    /// <value>The default value is a <see cref="RangeAssignor"/>.</value>
    public IPartitionAssignor MembershipProtocol { get; set; } = new RangeAssignor();

    /// <summary>
    /// Called after each rebalance, once the new partitions have their start offsets, with the partitions owned before
    /// and after it. It may return offsets (each the next offset to consume, or an <see cref="OffsetType"/> value) to
    /// start some partitions from instead; <see langword="null"/> keeps the committed ones. An exception is logged
    /// and ignored. pykafka: <c>post_rebalance_callback</c>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Func<IReadOnlyList<TopicAndPartition>, IReadOnlyList<TopicAndPartition>, CancellationToken, Task<IReadOnlyDictionary<TopicAndPartition, long>?>>? PostRebalanceCallback { get; set; }

    /// <summary>
    /// Whether the messages a consume call hands out count as consumed once the next consume call is made
    /// (<see langword="true"/>: what the consumer commits by itself — automatically, before giving partitions up and
    /// when disposed — is its position, the message in hand excluded), or only once their offsets are stored with
    /// <see cref="BalancedConsumer.StoreOffset"/> (<see langword="false"/>: it commits the stored offsets, whatever it
    /// has handed out). Set it to <see langword="false"/> when messages are handled after the consume call returns (on
    /// other tasks, from a retained <see cref="MessageBatch"/>), storing each partition's offset below which every
    /// message is handled. librdkafka: <c>enable.auto.offset.store</c>.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool StoreOffsetsOnConsume { get; set; } = true;

    /// <summary>
    /// Called when the group has given this member partitions, before any of their messages is handed out, with the
    /// partitions it now owns. An exception is logged and ignored.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Func<IReadOnlyList<TopicAndPartition>, CancellationToken, Task>? PartitionsAssigned { get; set; }

    /// <summary>
    /// Called when this member is about to give partitions up in a rebalance or when disposed: their messages are no
    /// longer handed out, and once it returns the consumer commits their offsets (see
    /// <see cref="StoreOffsetsOnConsume"/>) and lets them go. The place to finish or abandon the work in hand for them
    /// and store its offsets; the group waits for it (up to <see cref="RebalanceTimeout"/>). An exception is logged and
    /// ignored.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Func<IReadOnlyList<TopicAndPartition>, CancellationToken, Task>? PartitionsRevoked { get; set; }

    /// <summary>
    /// Called instead of <see cref="PartitionsRevoked"/> when this member lost partitions without giving them up (its
    /// session expired, or it was fenced): another member may own them already, so nothing is committed for them. An
    /// exception is logged and ignored.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Func<IReadOnlyList<TopicAndPartition>, CancellationToken, Task>? PartitionsLost { get; set; }

    /// <summary>
    /// The group protocol: <see cref="Kafka.Client.GroupProtocol.Classic"/> (JoinGroup/SyncGroup, every broker) or
    /// <see cref="Kafka.Client.GroupProtocol.Consumer"/> (KIP-848, Kafka 4.0 and later: the broker assigns, rebalances
    /// are incremental). A Kafka 4 broker lets classic members stay in a group that moves to the consumer protocol, so
    /// a running group can be switched with a rolling restart. With <see cref="Kafka.Client.GroupProtocol.Consumer"/> the broker decides the session
    /// timeout and heartbeat interval (<c>group.consumer.session.timeout.ms</c>, <c>group.consumer.heartbeat.interval.ms</c>);
    /// <see cref="SessionTimeout"/> is then only how long the member goes without an answer before it counts its
    /// partitions lost, and <see cref="MembershipProtocol"/> is not used. Java and librdkafka: <c>group.protocol</c>.
    /// </summary>
    /// <value>The default value is <see cref="Kafka.Client.GroupProtocol.Classic"/>, which brokers before 4.0 need.</value>
    public GroupProtocol GroupProtocol { get; set; } = GroupProtocol.Classic;

    /// <summary>
    /// With <see cref="Kafka.Client.GroupProtocol.Consumer"/>, the server-side assignor the coordinator runs, by name
    /// (<c>uniform</c> or <c>range</c> on Kafka 4), or <see langword="null"/> for the broker's default
    /// (<c>group.consumer.assignors</c>, uniform). Java and librdkafka: <c>group.remote.assignor</c>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? ServerAssignor { get; set; }

    /// <summary>
    /// With <see cref="Kafka.Client.GroupProtocol.Consumer"/>, a regular expression (RE2/J syntax) the coordinator
    /// resolves against the cluster's topics: the member consumes every topic it matches besides those named, including
    /// topics created later. Needs ConsumerGroupHeartbeat v1 (Kafka 4.0).
    /// </summary>
    /// <value>The default value is <see langword="null"/> (topics by name only).</value>
    public string? TopicRegex { get; set; }

    /// <summary>
    /// The static member id (<c>group.instance.id</c>, KIP-345, Kafka 2.3 or later), or <see langword="null"/> for a
    /// dynamic member. A static member that comes back within <see cref="SessionTimeout"/> keeps its partitions
    /// without a rebalance; it does not leave the group when disposed.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? GroupInstanceId { get; set; }

    /// <inheritdoc/>
    public override IReadOnlyList<string> Validate()
    {
        var errors = new List<string>(base.Validate());
        if (ConsumerGroup is { Length: 0 })
        {
            errors.Add("ConsumerGroup must not be empty (use null to take the group given to GetBalancedConsumer).");
        }
        Check(errors, nameof(SessionTimeout), SessionTimeout);
        Check(errors, nameof(RebalanceTimeout), RebalanceTimeout);
        Check(errors, nameof(HeartbeatInterval), HeartbeatInterval);
        if (HeartbeatInterval >= SessionTimeout)
        {
            errors.Add($"HeartbeatInterval ({HeartbeatInterval}) must be shorter than SessionTimeout ({SessionTimeout}).");
        }
        if (RebalanceMaxRetries < 0)
        {
            errors.Add($"RebalanceMaxRetries must not be negative (was {RebalanceMaxRetries}).");
        }
        if (RebalanceBackoff < TimeSpan.Zero)
        {
            errors.Add($"RebalanceBackoff must not be negative (was {RebalanceBackoff}).");
        }
        if (MembershipProtocol is null || string.IsNullOrEmpty(MembershipProtocol.Name))
        {
            errors.Add("MembershipProtocol must be an assignor with a name.");
        }
        if (GroupInstanceId is { Length: 0 })
        {
            errors.Add("GroupInstanceId must be null (a dynamic member) or not empty.");
        }
        if (!Managed)
        {
            ValidateZooKeeperMode(errors);
        }
        ValidateGroupProtocol(errors);
        return errors;
    }

    private void ValidateGroupProtocol(List<string> errors)
    {
        if (!Enum.IsDefined(GroupProtocol))
        {
            errors.Add($"GroupProtocol must be Classic or Consumer (was {(int)GroupProtocol}).");
            return;
        }
        if (GroupProtocol == GroupProtocol.Consumer && !Managed)
        {
            errors.Add("GroupProtocol Consumer needs Managed: the consumer group protocol is Kafka's coordinator's, not ZooKeeper's.");
        }
        if (ServerAssignor is not null && (ServerAssignor.Length == 0 || ServerAssignor.Any(char.IsWhiteSpace)))
        {
            errors.Add($"ServerAssignor must be null (the broker's default) or an assignor's name such as uniform or range (was '{ServerAssignor}').");
        }
        if (TopicRegex is { Length: 0 })
        {
            errors.Add("TopicRegex must be null (topics by name only) or a regular expression.");
        }
        if (GroupProtocol == GroupProtocol.Classic)
        {
            if (ServerAssignor is not null)
            {
                errors.Add("ServerAssignor is for GroupProtocol Consumer; with Classic the members assign (MembershipProtocol).");
            }
            if (TopicRegex is not null)
            {
                errors.Add("TopicRegex needs GroupProtocol Consumer (the coordinator resolves it).");
            }
        }
    }

    private void ValidateZooKeeperMode(List<string> errors)
    {
        Check(errors, nameof(ZooKeeperSessionTimeout), ZooKeeperSessionTimeout);
        if (ZooKeeperHosts is not null)
        {
            errors.AddRange(Internal.KafkaClientOptionsValidator.ValidateZooKeeperHosts(ZooKeeperHosts).Select(e => $"{nameof(ZooKeeperHosts)}: {e}"));
        }
        if (MembershipProtocol is { Name: { Length: > 0 } name } && !Internal.Groups.ZooKeeperAssignment.IsSupported(name))
        {
            errors.Add($"MembershipProtocol must be range or roundrobin when Managed is false (ZooKeeper members each compute the assignment as pykafka does); '{name}' is not.");
        }
        if (GroupInstanceId is not null)
        {
            errors.Add("GroupInstanceId must be null when Managed is false: static membership belongs to Kafka's group protocol.");
        }
    }

    /// <inheritdoc/>
    public override BalancedConsumerOptions Clone() => (BalancedConsumerOptions)base.Clone();

    private static void Check(List<string> errors, string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero || value.TotalMilliseconds > int.MaxValue)
        {
            errors.Add($"{name} must be positive and at most {int.MaxValue} ms (was {value}).");
        }
    }
}
