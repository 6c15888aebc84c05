namespace Kafka.Client.Protocol;

/// <summary>
/// ShareAcknowledge (key 79, KIP-932): acknowledges records without fetching, in the member's share session on that
/// broker (the same epoch sequence as <see cref="ShareFetchRequest"/>; epoch -1 acknowledges and closes the session,
/// 0 is not allowed). v1 only, flexible.
/// </summary>
internal sealed class ShareAcknowledgeRequest : KafkaRequest<ShareAcknowledgeResponse>
{
    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.ShareAcknowledge;

    /// <summary>The share group id.</summary>
    public string? GroupId { get; set; }

    /// <summary>The member id.</summary>
    public string? MemberId { get; set; }

    /// <summary>The share session epoch: the next in sequence, or -1 to close the session.</summary>
    public int ShareSessionEpoch { get; set; }

    /// <summary>The acknowledgements, by topic id and partition.</summary>
    public IReadOnlyList<ShareTopicAcknowledgements> Topics { get; set; } = [];

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        writer.WriteNullableString(GroupId, compact: true);
        writer.WriteNullableString(MemberId, compact: true);
        writer.WriteInt32(ShareSessionEpoch);
        ShareTopicAcknowledgements.WriteAll(writer, Topics);
        writer.WriteEmptyTaggedFields();
    }

    /// <inheritdoc/>
    public override ShareAcknowledgeResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var throttleTimeMs = reader.ReadInt32();
        var errorCode = (KafkaErrorCode)reader.ReadInt16();
        var errorMessage = reader.ReadNullableString(compact: true);
        var topicCount = reader.ReadCount(compact: true, 16 + 1 + 1);
        var topics = topicCount == 0 ? [] : new ShareAcknowledgeTopicResponse[topicCount];
        for (var t = 0; t < topics.Length; t++)
        {
            var topicId = reader.ReadUuid();
            // Smallest partition: index, error, null message, leader (id, epoch, tags), tags.
            var partitionCount = reader.ReadCount(compact: true, 4 + 2 + 1 + 9 + 1);
            var partitions = partitionCount == 0 ? [] : new ShareAcknowledgePartitionResponse[partitionCount];
            for (var p = 0; p < partitions.Length; p++)
            {
                var index = reader.ReadInt32();
                var error = (KafkaErrorCode)reader.ReadInt16();
                var message = reader.ReadNullableString(compact: true);
                var leaderId = reader.ReadInt32();
                var leaderEpoch = reader.ReadInt32();
                reader.SkipTaggedFields();
                reader.SkipTaggedFields();
                partitions[p] = new ShareAcknowledgePartitionResponse(index, error, message, leaderId, leaderEpoch);
            }
            reader.SkipTaggedFields();
            topics[t] = new ShareAcknowledgeTopicResponse(topicId, partitions);
        }
        var endpoints = ShareNodeEndpoint.ReadAll(ref reader);
        reader.SkipTaggedFields();
        return new ShareAcknowledgeResponse(throttleTimeMs, errorCode, errorMessage, topics, endpoints);
    }
}

/// <summary>The broker's answer to <see cref="ShareAcknowledgeRequest"/>.</summary>
/// <param name="ThrottleTimeMs">How long the broker throttled the request for a quota violation.</param>
/// <param name="ErrorCode">The request's error or none.</param>
/// <param name="ErrorMessage">The broker's words about the error, or null.</param>
/// <param name="Topics">Each partition's outcome, by topic id.</param>
/// <param name="NodeEndpoints">The new leaders of partitions answered NOT_LEADER_OR_FOLLOWER.</param>
internal sealed record ShareAcknowledgeResponse(
    int ThrottleTimeMs,
    KafkaErrorCode ErrorCode,
    string? ErrorMessage,
    IReadOnlyList<ShareAcknowledgeTopicResponse> Topics,
    IReadOnlyList<ShareNodeEndpoint> NodeEndpoints);

/// <summary>A topic's partitions in a <see cref="ShareAcknowledgeResponse"/>.</summary>
/// <param name="TopicId">The topic id.</param>
/// <param name="Partitions">The partitions.</param>
internal sealed record ShareAcknowledgeTopicResponse(Guid TopicId, IReadOnlyList<ShareAcknowledgePartitionResponse> Partitions);

/// <summary>One partition's outcome in a <see cref="ShareAcknowledgeResponse"/>.</summary>
/// <param name="PartitionIndex">The partition.</param>
/// <param name="ErrorCode">The error (INVALID_RECORD_STATE for a lock that expired...) or none.</param>
/// <param name="ErrorMessage">Its words, or null.</param>
/// <param name="LeaderId">The partition's current leader when it moved; -1 otherwise.</param>
/// <param name="LeaderEpoch">That leader's epoch; -1 otherwise.</param>
internal sealed record ShareAcknowledgePartitionResponse(int PartitionIndex, KafkaErrorCode ErrorCode, string? ErrorMessage, int LeaderId, int LeaderEpoch);
