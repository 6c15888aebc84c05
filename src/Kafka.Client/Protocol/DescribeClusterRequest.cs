namespace Kafka.Client.Protocol;

/// <summary>
/// DescribeCluster (key 60, Kafka 2.8+): the cluster id, controller and brokers, from any broker. v0–v2, flexible at
/// every version; v1 names the endpoint type (brokers), v2 can include fenced brokers and flags them.
/// </summary>
internal sealed class DescribeClusterRequest : KafkaRequest<DescribeClusterResponse>
{
    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.DescribeCluster;

    /// <summary>Ask for the operations the client may perform on the cluster.</summary>
    public bool IncludeClusterAuthorizedOperations { get; set; }

    /// <summary>List fenced brokers too (v2+); ignored before v2.</summary>
    public bool IncludeFencedBrokers { get; set; }

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        writer.WriteBoolean(IncludeClusterAuthorizedOperations);
        if (version >= 1)
        {
            writer.WriteInt8(1); // endpoint type: brokers
        }
        if (version >= 2)
        {
            writer.WriteBoolean(IncludeFencedBrokers);
        }
        writer.WriteEmptyTaggedFields();
    }

    /// <inheritdoc/>
    public override DescribeClusterResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var throttle = reader.ReadInt32();
        var error = (KafkaErrorCode)reader.ReadInt16();
        var message = reader.ReadNullableString(true);
        if (version >= 1)
        {
            reader.ReadInt8(); // endpoint type
        }
        var clusterId = reader.ReadString(true);
        var controllerId = reader.ReadInt32();
        // Each: id, host, port, rack, [fenced], tags.
        var brokers = new DescribeClusterBroker[reader.ReadCount(true, 4 + 1 + 4 + 1 + (version >= 2 ? 1 : 0) + 1)];
        for (var i = 0; i < brokers.Length; i++)
        {
            var id = reader.ReadInt32();
            var host = reader.ReadString(true);
            var port = reader.ReadInt32();
            var rack = reader.ReadNullableString(true);
            var fenced = version >= 2 && reader.ReadBoolean();
            reader.SkipTaggedFields();
            brokers[i] = new DescribeClusterBroker(id, host, port, rack, fenced);
        }
        var operations = reader.ReadInt32();
        reader.SkipTaggedFields();
        return new DescribeClusterResponse(throttle, error, message, clusterId, controllerId, brokers, operations);
    }
}
