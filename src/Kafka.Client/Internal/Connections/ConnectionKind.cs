namespace Kafka.Client.Internal;

/// <summary>
/// Traffic classes, each with its own connection per broker, so that a long fetch poll or a slow join never
/// delays a heartbeat, an offset commit or a metadata request.
/// </summary>
internal enum ConnectionKind
{
    /// <summary>Metadata, list offsets, coordinator lookups: short requests.</summary>
    General,

    /// <summary>Produce requests.</summary>
    Produce,

    /// <summary>Fetch requests (long polls).</summary>
    Fetch,

    /// <summary>Group membership: join, sync, heartbeat, leave.</summary>
    Group,

    /// <summary>pykafka's offsets channel: offset commits and fetches, with their own timeout.</summary>
    OffsetsChannel,
}
