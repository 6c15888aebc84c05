using System.Runtime.InteropServices;

namespace Kafka.Testing.Native;

/// <summary>
/// The librdkafka entry points the mock cluster needs. Signatures follow rdkafka.h and rdkafka_mock.h;
/// C enums (rd_kafka_resp_err_t, rd_kafka_type_t, rd_kafka_conf_res_t) are plain ints.
/// </summary>
internal static unsafe partial class LibrdkafkaNative
{
    /// <summary>
    /// A private name, resolved by <see cref="LibrdkafkaLoader"/>, so that the default probing never picks a
    /// librdkafka build that fails to load (or another copy the application ships).
    /// </summary>
    internal const string LibraryName = "rdkafka-mock";

    internal const int ProducerType = 0;
    internal const int ConfOk = 0;

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_conf_new")]
    internal static partial nint ConfNew();

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_conf_destroy")]
    internal static partial void ConfDestroy(nint conf);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_conf_set", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ConfSet(nint conf, string name, string value, byte* errstr, nuint errstrSize);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_conf_set_log_cb")]
    internal static partial void ConfSetLogCallback(nint conf, delegate* unmanaged[Cdecl]<nint, int, byte*, byte*, void> callback);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_conf_set_opaque")]
    internal static partial void ConfSetOpaque(nint conf, nint opaque);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_opaque")]
    internal static partial nint Opaque(nint rk);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_new")]
    internal static partial nint New(int type, nint conf, byte* errstr, nuint errstrSize);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_destroy")]
    internal static partial void Destroy(nint rk);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_err2name")]
    internal static partial byte* ErrorToName(int error);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_err2str")]
    internal static partial byte* ErrorToString(int error);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_cluster_new")]
    internal static partial nint MockClusterNew(nint rk, int brokerCount);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_cluster_destroy")]
    internal static partial void MockClusterDestroy(nint cluster);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_cluster_bootstraps")]
    internal static partial byte* MockClusterBootstraps(MockClusterHandle cluster);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_topic_create", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MockTopicCreate(MockClusterHandle cluster, string topic, int partitionCount, int replicationFactor);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_topic_delete", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MockTopicDelete(MockClusterHandle cluster, string topic);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_topic_set_error", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void MockTopicSetError(MockClusterHandle cluster, string topic, int error);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_partition_set_leader", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MockPartitionSetLeader(MockClusterHandle cluster, string topic, int partition, int brokerId);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_partition_set_follower", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MockPartitionSetFollower(MockClusterHandle cluster, string topic, int partition, int brokerId);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_partition_set_follower_wmarks", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MockPartitionSetFollowerWatermarks(MockClusterHandle cluster, string topic, int partition, long low, long high);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_broker_set_down")]
    internal static partial int MockBrokerSetDown(MockClusterHandle cluster, int brokerId);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_broker_set_up")]
    internal static partial int MockBrokerSetUp(MockClusterHandle cluster, int brokerId);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_broker_set_rtt")]
    internal static partial int MockBrokerSetRtt(MockClusterHandle cluster, int brokerId, int rttMs);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_broker_set_rack", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MockBrokerSetRack(MockClusterHandle cluster, int brokerId, string? rack);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_broker_set_host_port", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void MockBrokerSetHostPort(MockClusterHandle cluster, int brokerId, string host, int port);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_broker_add")]
    internal static partial int MockBrokerAdd(MockClusterHandle cluster, int brokerId);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_broker_decommission")]
    internal static partial int MockBrokerDecommission(MockClusterHandle cluster, int brokerId);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_coordinator_set", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MockCoordinatorSet(MockClusterHandle cluster, string keyType, string key, int brokerId);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_set_apiversion")]
    internal static partial int MockSetApiVersion(MockClusterHandle cluster, short apiKey, short minVersion, short maxVersion);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_group_initial_rebalance_delay_ms")]
    internal static partial void MockGroupInitialRebalanceDelayMs(MockClusterHandle cluster, int delayMs);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_set_group_consumer_session_timeout_ms")]
    internal static partial void MockSetGroupConsumerSessionTimeoutMs(MockClusterHandle cluster, int timeoutMs);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_set_group_consumer_heartbeat_interval_ms")]
    internal static partial void MockSetGroupConsumerHeartbeatIntervalMs(MockClusterHandle cluster, int intervalMs);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_sharegroup_set_session_timeout")]
    internal static partial void MockShareGroupSetSessionTimeout(MockClusterHandle cluster, int timeoutMs);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_sharegroup_set_heartbeat_interval")]
    internal static partial void MockShareGroupSetHeartbeatInterval(MockClusterHandle cluster, int intervalMs);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_sharegroup_set_max_delivery_attempts")]
    internal static partial void MockShareGroupSetMaxDeliveryAttempts(MockClusterHandle cluster, int attempts);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_sharegroup_set_record_lock_duration")]
    internal static partial void MockShareGroupSetRecordLockDuration(MockClusterHandle cluster, int durationMs);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_sharegroup_set_auto_offset_reset")]
    internal static partial void MockShareGroupSetAutoOffsetReset(MockClusterHandle cluster, int earliest);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_sharegroup_target_assignment", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void MockShareGroupTargetAssignment(MockClusterHandle cluster, string groupId, nint memberIds, nint assignments, nuint memberCount);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_share_consumer_new")]
    internal static partial nint ShareConsumerNew(nint conf, byte* errstr, nuint errstrSize);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_share_subscribe")]
    internal static partial int ShareSubscribe(nint share, nint topics);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_share_poll")]
    internal static partial nint SharePoll(nint share, int timeoutMs, nint* messages);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_share_consumer_close")]
    internal static partial nint ShareConsumerClose(nint share);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_share_destroy")]
    internal static partial nint ShareDestroy(nint share);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_messages_count")]
    internal static partial nuint MessagesCount(nint messages);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_messages_get")]
    internal static partial nint MessagesGet(nint messages, nuint index);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_messages_destroy")]
    internal static partial void MessagesDestroy(nint messages);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_message_delivery_count")]
    internal static partial short MessageDeliveryCount(nint message);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_error_string")]
    internal static partial byte* ErrorString(nint error);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_error_destroy")]
    internal static partial void ErrorDestroy(nint error);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_topic_partition_list_new")]
    internal static partial nint TopicPartitionListNew(int size);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_topic_partition_list_add", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint TopicPartitionListAdd(nint list, string topic, int partition);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_topic_partition_list_destroy")]
    internal static partial void TopicPartitionListDestroy(nint list);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_cgrp_consumer_target_assignment_new")]
    internal static partial nint MockConsumerTargetAssignmentNew(nint* memberIds, int memberCount, nint* assignments);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_cgrp_consumer_target_assignment_destroy")]
    internal static partial void MockConsumerTargetAssignmentDestroy(nint targetAssignment);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_cgrp_consumer_target_assignment", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void MockConsumerTargetAssignment(MockClusterHandle cluster, string groupId, nint targetAssignment);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_push_request_errors_array")]
    internal static partial void MockPushRequestErrorsArray(MockClusterHandle cluster, short apiKey, nuint count, int* errors);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_clear_request_errors")]
    internal static partial void MockClearRequestErrors(MockClusterHandle cluster, short apiKey);

    /// <summary>
    /// The C function is variadic (count, then err/rtt_ms int pairs). .NET cannot call varargs on Unix, so this
    /// binds a fixed prototype with one pair; that matches the variadic calling convention on x64 (System V and
    /// Windows) and on non-Apple arm64, where variadic ints travel exactly like named ones. Callers check the
    /// platform first.
    /// </summary>
    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_broker_push_request_error_rtts")]
    internal static partial int MockBrokerPushRequestErrorRtt(MockClusterHandle cluster, int brokerId, short apiKey, nuint count, int error, int rttMs);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_start_request_tracking")]
    internal static partial void MockStartRequestTracking(MockClusterHandle cluster);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_stop_request_tracking")]
    internal static partial void MockStopRequestTracking(MockClusterHandle cluster);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_get_requests")]
    internal static partial nint* MockGetRequests(MockClusterHandle cluster, nuint* count);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_clear_requests")]
    internal static partial void MockClearRequests(MockClusterHandle cluster);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_request_id")]
    internal static partial int MockRequestBrokerId(nint request);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_request_api_key")]
    internal static partial short MockRequestApiKey(nint request);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_request_timestamp")]
    internal static partial long MockRequestTimestamp(nint request);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_request_destroy_array")]
    internal static partial void MockRequestDestroyArray(nint* requests, nuint count);

    /// <summary>librdkafka's symbolic name for an error code, e.g. "UNKNOWN_TOPIC_OR_PART".</summary>
    internal static string ErrorName(int error) => Marshal.PtrToStringUTF8((nint)ErrorToName(error)) ?? error.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>librdkafka's description of an error code.</summary>
    internal static string ErrorDescription(int error) => Marshal.PtrToStringUTF8((nint)ErrorToString(error)) ?? string.Empty;
}
