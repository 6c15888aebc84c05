namespace Kafka.Client.Protocol;

/// <summary>
/// DeleteGroups (key 42, Kafka 1.1+): deletes empty groups and their committed offsets, on their coordinator. v0–v2,
/// flexible from v2.
/// </summary>
internal sealed class DeleteGroupsRequest : KafkaRequest<DeleteGroupsResponse>
{
    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.DeleteGroups;

    /// <summary>The group ids.</summary>
    public IReadOnlyList<string> GroupsNames { get; set; } = [];

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        writer.WriteArrayLength(GroupsNames.Count, flexible);
        foreach (var group in GroupsNames)
        {
            writer.WriteString(group, flexible);
        }
        writer.WriteEmptyTaggedFieldsIf(flexible);
    }

    /// <inheritdoc/>
    public override DeleteGroupsResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        var throttle = reader.ReadInt32();
        var results = new DeletableGroupResult[reader.ReadCount(flexible, (flexible ? 1 : 2) + 2)];
        for (var i = 0; i < results.Length; i++)
        {
            var id = reader.ReadString(flexible);
            var error = (KafkaErrorCode)reader.ReadInt16();
            reader.SkipTaggedFieldsIf(flexible);
            results[i] = new DeletableGroupResult(id, error);
        }
        reader.SkipTaggedFieldsIf(flexible);
        return new DeleteGroupsResponse(throttle, results);
    }
}
