using System.Globalization;

namespace Kafka.Client;

/// <summary>Facts about each <see cref="KafkaErrorCode"/>: its protocol name, whether it is retriable, and what it means.</summary>
/// <remarks>
/// Retriable follows the Java client: a code is retriable when its exception there derives from
/// <c>RetriableException</c> (which includes <c>InvalidMetadataException</c>, the errors that call for a metadata
/// refresh before the retry).
/// </remarks>
public static class KafkaErrors
{
    private const short FirstCode = -1;

    // One entry per code from FirstCode up, so a lookup is an index: Table[code - FirstCode].
    private static readonly Entry[] Table =
    [
        new("UNKNOWN_SERVER_ERROR", false, "The broker hit an unexpected error while handling the request."), // -1
        new("NONE", false, "No error."), // 0
        new("OFFSET_OUT_OF_RANGE", false, "The requested offset is outside the range of offsets the broker holds for the partition."), // 1
        new("CORRUPT_MESSAGE", true, "A message failed its CRC check, exceeded the allowed size, had a null key on a compacted topic, or was otherwise corrupt."), // 2
        new("UNKNOWN_TOPIC_OR_PARTITION", true, "The broker does not host this topic or partition."), // 3
        new("INVALID_FETCH_SIZE", false, "The requested fetch size is not valid."), // 4
        new("LEADER_NOT_AVAILABLE", true, "The partition has no leader at the moment, typically because a leader election is under way."), // 5
        new("NOT_LEADER_OR_FOLLOWER", true, "The broker is not the leader of the partition (for leader-only requests) or not a replica of it (for requests any replica may serve)."), // 6
        new("REQUEST_TIMED_OUT", true, "The request timed out on the broker."), // 7
        new("BROKER_NOT_AVAILABLE", false, "The broker is not available."), // 8
        new("REPLICA_NOT_AVAILABLE", true, "The replica is not available for the requested partition."), // 9
        new("MESSAGE_TOO_LARGE", false, "A message in the request is larger than the largest message the broker accepts."), // 10
        new("STALE_CONTROLLER_EPOCH", false, "The controller moved to another broker."), // 11
        new("OFFSET_METADATA_TOO_LARGE", false, "The metadata attached to an offset commit is too large."), // 12
        new("NETWORK_EXCEPTION", true, "The broker disconnected before sending a response."), // 13
        new("COORDINATOR_LOAD_IN_PROGRESS", true, "The coordinator is still loading its state and cannot handle requests yet."), // 14
        new("COORDINATOR_NOT_AVAILABLE", true, "The coordinator is not available."), // 15
        new("NOT_COORDINATOR", true, "The broker is not the coordinator for this group or transaction."), // 16
        new("INVALID_TOPIC_EXCEPTION", false, "The request tried to operate on a topic whose name is not valid."), // 17
        new("RECORD_LIST_TOO_LARGE", false, "A record batch in the request is larger than the segment size configured on the broker."), // 18
        new("NOT_ENOUGH_REPLICAS", true, "Messages were rejected because fewer in-sync replicas exist than required."), // 19
        new("NOT_ENOUGH_REPLICAS_AFTER_APPEND", true, "Messages were written to the log, but fewer in-sync replicas acknowledged them than required."), // 20
        new("INVALID_REQUIRED_ACKS", false, "The produce request asked for an acks value that is not valid."), // 21
        new("ILLEGAL_GENERATION", false, "The group generation id is not valid."), // 22
        new("INCONSISTENT_GROUP_PROTOCOL", false, "The member's protocols are incompatible with those of the group's other members, or the first member to join sent an empty protocol type or list."), // 23
        new("INVALID_GROUP_ID", false, "The group id is not valid."), // 24
        new("UNKNOWN_MEMBER_ID", false, "The coordinator does not know this member."), // 25
        new("INVALID_SESSION_TIMEOUT", false, "The session timeout is outside the range the broker allows (group.min.session.timeout.ms to group.max.session.timeout.ms)."), // 26
        new("REBALANCE_IN_PROGRESS", false, "The group is rebalancing; the member has to rejoin."), // 27
        new("INVALID_COMMIT_OFFSET_SIZE", false, "The size of the offset data being committed is not valid."), // 28
        new("TOPIC_AUTHORIZATION_FAILED", false, "Not authorized to access the topic."), // 29
        new("GROUP_AUTHORIZATION_FAILED", false, "Not authorized to access the group."), // 30
        new("CLUSTER_AUTHORIZATION_FAILED", false, "Not authorized to perform the cluster operation."), // 31
        new("INVALID_TIMESTAMP", false, "A message timestamp is outside the range the broker accepts."), // 32
        new("UNSUPPORTED_SASL_MECHANISM", false, "The broker does not support the requested SASL mechanism."), // 33
        new("ILLEGAL_SASL_STATE", false, "The request is not valid in the current state of SASL authentication."), // 34
        new("UNSUPPORTED_VERSION", false, "The broker does not support this version of the API."), // 35
        new("TOPIC_ALREADY_EXISTS", false, "A topic with this name already exists."), // 36
        new("INVALID_PARTITIONS", false, "The number of partitions is not valid."), // 37
        new("INVALID_REPLICATION_FACTOR", false, "The replication factor is not valid."), // 38
        new("INVALID_REPLICA_ASSIGNMENT", false, "The replica assignment is not valid."), // 39
        new("INVALID_CONFIG", false, "The configuration is not valid."), // 40
        new("NOT_CONTROLLER", true, "The broker is not the controller of this cluster."), // 41
        new("INVALID_REQUEST", false, "The request is malformed, most often because the client and the broker disagree about the protocol; the broker log has details."), // 42
        new("UNSUPPORTED_FOR_MESSAGE_FORMAT", false, "The broker's message format version does not support the request."), // 43
        new("POLICY_VIOLATION", false, "The request parameters violate a policy configured on the broker."), // 44
        new("OUT_OF_ORDER_SEQUENCE_NUMBER", false, "The broker received a producer sequence number out of order."), // 45
        new("DUPLICATE_SEQUENCE_NUMBER", false, "The broker received a duplicate producer sequence number."), // 46
        new("INVALID_PRODUCER_EPOCH", false, "The producer used an epoch older than the current one."), // 47
        new("INVALID_TXN_STATE", false, "The transactional operation is not valid in the transaction's current state."), // 48
        new("INVALID_PRODUCER_ID_MAPPING", false, "The producer id is not the one currently assigned to this transactional id."), // 49
        new("INVALID_TRANSACTION_TIMEOUT", false, "The transaction timeout exceeds the maximum the broker allows (transaction.max.timeout.ms)."), // 50
        new("CONCURRENT_TRANSACTIONS", true, "Another operation on the same transaction was in progress."), // 51
        new("TRANSACTION_COORDINATOR_FENCED", false, "The transaction coordinator that sent the marker is no longer the current coordinator for the producer."), // 52
        new("TRANSACTIONAL_ID_AUTHORIZATION_FAILED", false, "Not authorized to use the transactional id."), // 53
        new("SECURITY_DISABLED", false, "Security features are disabled on the broker."), // 54
        new("OPERATION_NOT_ATTEMPTED", false, "The broker did not attempt the operation, usually because another operation in the same batched request failed."), // 55
        new("KAFKA_STORAGE_ERROR", true, "The broker hit a disk error while accessing a log file."), // 56
        new("LOG_DIR_NOT_FOUND", false, "The requested log directory is not in the broker's configuration."), // 57
        new("SASL_AUTHENTICATION_FAILED", false, "SASL authentication failed."), // 58
        new("UNKNOWN_PRODUCER_ID", false, "The broker has no state for the producer id, for example because all of its records were removed by retention."), // 59
        new("REASSIGNMENT_IN_PROGRESS", false, "A partition reassignment is in progress."), // 60
        new("DELEGATION_TOKEN_AUTH_DISABLED", false, "Delegation tokens are not enabled on the broker."), // 61
        new("DELEGATION_TOKEN_NOT_FOUND", false, "The delegation token was not found on the broker."), // 62
        new("DELEGATION_TOKEN_OWNER_MISMATCH", false, "The principal is not a valid owner or renewer of the delegation token."), // 63
        new("DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", false, "Delegation token requests are not allowed on this kind of connection (plaintext, one-way TLS or token-authenticated)."), // 64
        new("DELEGATION_TOKEN_AUTHORIZATION_FAILED", false, "Not authorized to use the delegation token."), // 65
        new("DELEGATION_TOKEN_EXPIRED", false, "The delegation token has expired."), // 66
        new("INVALID_PRINCIPAL_TYPE", false, "The principal type is not supported."), // 67
        new("NON_EMPTY_GROUP", false, "The group is not empty."), // 68
        new("GROUP_ID_NOT_FOUND", false, "The group id does not exist."), // 69
        new("FETCH_SESSION_ID_NOT_FOUND", true, "The fetch session id was not found."), // 70
        new("INVALID_FETCH_SESSION_EPOCH", true, "The fetch session epoch is not valid."), // 71
        new("LISTENER_NOT_FOUND", true, "The leader has no listener matching the listener the metadata request came in on."), // 72
        new("TOPIC_DELETION_DISABLED", false, "Topic deletion is disabled on the broker."), // 73
        new("FENCED_LEADER_EPOCH", true, "The leader epoch in the request is older than the broker's."), // 74
        new("UNKNOWN_LEADER_EPOCH", true, "The leader epoch in the request is newer than the broker's."), // 75
        new("UNSUPPORTED_COMPRESSION_TYPE", false, "The client does not support the compression type of the partition."), // 76
        new("STALE_BROKER_EPOCH", false, "The broker epoch has changed."), // 77
        new("OFFSET_NOT_AVAILABLE", true, "The leader's high watermark has not caught up since a recent election, so offsets are not yet guaranteed to increase."), // 78
        new("MEMBER_ID_REQUIRED", false, "The member needs a member id assigned before it can join the group."), // 79
        new("PREFERRED_LEADER_NOT_AVAILABLE", true, "The preferred leader is not available."), // 80
        new("GROUP_MAX_SIZE_REACHED", false, "The group has reached its maximum size."), // 81
        new("FENCED_INSTANCE_ID", false, "Another member with the same group.instance.id and a different member id has registered; this static member is fenced."), // 82
        new("ELIGIBLE_LEADERS_NOT_AVAILABLE", true, "No eligible leader is available for the partition."), // 83
        new("ELECTION_NOT_NEEDED", true, "A leader election is not needed for the partition."), // 84
        new("NO_REASSIGNMENT_IN_PROGRESS", false, "No partition reassignment is in progress."), // 85
        new("GROUP_SUBSCRIBED_TO_TOPIC", false, "Offsets of a topic cannot be deleted while the group is subscribed to it."), // 86
        new("INVALID_RECORD", false, "The broker rejected a record that failed validation."), // 87
        new("UNSTABLE_OFFSET_COMMIT", true, "There are unstable offsets that have to be resolved first."), // 88
        new("THROTTLING_QUOTA_EXCEEDED", true, "The throttling quota has been exceeded."), // 89
        new("PRODUCER_FENCED", false, "A newer producer with the same transactional id has fenced this one."), // 90
        new("RESOURCE_NOT_FOUND", false, "The request referred to a resource that does not exist."), // 91
        new("DUPLICATE_RESOURCE", false, "The request referred to the same resource twice."), // 92
        new("UNACCEPTABLE_CREDENTIAL", false, "The requested credential does not meet the acceptance criteria."), // 93
        new("INCONSISTENT_VOTER_SET", false, "The sender or receiver of a voter-only request is not one of the expected voters."), // 94
        new("INVALID_UPDATE_VERSION", false, "The update version is not valid."), // 95
        new("FEATURE_UPDATE_FAILED", false, "The finalized features could not be updated because of an unexpected broker error."), // 96
        new("PRINCIPAL_DESERIALIZATION_FAILURE", false, "The request principal could not be deserialized while the request was forwarded, which points to a security setup problem in the cluster."), // 97
        new("SNAPSHOT_NOT_FOUND", false, "The requested snapshot was not found."), // 98
        new("POSITION_OUT_OF_RANGE", false, "The requested position is negative or beyond the size of the snapshot."), // 99
        new("UNKNOWN_TOPIC_ID", true, "The broker does not host this topic id."), // 100
        new("DUPLICATE_BROKER_REGISTRATION", false, "The broker id is already in use."), // 101
        new("BROKER_ID_NOT_REGISTERED", false, "The broker id was not registered."), // 102
        new("INCONSISTENT_TOPIC_ID", true, "The topic id of the log does not match the topic id in the request."), // 103
        new("INCONSISTENT_CLUSTER_ID", false, "The cluster id in the request does not match the broker's."), // 104
        new("TRANSACTIONAL_ID_NOT_FOUND", false, "The transactional id was not found."), // 105
        new("FETCH_SESSION_TOPIC_ID_ERROR", true, "The fetch session used topic ids inconsistently."), // 106
        new("INELIGIBLE_REPLICA", false, "The new in-sync replica set contains an ineligible replica."), // 107
        new("NEW_LEADER_ELECTED", false, "The partition state was updated, but the leader has changed."), // 108
        new("OFFSET_MOVED_TO_TIERED_STORAGE", false, "The requested offset has moved to tiered storage."), // 109
        new("FENCED_MEMBER_EPOCH", false, "The group coordinator fenced the member epoch; the member must give up its partitions and rejoin."), // 110
        new("UNRELEASED_INSTANCE_ID", false, "The instance id is still in use by another member of the group, which has to leave first."), // 111
        new("UNSUPPORTED_ASSIGNOR", false, "The group does not support the assignor or its version range."), // 112
        new("STALE_MEMBER_EPOCH", false, "The member epoch is stale; the member must retry with the epoch from its latest heartbeat response."), // 113
        new("MISMATCHED_ENDPOINT_TYPE", false, "The request was sent to an endpoint of the wrong type."), // 114
        new("UNSUPPORTED_ENDPOINT_TYPE", false, "This endpoint type is not supported yet."), // 115
        new("UNKNOWN_CONTROLLER_ID", false, "The controller id is not known."), // 116
        new("UNKNOWN_SUBSCRIPTION_ID", false, "The telemetry push used a subscription id that is not valid or out of date."), // 117
        new("TELEMETRY_TOO_LARGE", false, "The telemetry push is larger than the broker accepts."), // 118
        new("INVALID_REGISTRATION", false, "The controller considers the broker registration not valid."), // 119
        new("TRANSACTION_ABORTABLE", false, "The transaction hit an error; aborting it makes the transactional id usable again."), // 120
        new("INVALID_RECORD_STATE", false, "The record state is not valid, so the delivery acknowledgement could not be completed."), // 121
        new("SHARE_SESSION_NOT_FOUND", true, "The share session was not found."), // 122
        new("INVALID_SHARE_SESSION_EPOCH", true, "The share session epoch is not valid."), // 123
        new("FENCED_STATE_EPOCH", false, "The share-group state epoch did not match, so the share coordinator rejected the request."), // 124
        new("INVALID_VOTER_KEY", false, "The voter key does not match the receiving replica's key."), // 125
        new("DUPLICATE_VOTER", false, "The voter is already in the set of voters."), // 126
        new("VOTER_NOT_FOUND", false, "The voter is not in the set of voters."), // 127
        new("INVALID_REGULAR_EXPRESSION", false, "The regular expression is not valid."), // 128
        new("REBOOTSTRAP_REQUIRED", false, "The client's metadata is stale; it should bootstrap again from its seed brokers."), // 129
        new("STREAMS_INVALID_TOPOLOGY", false, "The Streams topology is not valid."), // 130
        new("STREAMS_INVALID_TOPOLOGY_EPOCH", false, "The Streams topology epoch is not valid."), // 131
        new("STREAMS_TOPOLOGY_FENCED", false, "The Streams topology epoch is out of date."), // 132
        new("SHARE_SESSION_LIMIT_REACHED", true, "The broker has reached its limit of share sessions."), // 133
    ];

