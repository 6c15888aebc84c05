namespace Kafka.Client.Internal.Groups;

/// <summary>How a <see cref="ZooKeeperGroupMembership"/> takes part in its group.</summary>
internal sealed record ZooKeeperGroupOptions
{
    /// <summary>The ZooKeeper connection string (<c>host:port,...[/chroot]</c>).</summary>
    public required string ConnectString { get; init; }

    /// <summary>The session timeout asked for: how long the member's registrations outlive its silence.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(6);

    /// <summary><c>range</c> or <c>roundrobin</c> (see <see cref="ZooKeeperAssignment"/>).</summary>
    public string ProtocolName { get; init; } = RangeAssignor.ProtocolName;

    /// <summary>
    /// The pause before claiming partitions another member still owns, times the attempts so far (at most five
    /// times), and after an unexpected failure, times the failures in a row.
    /// </summary>
    public TimeSpan RebalanceBackoff { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How many unexpected failures in a row are retried before the membership fails.</summary>
    public int RebalanceMaxRetries { get; init; } = 5;

    /// <summary>The member's consumer id; <see langword="null"/> makes one as pykafka does (<c>&lt;host name&gt;:&lt;uuid&gt;</c>).</summary>
    public string? ConsumerId { get; init; }
}
