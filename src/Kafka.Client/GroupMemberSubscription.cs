namespace Kafka.Client;

/// <summary>A member of a consumer group's generation and what it subscribes to, as the leader sees it.</summary>
public sealed class GroupMemberSubscription
{
    /// <summary>Creates a member's subscription.</summary>
    /// <param name="memberId">The member id the coordinator gave it.</param>
    /// <param name="topics">The topics it subscribes to.</param>
    /// <param name="groupInstanceId">Its static instance id, or <see langword="null"/> for a dynamic member.</param>
    /// <exception cref="ArgumentNullException"><paramref name="memberId"/> or <paramref name="topics"/> is null.</exception>
    public GroupMemberSubscription(string memberId, IReadOnlyList<string> topics, string? groupInstanceId = null)
    {
        ArgumentNullException.ThrowIfNull(memberId);
        ArgumentNullException.ThrowIfNull(topics);
        MemberId = memberId;
        Topics = topics;
        GroupInstanceId = groupInstanceId;
    }

    /// <summary>The member id the coordinator gave the member.</summary>
    public string MemberId { get; }

    /// <summary>The member's static instance id (<c>group.instance.id</c>), or <see langword="null"/>.</summary>
    public string? GroupInstanceId { get; }

    /// <summary>The topics the member subscribes to.</summary>
    public IReadOnlyList<string> Topics { get; }

    /// <summary>Assignor-specific data the member sent, or <see langword="null"/>.</summary>
    public ReadOnlyMemory<byte>? UserData { get; init; }

    /// <summary>The partitions the member owned when it joined (subscription v1 and later; empty otherwise).</summary>
    public IReadOnlyList<TopicAndPartition> OwnedPartitions { get; init; } = [];

    /// <summary>
    /// The order Kafka's assignors lay members out in: static members (by instance id) before dynamic ones (by
    /// member id), both ordinal, as the Java client's assignors order them.
    /// </summary>
    internal static int Compare(GroupMemberSubscription? x, GroupMemberSubscription? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }
        if (x is null || y is null)
        {
            return x is null ? -1 : 1;
        }
        if (x.GroupInstanceId is not null && y.GroupInstanceId is not null)
        {
            var byInstance = string.CompareOrdinal(x.GroupInstanceId, y.GroupInstanceId);
            return byInstance != 0 ? byInstance : string.CompareOrdinal(x.MemberId, y.MemberId);
        }
        if (x.GroupInstanceId is not null)
        {
            return -1;
        }
        if (y.GroupInstanceId is not null)
        {
            return 1;
        }
        return string.CompareOrdinal(x.MemberId, y.MemberId);
    }

    /// <summary>Whether the member subscribes to <paramref name="topic"/>.</summary>
    internal bool SubscribesTo(string topic)
    {
        foreach (var t in Topics)
        {
            if (string.Equals(t, topic, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    /// <inheritdoc/>
    public override string ToString() =>
        GroupInstanceId is null ? MemberId : $"{MemberId} ({GroupInstanceId})";
}