    /// <summary>Whether an operation that failed with <paramref name="code"/> may succeed if tried again.</summary>
    /// <remarks>Codes this client does not know are not retriable.</remarks>
    public static bool IsRetriable(KafkaErrorCode code) => TryGet(code, out var entry) && entry.Retriable;

    /// <summary>The protocol name of <paramref name="code"/> (UNKNOWN_TOPIC_OR_PARTITION), or its number if unknown.</summary>
    /// <returns>The protocol name, or <c>UNKNOWN_ERROR_CODE_n</c> for a code this client does not know.</returns>
    public static string GetName(KafkaErrorCode code) =>
        TryGet(code, out var entry)
            ? entry.Name
            : string.Create(CultureInfo.InvariantCulture, $"UNKNOWN_ERROR_CODE_{(short)code}");

    /// <summary>A sentence that says what <paramref name="code"/> means.</summary>
    public static string GetDescription(KafkaErrorCode code) =>
        TryGet(code, out var entry)
            ? entry.Description
            : string.Create(CultureInfo.InvariantCulture, $"The broker returned error code {(short)code}, which this client does not know.");

    private static bool TryGet(KafkaErrorCode code, out Entry entry)
    {
        var index = (short)code - FirstCode;
        if ((uint)index < (uint)Table.Length)
        {
            entry = Table[index];
            return true;
        }
        entry = default;
        return false;
    }

    private readonly record struct Entry(string Name, bool Retriable, string Description);
}
