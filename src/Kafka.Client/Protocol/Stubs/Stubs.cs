// Temporary compile stubs; replaced by the real codecs from the protocol branch.
namespace Kafka.Client.Protocol;

internal static class KnownApis
{
    public static readonly ApiInfo ApiVersions = new(ApiKey.ApiVersions, 0, 3, 3);
    public static readonly ApiInfo Metadata = new(ApiKey.Metadata, 0, 12, 9);
    public static readonly ApiInfo ListOffsets = new(ApiKey.ListOffsets, 1, 7, 6);
}

internal readonly record struct ApiVersionRange(ApiKey Key, short MinVersion, short MaxVersion);

internal sealed class ApiVersionsRequest : KafkaRequest<ApiVersionsResponse>
{
    public string ClientSoftwareName { get; init; } = "kafka-hosting";
    public string ClientSoftwareVersion { get; init; } = "0";
    public override ApiInfo Api => KnownApis.ApiVersions;
    public override void Write(KafkaWriter writer, short version) => throw new NotImplementedException();
    public override ApiVersionsResponse ReadResponse(ref KafkaReader reader, short version) => throw new NotImplementedException();
}

internal sealed class ApiVersionsResponse
{
    public KafkaErrorCode ErrorCode { get; init; }
    public IReadOnlyList<ApiVersionRange> ApiKeys { get; init; } = [];
    public int ThrottleTimeMs { get; init; }
}

internal sealed class MetadataRequest : KafkaRequest<MetadataResponse>
{
    public IReadOnlyList<string>? Topics { get; init; }
    public bool AllowAutoTopicCreation { get; init; }
    public override ApiInfo Api => KnownApis.Metadata;
    public override void Write(KafkaWriter writer, short version) => throw new NotImplementedException();
    public override MetadataResponse ReadResponse(ref KafkaReader reader, short version) => throw new NotImplementedException();
}

internal sealed class MetadataResponse
{
    public int ThrottleTimeMs { get; init; }
    public IReadOnlyList<MetadataBroker> Brokers { get; init; } = [];
    public string? ClusterId { get; init; }
    public int ControllerId { get; init; }
    public IReadOnlyList<MetadataTopic> Topics { get; init; } = [];
}

internal sealed record MetadataBroker(int NodeId, string Host, int Port, string? Rack);
internal sealed record MetadataTopic(KafkaErrorCode ErrorCode, string? Name, Guid TopicId, bool IsInternal, IReadOnlyList<MetadataPartition> Partitions);
internal sealed record MetadataPartition(KafkaErrorCode ErrorCode, int PartitionIndex, int LeaderId, int LeaderEpoch, int[] ReplicaNodes, int[] IsrNodes, int[] OfflineReplicas);

internal sealed class ListOffsetsRequest : KafkaRequest<ListOffsetsResponse>
{
    public int ReplicaId { get; init; } = -1;
    public sbyte IsolationLevel { get; init; }
    public IReadOnlyList<ListOffsetsTopic> Topics { get; init; } = [];
    public override ApiInfo Api => KnownApis.ListOffsets;
    public override void Write(KafkaWriter writer, short version) => throw new NotImplementedException();
    public override ListOffsetsResponse ReadResponse(ref KafkaReader reader, short version) => throw new NotImplementedException();
}

internal sealed record ListOffsetsTopic(string Name, IReadOnlyList<ListOffsetsPartition> Partitions);
internal sealed record ListOffsetsPartition(int PartitionIndex, long Timestamp, int CurrentLeaderEpoch = -1);

internal sealed class ListOffsetsResponse
{
    public int ThrottleTimeMs { get; init; }
    public IReadOnlyList<ListOffsetsTopicResponse> Topics { get; init; } = [];
}

internal sealed record ListOffsetsTopicResponse(string Name, IReadOnlyList<ListOffsetsPartitionResponse> Partitions);
internal sealed record ListOffsetsPartitionResponse(int PartitionIndex, KafkaErrorCode ErrorCode, long Timestamp, long Offset, int LeaderEpoch);

internal static class RequestHeader
{
    public static void Write(KafkaWriter w, ApiKey apiKey, short apiVersion, int correlationId, string? clientId, short headerVersion) => throw new NotImplementedException();
}

internal static class ResponseHeader
{
    public static int Read(ref KafkaReader r, short headerVersion) => throw new NotImplementedException();
}

internal sealed class ApiVersionTable
{
    public short Negotiate(ApiInfo api) => throw new NotImplementedException();
    public bool TryNegotiate(ApiInfo api, out short version) => throw new NotImplementedException();
}
