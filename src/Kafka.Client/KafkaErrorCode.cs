namespace Kafka.Client;

/// <summary>The error codes Kafka brokers return, named after their protocol names (<c>UNKNOWN_TOPIC_OR_PARTITION</c> is
/// <see cref="UnknownTopicOrPartition"/>).</summary>
/// <remarks>
/// Codes a broker may send that this list does not name (from newer Kafka releases) still convert to this type;
/// <see cref="KafkaErrors.GetName"/> then returns <c>UNKNOWN_ERROR_CODE_n</c>.
/// </remarks>
public enum KafkaErrorCode : short
{
    /// <summary>The broker hit an unexpected error while handling the request.</summary>
    UnknownServerError = -1,

    /// <summary>No error.</summary>
    None = 0,

    /// <summary>The requested offset is outside the range of offsets the broker holds for the partition.</summary>
    OffsetOutOfRange = 1,

    /// <summary>A message failed its CRC check, exceeded the allowed size, had a null key on a compacted topic, or was otherwise corrupt. Retriable.</summary>
    CorruptMessage = 2,

    /// <summary>The broker does not host this topic or partition. Retriable.</summary>
    UnknownTopicOrPartition = 3,

    /// <summary>The requested fetch size is not valid.</summary>
    InvalidFetchSize = 4,

    /// <summary>The partition has no leader at the moment, typically because a leader election is under way. Retriable.</summary>
    LeaderNotAvailable = 5,

    /// <summary>The broker is not the leader of the partition (for leader-only requests) or not a replica of it (for requests any replica may serve). Retriable.</summary>
    NotLeaderOrFollower = 6,

    /// <summary>The request timed out on the broker. Retriable.</summary>
    RequestTimedOut = 7,

    /// <summary>The broker is not available.</summary>
    BrokerNotAvailable = 8,

    /// <summary>The replica is not available for the requested partition. Retriable.</summary>
    ReplicaNotAvailable = 9,

    /// <summary>A message in the request is larger than the largest message the broker accepts.</summary>
    MessageTooLarge = 10,

    /// <summary>The controller moved to another broker.</summary>
    StaleControllerEpoch = 11,

    /// <summary>The metadata attached to an offset commit is too large.</summary>
    OffsetMetadataTooLarge = 12,

    /// <summary>The broker disconnected before sending a response. Retriable.</summary>
    NetworkException = 13,

    /// <summary>The coordinator is still loading its state and cannot handle requests yet. Retriable.</summary>
    CoordinatorLoadInProgress = 14,

    /// <summary>The coordinator is not available. Retriable.</summary>
    CoordinatorNotAvailable = 15,

    /// <summary>The broker is not the coordinator for this group or transaction. Retriable.</summary>
    NotCoordinator = 16,

    /// <summary>The request tried to operate on a topic whose name is not valid.</summary>
    InvalidTopicException = 17,

    /// <summary>A record batch in the request is larger than the segment size configured on the broker.</summary>
    RecordListTooLarge = 18,

    /// <summary>Messages were rejected because fewer in-sync replicas exist than required. Retriable.</summary>
    NotEnoughReplicas = 19,

    /// <summary>Messages were written to the log, but fewer in-sync replicas acknowledged them than required. Retriable.</summary>
    NotEnoughReplicasAfterAppend = 20,

    /// <summary>The produce request asked for an acks value that is not valid.</summary>
    InvalidRequiredAcks = 21,

    /// <summary>The group generation id is not valid.</summary>
    IllegalGeneration = 22,

    /// <summary>The member's protocols are incompatible with those of the group's other members, or the first member to join sent an empty protocol type or list.</summary>
    InconsistentGroupProtocol = 23,

    /// <summary>The group id is not valid.</summary>
    InvalidGroupId = 24,

    /// <summary>The coordinator does not know this member.</summary>
    UnknownMemberId = 25,

    /// <summary>The session timeout is outside the range the broker allows (group.min.session.timeout.ms to group.max.session.timeout.ms).</summary>
    InvalidSessionTimeout = 26,

