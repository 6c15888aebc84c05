namespace Kafka.Client.Protocol;

/// <summary>
/// ShareFetch (key 78, KIP-932): a share group member fetches from the partitions it shares on one broker, and
/// acknowledges what it was given before in the same request. A share session per member and broker keeps the
/// partition list: epoch 0 opens it (and must carry no acknowledgements), each later request carries the next epoch
/// and -1 closes it. The broker answers with the records it acquired for the member (locked for
/// <see cref="ShareFetchResponse.AcquisitionLockTimeoutMs"/>) and their delivery counts. v1 only, flexible.
/// </summary>
internal sealed class ShareFetchRequest : KafkaRequest<ShareFetchResponse>
{
    /// <summary>The epoch that opens a share session.</summary>
    public const int OpenEpoch = 0;

    /// <summary>The epoch that closes a share session.</summary>
    public const int CloseEpoch = -1;

    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.ShareFetch;

    /// <summary>The share group id.</summary>
    public string? GroupId { get; set; }

    /// <summary>The member id.</summary>
    public string? MemberId { get; set; }

    /// <summary>The share session epoch: 0 to open, -1 to close, otherwise the next in sequence.</summary>
    public int ShareSessionEpoch { get; set; }

    /// <summary>How long the broker may wait for records.</summary>
    public int MaxWaitMs { get; set; }

    /// <summary>How many bytes the broker waits for.</summary>
    public int MinBytes { get; set; }

    /// <summary>The most bytes to return.</summary>
    public int MaxBytes { get; set; } = int.MaxValue;

    /// <summary>The most records to acquire (batch boundaries may exceed it).</summary>
    public int MaxRecords { get; set; }

    /// <summary>The preferred number of records per acquired batch and acknowledgement.</summary>
    public int BatchSize { get; set; }

    /// <summary>The partitions to fetch from, with their acknowledgements.</summary>
    public IReadOnlyList<ShareTopicAcknowledgements> Topics { get; set; } = [];

    /// <summary>The partitions to remove from the share session.</summary>
    public IReadOnlyList<TopicIdPartitions> ForgottenTopics { get; set; } = [];

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        writer.WriteNullableString(GroupId, compact: true);
        writer.WriteNullableString(MemberId, compact: true);
        writer.WriteInt32(ShareSessionEpoch);
        writer.WriteInt32(MaxWaitMs);
        writer.WriteInt32(MinBytes);
        writer.WriteInt32(MaxBytes);
        writer.WriteInt32(MaxRecords);
        writer.WriteInt32(BatchSize);
        ShareTopicAcknowledgements.WriteAll(writer, Topics);
        TopicIdPartitionsCodec.Write(writer, ForgottenTopics);
        writer.WriteEmptyTaggedFields();
    }

    /// <inheritdoc/>
    public override ShareFetchResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var throttleTimeMs = reader.ReadInt32();
        var errorCode = (KafkaErrorCode)reader.ReadInt16();
        var errorMessage = reader.ReadNullableString(compact: true);
        var lockTimeoutMs = reader.ReadInt32();
        // Smallest topic: a 16-byte id, an empty partition array and tags.
        var topicCount = reader.ReadCount(compact: true, 16 + 1 + 1);
        var topics = topicCount == 0 ? [] : new ShareFetchTopicResponse[topicCount];
        for (var t = 0; t < topics.Length; t++)
        {
            var topicId = reader.ReadUuid();
            // Smallest partition: index, error, null message, ack error, null message, leader (id, epoch, tags),
            // null records, empty acquired array, tags.
            var partitionCount = reader.ReadCount(compact: true, 4 + 2 + 1 + 2 + 1 + 9 + 1 + 1 + 1);
            var partitions = partitionCount == 0 ? [] : new ShareFetchPartitionResponse[partitionCount];
            for (var p = 0; p < partitions.Length; p++)
            {
                var index = reader.ReadInt32();
                var error = (KafkaErrorCode)reader.ReadInt16();
                var message = reader.ReadNullableString(compact: true);
                var ackError = (KafkaErrorCode)reader.ReadInt16();
                var ackMessage = reader.ReadNullableString(compact: true);
                var leaderId = reader.ReadInt32();
                var leaderEpoch = reader.ReadInt32();
                reader.SkipTaggedFields();
                byte[]? records = reader.TryReadNullableBytes(compact: true, out var bytes) ? bytes.ToArray() : null;
                var acquiredCount = reader.ReadCount(compact: true, 8 + 8 + 2 + 1);
                var acquired = acquiredCount == 0 ? [] : new ShareAcquiredRecords[acquiredCount];
                for (var a = 0; a < acquired.Length; a++)
                {
                    acquired[a] = new ShareAcquiredRecords(reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt16());
                    reader.SkipTaggedFields();
                }
                reader.SkipTaggedFields();
                partitions[p] = new ShareFetchPartitionResponse(index, error, message, ackError, ackMessage, leaderId, leaderEpoch, records, acquired);
            }
            reader.SkipTaggedFields();
            topics[t] = new ShareFetchTopicResponse(topicId, partitions);
        }
        var endpoints = ShareNodeEndpoint.ReadAll(ref reader);
        reader.SkipTaggedFields();
        return new ShareFetchResponse(throttleTimeMs, errorCode, errorMessage, lockTimeoutMs, topics, endpoints);
    }
}

