namespace Kafka.Client.Protocol;

/// <summary>
/// DeleteTopics (key 20): deletes topics, on the controller (or any broker of a KRaft cluster). v1–v6, flexible from
/// v4; v5 answers error messages; v6 names each topic by name or by id. v0 was removed in Kafka 4.0.
/// </summary>
internal sealed class DeleteTopicsRequest : KafkaRequest<DeleteTopicsResponse>
{
    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.DeleteTopics;

    /// <summary>The names of the topics to delete.</summary>
    public IReadOnlyList<string> TopicNames { get; set; } = [];

    /// <summary>How long the controller waits for the deletions before answering REQUEST_TIMED_OUT.</summary>
    public int TimeoutMs { get; set; } = 60_000;

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        writer.WriteArrayLength(TopicNames.Count, flexible);
        foreach (var name in TopicNames)
        {
            writer.WriteString(name, flexible);
            if (version >= 6)
            {
                writer.WriteUuid(Guid.Empty); // named by name: the id is left zero
                writer.WriteEmptyTaggedFields();
            }
        }
        writer.WriteInt32(TimeoutMs);
        writer.WriteEmptyTaggedFieldsIf(flexible);
    }

    /// <inheritdoc/>
    public override DeleteTopicsResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        var throttle = reader.ReadInt32();
        var results = new DeletableTopicResult[reader.ReadCount(flexible, (flexible ? 1 : 2) + 2)];
        for (var i = 0; i < results.Length; i++)
        {
            var name = version >= 6 ? reader.ReadNullableString(flexible) : reader.ReadString(flexible);
            var id = version >= 6 ? reader.ReadUuid() : Guid.Empty;
            var error = (KafkaErrorCode)reader.ReadInt16();
            var message = version >= 5 ? reader.ReadNullableString(flexible) : null;
            reader.SkipTaggedFieldsIf(flexible);
            results[i] = new DeletableTopicResult(name, id, error, message);
        }
        reader.SkipTaggedFieldsIf(flexible);
        return new DeleteTopicsResponse(throttle, results);
    }
}