    /// <summary>The group is rebalancing; the member has to rejoin.</summary>
    RebalanceInProgress = 27,

    /// <summary>The size of the offset data being committed is not valid.</summary>
    InvalidCommitOffsetSize = 28,

    /// <summary>Not authorized to access the topic.</summary>
    TopicAuthorizationFailed = 29,

    /// <summary>Not authorized to access the group.</summary>
    GroupAuthorizationFailed = 30,

    /// <summary>Not authorized to perform the cluster operation.</summary>
    ClusterAuthorizationFailed = 31,

    /// <summary>A message timestamp is outside the range the broker accepts.</summary>
    InvalidTimestamp = 32,

    /// <summary>The broker does not support the requested SASL mechanism.</summary>
    UnsupportedSaslMechanism = 33,

    /// <summary>The request is not valid in the current state of SASL authentication.</summary>
    IllegalSaslState = 34,

    /// <summary>The broker does not support this version of the API.</summary>
    UnsupportedVersion = 35,

    /// <summary>A topic with this name already exists.</summary>
    TopicAlreadyExists = 36,

    /// <summary>The number of partitions is not valid.</summary>
    InvalidPartitions = 37,

    /// <summary>The replication factor is not valid.</summary>
    InvalidReplicationFactor = 38,

    /// <summary>The replica assignment is not valid.</summary>
    InvalidReplicaAssignment = 39,

    /// <summary>The configuration is not valid.</summary>
    InvalidConfig = 40,

    /// <summary>The broker is not the controller of this cluster. Retriable.</summary>
    NotController = 41,

    /// <summary>The request is malformed, most often because the client and the broker disagree about the protocol; the broker log has details.</summary>
    InvalidRequest = 42,

    /// <summary>The broker's message format version does not support the request.</summary>
    UnsupportedForMessageFormat = 43,

    /// <summary>The request parameters violate a policy configured on the broker.</summary>
    PolicyViolation = 44,

    /// <summary>The broker received a producer sequence number out of order.</summary>
    OutOfOrderSequenceNumber = 45,

    /// <summary>The broker received a duplicate producer sequence number.</summary>
    DuplicateSequenceNumber = 46,

    /// <summary>The producer used an epoch older than the current one.</summary>
    InvalidProducerEpoch = 47,

    /// <summary>The transactional operation is not valid in the transaction's current state.</summary>
    InvalidTxnState = 48,

    /// <summary>The producer id is not the one currently assigned to this transactional id.</summary>
    InvalidProducerIdMapping = 49,

    /// <summary>The transaction timeout exceeds the maximum the broker allows (transaction.max.timeout.ms).</summary>
    InvalidTransactionTimeout = 50,

    /// <summary>Another operation on the same transaction was in progress. Retriable.</summary>
    ConcurrentTransactions = 51,

    /// <summary>The transaction coordinator that sent the marker is no longer the current coordinator for the producer.</summary>
    TransactionCoordinatorFenced = 52,

    /// <summary>Not authorized to use the transactional id.</summary>
    TransactionalIdAuthorizationFailed = 53,

    /// <summary>Security features are disabled on the broker.</summary>
    SecurityDisabled = 54,

    /// <summary>The broker did not attempt the operation, usually because another operation in the same batched request failed.</summary>
    OperationNotAttempted = 55,

    /// <summary>The broker hit a disk error while accessing a log file. Retriable.</summary>
    KafkaStorageError = 56,

    /// <summary>The requested log directory is not in the broker's configuration.</summary>
    LogDirNotFound = 57,

    /// <summary>SASL authentication failed.</summary>
    SaslAuthenticationFailed = 58,

    /// <summary>The broker has no state for the producer id, for example because all of its records were removed by retention.</summary>
    UnknownProducerId = 59,

    /// <summary>A partition reassignment is in progress.</summary>
    ReassignmentInProgress = 60,

    /// <summary>Delegation tokens are not enabled on the broker.</summary>
    DelegationTokenAuthDisabled = 61,

    /// <summary>The delegation token was not found on the broker.</summary>
    DelegationTokenNotFound = 62,

