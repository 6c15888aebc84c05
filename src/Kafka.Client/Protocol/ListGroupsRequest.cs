namespace Kafka.Client.Protocol;

/// <summary>
/// ListGroups (key 16): the groups one broker coordinates. v0–v5, flexible from v3; v4 filters by and answers each
/// group's state (KIP-518), v5 by and with its type: classic, consumer, share (KIP-848).
/// </summary>
internal sealed class ListGroupsRequest : KafkaRequest<ListGroupsResponse>
{
    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.ListGroups;

    /// <summary>Only groups in these states (v4+); empty for all.</summary>
    public IReadOnlyList<string> StatesFilter { get; set; } = [];

    /// <summary>Only groups of these types (v5+); empty for all.</summary>
    public IReadOnlyList<string> TypesFilter { get; set; } = [];

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        if (StatesFilter.Count > 0 && version < 4)
        {
            throw new KafkaVersionException($"ListGroups v{version} cannot filter by state: that needs v4 (Kafka 2.6) or later.");
        }
        if (TypesFilter.Count > 0 && version < 5)
        {
            throw new KafkaVersionException($"ListGroups v{version} cannot filter by type: that needs v5 (Kafka 3.8) or later.");
        }
        var flexible = Api.IsFlexible(version);
        if (version >= 4)
        {
            WriteStrings(writer, StatesFilter);
        }
        if (version >= 5)
        {
            WriteStrings(writer, TypesFilter);
        }
        writer.WriteEmptyTaggedFieldsIf(flexible);
    }

    private static void WriteStrings(KafkaWriter writer, IReadOnlyList<string> values)
    {
        writer.WriteArrayLength(values.Count, true);
        foreach (var value in values)
        {
            writer.WriteString(value, true);
        }
    }

    /// <inheritdoc/>
    public override ListGroupsResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        var throttle = version >= 1 ? reader.ReadInt32() : 0;
        var error = (KafkaErrorCode)reader.ReadInt16();
        var perGroup = flexible ? 2 + (version >= 4 ? 1 : 0) + (version >= 5 ? 1 : 0) + 1 : 4;
        var groups = new ListedGroup[reader.ReadCount(flexible, perGroup)];
        for (var i = 0; i < groups.Length; i++)
        {
            var id = reader.ReadString(flexible);
            var protocolType = reader.ReadString(flexible);
            var state = version >= 4 ? reader.ReadString(flexible) : null;
            var type = version >= 5 ? reader.ReadString(flexible) : null;
            reader.SkipTaggedFieldsIf(flexible);
            groups[i] = new ListedGroup(id, protocolType, state, type);
        }
        reader.SkipTaggedFieldsIf(flexible);
        return new ListGroupsResponse(throttle, error, groups);
    }
}