/// <summary>The broker's answer to <see cref="ShareFetchRequest"/>.</summary>
/// <param name="ThrottleTimeMs">How long the broker throttled the request for a quota violation.</param>
/// <param name="ErrorCode">The request's error (SHARE_SESSION_NOT_FOUND, INVALID_SHARE_SESSION_EPOCH...) or none.</param>
/// <param name="ErrorMessage">The broker's words about the error, or null.</param>
/// <param name="AcquisitionLockTimeoutMs">How long the acquired records stay locked to this member.</param>
/// <param name="Topics">The partitions of the share session, by topic id.</param>
/// <param name="NodeEndpoints">The new leaders of partitions answered NOT_LEADER_OR_FOLLOWER.</param>
internal sealed record ShareFetchResponse(
    int ThrottleTimeMs,
    KafkaErrorCode ErrorCode,
    string? ErrorMessage,
    int AcquisitionLockTimeoutMs,
    IReadOnlyList<ShareFetchTopicResponse> Topics,
    IReadOnlyList<ShareNodeEndpoint> NodeEndpoints);

/// <summary>A topic's partitions in a <see cref="ShareFetchResponse"/>.</summary>
/// <param name="TopicId">The topic id.</param>
/// <param name="Partitions">The partitions.</param>
internal sealed record ShareFetchTopicResponse(Guid TopicId, IReadOnlyList<ShareFetchPartitionResponse> Partitions);

/// <summary>One partition in a <see cref="ShareFetchResponse"/>.</summary>
/// <param name="PartitionIndex">The partition.</param>
/// <param name="ErrorCode">The fetch error, or none.</param>
/// <param name="ErrorMessage">The fetch error's words, or null.</param>
/// <param name="AcknowledgeErrorCode">The error of the acknowledgements this request carried for the partition, or none.</param>
/// <param name="AcknowledgeErrorMessage">Its words, or null.</param>
/// <param name="LeaderId">The partition's current leader when it moved; -1 otherwise.</param>
/// <param name="LeaderEpoch">That leader's epoch; -1 otherwise.</param>
/// <param name="Records">The record batches holding the acquired records (whole batches), or null.</param>
/// <param name="AcquiredRecords">Which offsets of <paramref name="Records"/> were acquired for this member, with their delivery counts.</param>
internal sealed record ShareFetchPartitionResponse(
    int PartitionIndex,
    KafkaErrorCode ErrorCode,
    string? ErrorMessage,
    KafkaErrorCode AcknowledgeErrorCode,
    string? AcknowledgeErrorMessage,
    int LeaderId,
    int LeaderEpoch,
    byte[]? Records,
    IReadOnlyList<ShareAcquiredRecords> AcquiredRecords);

/// <summary>A range of offsets acquired for the member, all delivered the same number of times.</summary>
/// <param name="FirstOffset">The first offset.</param>
/// <param name="LastOffset">The last offset (inclusive).</param>
/// <param name="DeliveryCount">How many times these records have been delivered, this time included.</param>
internal readonly record struct ShareAcquiredRecords(long FirstOffset, long LastOffset, short DeliveryCount);