    /// <summary>The principal is not a valid owner or renewer of the delegation token.</summary>
    DelegationTokenOwnerMismatch = 63,

    /// <summary>Delegation token requests are not allowed on this kind of connection (plaintext, one-way TLS or token-authenticated).</summary>
    DelegationTokenRequestNotAllowed = 64,

    /// <summary>Not authorized to use the delegation token.</summary>
    DelegationTokenAuthorizationFailed = 65,

    /// <summary>The delegation token has expired.</summary>
    DelegationTokenExpired = 66,

    /// <summary>The principal type is not supported.</summary>
    InvalidPrincipalType = 67,

    /// <summary>The group is not empty.</summary>
    NonEmptyGroup = 68,

    /// <summary>The group id does not exist.</summary>
    GroupIdNotFound = 69,

    /// <summary>The fetch session id was not found. Retriable.</summary>
    FetchSessionIdNotFound = 70,

    /// <summary>The fetch session epoch is not valid. Retriable.</summary>
    InvalidFetchSessionEpoch = 71,

    /// <summary>The leader has no listener matching the listener the metadata request came in on. Retriable.</summary>
    ListenerNotFound = 72,

    /// <summary>Topic deletion is disabled on the broker.</summary>
    TopicDeletionDisabled = 73,

    /// <summary>The leader epoch in the request is older than the broker's. Retriable.</summary>
    FencedLeaderEpoch = 74,

    /// <summary>The leader epoch in the request is newer than the broker's. Retriable.</summary>
    UnknownLeaderEpoch = 75,

    /// <summary>The client does not support the compression type of the partition.</summary>
    UnsupportedCompressionType = 76,

    /// <summary>The broker epoch has changed.</summary>
    StaleBrokerEpoch = 77,

    /// <summary>The leader's high watermark has not caught up since a recent election, so offsets are not yet guaranteed to increase. Retriable.</summary>
    OffsetNotAvailable = 78,

    /// <summary>The member needs a member id assigned before it can join the group.</summary>
    MemberIdRequired = 79,

    /// <summary>The preferred leader is not available. Retriable.</summary>
    PreferredLeaderNotAvailable = 80,

    /// <summary>The group has reached its maximum size.</summary>
    GroupMaxSizeReached = 81,

    /// <summary>Another member with the same group.instance.id and a different member id has registered; this static member is fenced.</summary>
    FencedInstanceId = 82,

    /// <summary>No eligible leader is available for the partition. Retriable.</summary>
    EligibleLeadersNotAvailable = 83,

    /// <summary>A leader election is not needed for the partition. Retriable.</summary>
    ElectionNotNeeded = 84,

    /// <summary>No partition reassignment is in progress.</summary>
    NoReassignmentInProgress = 85,

    /// <summary>Offsets of a topic cannot be deleted while the group is subscribed to it.</summary>
    GroupSubscribedToTopic = 86,

    /// <summary>The broker rejected a record that failed validation.</summary>
    InvalidRecord = 87,

    /// <summary>There are unstable offsets that have to be resolved first. Retriable.</summary>
    UnstableOffsetCommit = 88,

    /// <summary>The throttling quota has been exceeded. Retriable.</summary>
    ThrottlingQuotaExceeded = 89,

    /// <summary>A newer producer with the same transactional id has fenced this one.</summary>
    ProducerFenced = 90,

    /// <summary>The request referred to a resource that does not exist.</summary>
    ResourceNotFound = 91,

    /// <summary>The request referred to the same resource twice.</summary>
    DuplicateResource = 92,

    /// <summary>The requested credential does not meet the acceptance criteria.</summary>
    UnacceptableCredential = 93,

    /// <summary>The sender or receiver of a voter-only request is not one of the expected voters.</summary>
    InconsistentVoterSet = 94,

    /// <summary>The update version is not valid.</summary>
    InvalidUpdateVersion = 95,

    /// <summary>The finalized features could not be updated because of an unexpected broker error.</summary>
    FeatureUpdateFailed = 96,

    /// <summary>The request principal could not be deserialized while the request was forwarded, which points to a security setup problem in the cluster.</summary>
    PrincipalDeserializationFailure = 97,

