namespace Kafka.Client.Admin;

/// <summary>One member of a group.</summary>
/// <param name="MemberId">The id the coordinator gave it.</param>
/// <param name="GroupInstanceId">Its static membership id, or null.</param>
/// <param name="ClientId">The client id it connected with.</param>
/// <param name="ClientHost">The address it connected from.</param>
/// <param name="Assignment">The partitions it was assigned (consumer groups, while stable).</param>
/// <param name="SubscribedTopics">The topics it subscribed to (consumer groups, while stable).</param>
public sealed record GroupMemberDescription(
    string MemberId, string? GroupInstanceId, string ClientId, string ClientHost, IReadOnlyList<TopicAndPartition> Assignment, IReadOnlyList<string> SubscribedTopics);
