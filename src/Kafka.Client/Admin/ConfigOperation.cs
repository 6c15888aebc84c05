namespace Kafka.Client.Admin;

/// <summary>What <see cref="ConfigChange"/> does to an entry (IncrementalAlterConfigs operations).</summary>
public enum ConfigOperation : sbyte
{
    /// <summary>Set the value.</summary>
    Set = 0,

    /// <summary>Remove the entry, so that it falls back to the broker's or Kafka's default.</summary>
    Delete = 1,

    /// <summary>Add values to a list entry.</summary>
    Append = 2,

    /// <summary>Remove values from a list entry.</summary>
    Subtract = 3,
}