    /// <summary>The requested snapshot was not found.</summary>
    SnapshotNotFound = 98,

    /// <summary>The requested position is negative or beyond the size of the snapshot.</summary>
    PositionOutOfRange = 99,

    /// <summary>The broker does not host this topic id. Retriable.</summary>
    UnknownTopicId = 100,

    /// <summary>The broker id is already in use.</summary>
    DuplicateBrokerRegistration = 101,

    /// <summary>The broker id was not registered.</summary>
    BrokerIdNotRegistered = 102,

    /// <summary>The topic id of the log does not match the topic id in the request. Retriable.</summary>
    InconsistentTopicId = 103,

    /// <summary>The cluster id in the request does not match the broker's.</summary>
    InconsistentClusterId = 104,

    /// <summary>The transactional id was not found.</summary>
    TransactionalIdNotFound = 105,

    /// <summary>The fetch session used topic ids inconsistently. Retriable.</summary>
    FetchSessionTopicIdError = 106,

    /// <summary>The new in-sync replica set contains an ineligible replica.</summary>
    IneligibleReplica = 107,

    /// <summary>The partition state was updated, but the leader has changed.</summary>
    NewLeaderElected = 108,

    /// <summary>The requested offset has moved to tiered storage.</summary>
    OffsetMovedToTieredStorage = 109,

    /// <summary>The group coordinator fenced the member epoch; the member must give up its partitions and rejoin.</summary>
    FencedMemberEpoch = 110,

    /// <summary>The instance id is still in use by another member of the group, which has to leave first.</summary>
    UnreleasedInstanceId = 111,

    /// <summary>The group does not support the assignor or its version range.</summary>
    UnsupportedAssignor = 112,

    /// <summary>The member epoch is stale; the member must retry with the epoch from its latest heartbeat response.</summary>
    StaleMemberEpoch = 113,

    /// <summary>The request was sent to an endpoint of the wrong type.</summary>
    MismatchedEndpointType = 114,

    /// <summary>This endpoint type is not supported yet.</summary>
    UnsupportedEndpointType = 115,

    /// <summary>The controller id is not known.</summary>
    UnknownControllerId = 116,

    /// <summary>The telemetry push used a subscription id that is not valid or out of date.</summary>
    UnknownSubscriptionId = 117,

    /// <summary>The telemetry push is larger than the broker accepts.</summary>
    TelemetryTooLarge = 118,

    /// <summary>The controller considers the broker registration not valid.</summary>
    InvalidRegistration = 119,

    /// <summary>The transaction hit an error; aborting it makes the transactional id usable again.</summary>
    TransactionAbortable = 120,

    /// <summary>The record state is not valid, so the delivery acknowledgement could not be completed.</summary>
    InvalidRecordState = 121,

    /// <summary>The share session was not found. Retriable.</summary>
    ShareSessionNotFound = 122,

    /// <summary>The share session epoch is not valid. Retriable.</summary>
    InvalidShareSessionEpoch = 123,

    /// <summary>The share-group state epoch did not match, so the share coordinator rejected the request.</summary>
    FencedStateEpoch = 124,

    /// <summary>The voter key does not match the receiving replica's key.</summary>
    InvalidVoterKey = 125,

    /// <summary>The voter is already in the set of voters.</summary>
    DuplicateVoter = 126,

    /// <summary>The voter is not in the set of voters.</summary>
    VoterNotFound = 127,

    /// <summary>The regular expression is not valid.</summary>
    InvalidRegularExpression = 128,

    /// <summary>The client's metadata is stale; it should bootstrap again from its seed brokers.</summary>
    RebootstrapRequired = 129,

    /// <summary>The Streams topology is not valid.</summary>
    StreamsInvalidTopology = 130,

    /// <summary>The Streams topology epoch is not valid.</summary>
    StreamsInvalidTopologyEpoch = 131,

    /// <summary>The Streams topology epoch is out of date.</summary>
    StreamsTopologyFenced = 132,

    /// <summary>The broker has reached its limit of share sessions. Retriable.</summary>
    ShareSessionLimitReached = 133,
}
