namespace Kafka.Client.Protocol;

/// <summary>
/// IncrementalAlterConfigs (key 44, Kafka 2.3+): sets, deletes, appends to or subtracts from configuration entries of
/// topics (any broker) or of a broker (that broker), leaving the others as they are. v0–v1, flexible from v1.
/// </summary>
internal sealed class IncrementalAlterConfigsRequest : KafkaRequest<IncrementalAlterConfigsResponse>
{
    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.IncrementalAlterConfigs;

    /// <summary>The resources and their changes.</summary>
    public IReadOnlyList<AlterConfigsResource> Resources { get; set; } = [];

    /// <summary>Check the request only, changing nothing.</summary>
    public bool ValidateOnly { get; set; }

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        writer.WriteArrayLength(Resources.Count, flexible);
        foreach (var resource in Resources)
        {
            writer.WriteInt8(resource.ResourceType);
            writer.WriteString(resource.ResourceName, flexible);
            writer.WriteArrayLength(resource.Configs.Count, flexible);
            foreach (var config in resource.Configs)
            {
                writer.WriteString(config.Name, flexible);
                writer.WriteInt8(config.Operation);
                writer.WriteNullableString(config.Value, flexible);
                writer.WriteEmptyTaggedFieldsIf(flexible);
            }
            writer.WriteEmptyTaggedFieldsIf(flexible);
        }
        writer.WriteBoolean(ValidateOnly);
        writer.WriteEmptyTaggedFieldsIf(flexible);
    }

    /// <inheritdoc/>
    public override IncrementalAlterConfigsResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        var throttle = reader.ReadInt32();
        var results = new AlterConfigsResourceResult[reader.ReadCount(flexible, 2 + (flexible ? 1 : 2) + 1 + (flexible ? 1 : 2))];
        for (var i = 0; i < results.Length; i++)
        {
            var error = (KafkaErrorCode)reader.ReadInt16();
            var message = reader.ReadNullableString(flexible);
            var type = reader.ReadInt8();
            var name = reader.ReadString(flexible);
            reader.SkipTaggedFieldsIf(flexible);
            results[i] = new AlterConfigsResourceResult(error, message, type, name);
        }
        reader.SkipTaggedFieldsIf(flexible);
        return new IncrementalAlterConfigsResponse(throttle, results);
    }
}

/// <summary>A resource and the changes to its configuration.</summary>
internal sealed record AlterConfigsResource(sbyte ResourceType, string ResourceName, IReadOnlyList<AlterableConfig> Configs);

/// <summary>
/// One change.
/// Operation: 0 set, 1 delete, 2 append, 3 subtract.
/// </summary>
internal sealed record AlterableConfig(string Name, sbyte Operation, string? Value);
