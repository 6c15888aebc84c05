namespace Kafka.Client.Admin;

/// <summary>One configuration entry of a topic or broker.</summary>
/// <param name="Name">The entry's name.</param>
/// <param name="Value">Its value; null for sensitive entries and unset ones.</param>
/// <param name="Source">Where the value comes from.</param>
/// <param name="IsReadOnly">Whether it can be changed.</param>
/// <param name="IsSensitive">Whether the value is a secret (the broker never sends it).</param>
public sealed record ConfigEntry(string Name, string? Value, ConfigSource Source, bool IsReadOnly, bool IsSensitive)
{
    /// <summary>Whether the value is Kafka's built-in default.</summary>
    public bool IsDefault => Source == ConfigSource.Default;
}
