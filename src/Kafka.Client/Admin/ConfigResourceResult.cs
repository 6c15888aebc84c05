namespace Kafka.Client.Admin;

/// <summary>The configuration of one resource (<see cref="KafkaAdmin.DescribeConfigsAsync"/>), or the outcome of changing it.</summary>
/// <param name="Resource">The topic or broker.</param>
/// <param name="Entries">Its entries (empty after a change, or when <see cref="Error"/> is set).</param>
/// <param name="Error">Why the call failed for this resource, or <see langword="null"/>.</param>
public sealed record ConfigResourceResult(ConfigResource Resource, IReadOnlyList<ConfigEntry> Entries, KafkaBrokerException? Error)
{
    /// <summary>Whether the call succeeded for this resource.</summary>
    public bool Succeeded => Error is null;
}
