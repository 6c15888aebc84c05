namespace Kafka.Client.Internal.Groups;

/// <summary>How a <see cref="GroupMembership"/> takes part in its group: timeouts, assignors, static membership, retries.</summary>
internal sealed record GroupMembershipOptions
{
    /// <summary>
    /// How long the coordinator waits for a heartbeat before it drops the member and rebalances. The broker bounds it
    /// (<c>group.min.session.timeout.ms</c> 6 s to <c>group.max.session.timeout.ms</c> 30 min by default).
    /// </summary>
    /// <value>The default value is 45 seconds, as in the Java client and librdkafka.</value>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>
    /// How long the coordinator waits for every member to rejoin during a rebalance, so the time a member has to
    /// finish its revocation callback (committing offsets) and rejoin. A JoinGroup request may wait this long.
    /// </summary>
    /// <value>The default value is 5 minutes, the Java client's <c>max.poll.interval.ms</c>, which it sends here.</value>
    public TimeSpan RebalanceTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the member heartbeats while it is in a generation; well below <see cref="SessionTimeout"/>.</summary>
    /// <value>The default value is 3 seconds.</value>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// The static member's instance id (<c>group.instance.id</c>, KIP-345), or <see langword="null"/> for a dynamic
    /// member. A static member that restarts within the session timeout gets its partitions back without a
    /// rebalance; it does not send LeaveGroup when it stops. Needs Kafka 2.3 or later.
    /// </summary>
    public string? GroupInstanceId { get; init; }

    /// <summary>
    /// The assignors the member supports, most preferred first; the coordinator picks one every member supports.
    /// </summary>
    /// <value>The default value is range, then round-robin (librdkafka's default list).</value>
    public IReadOnlyList<IPartitionAssignor> Assignors { get; init; } = [new RangeAssignor(), new RoundRobinAssignor()];

    /// <summary>
    /// The pause after a join or sync that failed unexpectedly, multiplied by the number of such failures in a row
    /// (pykafka's <c>rebalance_backoff_ms</c>). Also the longest pause between coordinator lookups.
    /// </summary>
    /// <value>The default value is 2 seconds.</value>
    public TimeSpan RebalanceBackoff { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How many unexpected join or sync failures in a row the member retries before it gives up and fails
    /// (pykafka's <c>rebalance_max_retries</c>). Rebalances, coordinator moves and lost connections are part of
    /// the protocol and are retried without limit.
    /// </summary>
    /// <value>The default value is 5.</value>
    public int RebalanceMaxRetries { get; init; } = 5;

    /// <summary>
    /// With the consumer group protocol (KIP-848), the assignor the coordinator runs (<c>uniform</c>, <c>range</c>), or
    /// <see langword="null"/> for the broker's default.
    /// </summary>
    public string? ServerAssignor { get; init; }

    /// <summary>
    /// With the consumer group protocol, a regular expression (RE2/J) the coordinator matches topic names against; the
    /// member subscribes to the topics it matches besides those named. <see langword="null"/> for none.
    /// </summary>
    public string? TopicRegex { get; init; }

    /// <summary>Lists what is wrong with these options; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        CheckMilliseconds(errors, nameof(SessionTimeout), SessionTimeout);
        CheckMilliseconds(errors, nameof(RebalanceTimeout), RebalanceTimeout);
        CheckMilliseconds(errors, nameof(HeartbeatInterval), HeartbeatInterval);
        if (HeartbeatInterval >= SessionTimeout)
        {
            errors.Add($"{nameof(HeartbeatInterval)} ({HeartbeatInterval}) must be shorter than {nameof(SessionTimeout)} ({SessionTimeout}); a third of it or less is usual.");
        }
        if (RebalanceBackoff < TimeSpan.Zero)
        {
            errors.Add($"{nameof(RebalanceBackoff)} must not be negative.");
        }
        if (RebalanceMaxRetries < 0)
        {
            errors.Add($"{nameof(RebalanceMaxRetries)} must not be negative.");
        }
        if (GroupInstanceId is { Length: 0 })
        {
            errors.Add($"{nameof(GroupInstanceId)} must be null (a dynamic member) or non-empty.");
        }
        if (Assignors is null || Assignors.Count == 0)
        {
            errors.Add($"{nameof(Assignors)} must name at least one assignor.");
        }
        else
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var assignor in Assignors)
            {
                if (assignor is null || string.IsNullOrEmpty(assignor.Name))
                {
                    errors.Add($"{nameof(Assignors)} holds a null assignor or one without a name.");
                }
                else if (!names.Add(assignor.Name))
                {
                    errors.Add($"{nameof(Assignors)} names '{assignor.Name}' twice.");
                }
            }
        }
        return errors;
    }

    private static void CheckMilliseconds(List<string> errors, string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero || value.TotalMilliseconds > int.MaxValue)
        {
            errors.Add($"{name} must be positive and at most {int.MaxValue} ms; it is {value}.");
        }
    }
}
