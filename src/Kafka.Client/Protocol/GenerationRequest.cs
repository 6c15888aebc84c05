namespace Kafka.Client.Protocol;

/// <summary>
/// A request a group member sends within a generation (Heartbeat, SyncGroup): it starts with the group id, the
/// generation, the member id and, from v3, the static member's instance id.
/// </summary>
/// <typeparam name="TResponse">The response type.</typeparam>
internal abstract class GenerationRequest<TResponse> : KafkaRequest<TResponse>
{
    /// <summary>The group id.</summary>
    public string GroupId { get; set; } = string.Empty;

    /// <summary>The member's generation.</summary>
    public int GenerationId { get; set; }

    /// <summary>The member's id.</summary>
    public string MemberId { get; set; } = string.Empty;

    /// <summary>
    /// The static member's instance id (v3+), or <see langword="null"/>. Writing one before v3 throws
    /// <see cref="KafkaVersionException"/>.
    /// </summary>
    public string? GroupInstanceId { get; set; }

    /// <summary>Checks the version and writes the member's fields, which open the request.</summary>
    /// <exception cref="KafkaVersionException">A group instance id before v3.</exception>
    protected void WriteMember(KafkaWriter writer, short version, bool flexible)
    {
        if (GroupInstanceId is not null && version < 3)
        {
            throw new KafkaVersionException(
                $"{Api.Key} v{version} has no group instance id: static membership needs v3 or later (Kafka 2.3).");
        }
        writer.WriteString(GroupId, flexible);
        writer.WriteInt32(GenerationId);
        writer.WriteString(MemberId, flexible);
        if (version >= 3)
        {
            writer.WriteNullableString(GroupInstanceId, flexible);
        }
    }
}
