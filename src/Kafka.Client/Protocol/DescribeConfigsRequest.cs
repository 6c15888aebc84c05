namespace Kafka.Client.Protocol;

/// <summary>
/// DescribeConfigs (key 32): the configuration of topics (any broker) or of a broker (that broker). v1–v4, flexible
/// from v4; v1 adds each entry's source and synonyms, v3 its type and documentation. v0 was removed in Kafka 4.0.
/// </summary>
internal sealed class DescribeConfigsRequest : KafkaRequest<DescribeConfigsResponse>
{
    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.DescribeConfigs;

    /// <summary>The resources to describe.</summary>
    public IReadOnlyList<DescribeConfigsResource> Resources { get; set; } = [];

    /// <summary>Answer each entry's synonyms (the broker and default values it overrides).</summary>
    public bool IncludeSynonyms { get; set; }

    /// <summary>Answer each entry's documentation (v3+); ignored before v3.</summary>
    public bool IncludeDocumentation { get; set; }

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
            if (resource.ConfigurationKeys is null)
            {
                writer.WriteArrayLength(-1, flexible);
            }
            else
            {
                writer.WriteArrayLength(resource.ConfigurationKeys.Count, flexible);
                foreach (var key in resource.ConfigurationKeys)
                {
                    writer.WriteString(key, flexible);
                }
            }
            writer.WriteEmptyTaggedFieldsIf(flexible);
        }
        writer.WriteBoolean(IncludeSynonyms);
        if (version >= 3)
        {
            writer.WriteBoolean(IncludeDocumentation);
        }
        writer.WriteEmptyTaggedFieldsIf(flexible);
    }

    /// <inheritdoc/>
    public override DescribeConfigsResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        var throttle = reader.ReadInt32();
        var results = new DescribeConfigsResult[reader.ReadCount(flexible, 2 + (flexible ? 1 : 2) + 1 + (flexible ? 1 : 2) + (flexible ? 1 : 4))];
        for (var i = 0; i < results.Length; i++)
        {
            var error = (KafkaErrorCode)reader.ReadInt16();
            var message = reader.ReadNullableString(flexible);
            var type = reader.ReadInt8();
            var name = reader.ReadString(flexible);
            // Each entry: name, value, read-only, source, sensitive, synonyms, [type, documentation].
            var configs = new DescribeConfigsEntry[reader.ReadCount(flexible, 2 * (flexible ? 1 : 2) + 1 + 1 + 1 + (flexible ? 1 : 4))];
            for (var c = 0; c < configs.Length; c++)
            {
                var configName = reader.ReadString(flexible);
                var value = reader.ReadNullableString(flexible);
                var readOnly = reader.ReadBoolean();
                var source = reader.ReadInt8();
                var sensitive = reader.ReadBoolean();
                var synonyms = new DescribeConfigsSynonym[reader.ReadCount(flexible, 2 * (flexible ? 1 : 2) + 1)];
                for (var s = 0; s < synonyms.Length; s++)
                {
                    var synonymName = reader.ReadString(flexible);
                    var synonymValue = reader.ReadNullableString(flexible);
                    var synonymSource = reader.ReadInt8();
                    reader.SkipTaggedFieldsIf(flexible);
                    synonyms[s] = new DescribeConfigsSynonym(synonymName, synonymValue, synonymSource);
                }
                sbyte configType = 0;
                string? documentation = null;
                if (version >= 3)
                {
                    configType = reader.ReadInt8();
                    documentation = reader.ReadNullableString(flexible);
                }
                reader.SkipTaggedFieldsIf(flexible);
                configs[c] = new DescribeConfigsEntry(configName, value, readOnly, source, sensitive, synonyms, configType, documentation);
            }
            reader.SkipTaggedFieldsIf(flexible);
            results[i] = new DescribeConfigsResult(error, message, type, name, configs);
        }
        reader.SkipTaggedFieldsIf(flexible);
        return new DescribeConfigsResponse(throttle, results);
    }
}

/// <summary>A resource whose configuration to describe.</summary>
/// <param name="ResourceType">2 topic, 4 broker, 8 broker logger (Kafka's ConfigResource.Type ids).</param>
/// <param name="ResourceName">The topic name, or the broker id as text.</param>
/// <param name="ConfigurationKeys">The entries to answer, or null for all.</param>
internal sealed record DescribeConfigsResource(sbyte ResourceType, string ResourceName, IReadOnlyList<string>? ConfigurationKeys);
