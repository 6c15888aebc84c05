namespace Kafka.Client.Protocol;

/// <summary>
/// DescribeGroups (key 15): state, protocol and members of groups, from their coordinator. v0–v6, flexible from v5;
/// v3 can answer authorized operations, v4 members' instance ids, v6 an error message (and GROUP_ID_NOT_FOUND for an
/// unknown group, KIP-1043).
/// </summary>
internal sealed class DescribeGroupsRequest : KafkaRequest<DescribeGroupsResponse>
{
    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.DescribeGroups;

    /// <summary>The group ids.</summary>
    public IReadOnlyList<string> Groups { get; set; } = [];

    /// <summary>Answer the operations the client may perform on each group (v3+).</summary>
    public bool IncludeAuthorizedOperations { get; set; }

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        writer.WriteArrayLength(Groups.Count, flexible);
        foreach (var group in Groups)
        {
            writer.WriteString(group, flexible);
        }
        if (version >= 3)
        {
            writer.WriteBoolean(IncludeAuthorizedOperations);
        }
        writer.WriteEmptyTaggedFieldsIf(flexible);
    }

    /// <inheritdoc/>
    public override DescribeGroupsResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        var throttle = version >= 1 ? reader.ReadInt32() : 0;
        var str = flexible ? 1 : 2;
        var groups = new DescribedGroup[reader.ReadCount(flexible, 2 + (version >= 6 ? 1 : 0) + 4 * str + (flexible ? 1 : 4))];
        for (var i = 0; i < groups.Length; i++)
        {
            var error = (KafkaErrorCode)reader.ReadInt16();
            var message = version >= 6 ? reader.ReadNullableString(flexible) : null;
            var id = reader.ReadString(flexible);
            var state = reader.ReadString(flexible);
            var protocolType = reader.ReadString(flexible);
            var protocol = reader.ReadString(flexible);
            // Each member: id, [instance id], client id, host, metadata, assignment.
            var bytes = flexible ? 1 : 4;
            var members = new DescribedGroupMember[reader.ReadCount(flexible, 3 * str + (version >= 4 ? str : 0) + 2 * bytes)];
            for (var m = 0; m < members.Length; m++)
            {
                var memberId = reader.ReadString(flexible);
                var instanceId = version >= 4 ? reader.ReadNullableString(flexible) : null;
                var clientId = reader.ReadString(flexible);
                var host = reader.ReadString(flexible);
                var metadata = reader.ReadBytes(flexible).ToArray();
                var assignment = reader.ReadBytes(flexible).ToArray();
                reader.SkipTaggedFieldsIf(flexible);
                members[m] = new DescribedGroupMember(memberId, instanceId, clientId, host, metadata, assignment);
            }
            var operations = version >= 3 ? reader.ReadInt32() : int.MinValue;
            reader.SkipTaggedFieldsIf(flexible);
            groups[i] = new DescribedGroup(error, message, id, state, protocolType, protocol, members, operations);
        }
        reader.SkipTaggedFieldsIf(flexible);
        return new DescribeGroupsResponse(throttle, groups);
    }
}
