namespace Kafka.Client.Admin;

/// <summary>A change to one configuration entry, for <see cref="KafkaAdmin.IncrementalAlterConfigsAsync"/>.</summary>
/// <param name="Name">The entry.</param>
/// <param name="Operation">What to do.</param>
/// <param name="Value">The value (null for <see cref="ConfigOperation.Delete"/>).</param>
public sealed record ConfigChange(string Name, ConfigOperation Operation, string? Value)
{
    /// <summary>Sets <paramref name="name"/> to <paramref name="value"/>.</summary>
    public static ConfigChange Set(string name, string value) => new(name, ConfigOperation.Set, value);

    /// <summary>Removes <paramref name="name"/>, back to its default.</summary>
    public static ConfigChange Delete(string name) => new(name, ConfigOperation.Delete, null);
}
