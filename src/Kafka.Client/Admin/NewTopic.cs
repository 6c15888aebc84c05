namespace Kafka.Client.Admin;

/// <summary>A topic to create with <see cref="KafkaAdmin.CreateTopicsAsync"/>.</summary>
/// <example><code>new NewTopic("orders") { Partitions = 6, ReplicationFactor = 3, Configs = { ["cleanup.policy"] = "compact" } }</code></example>
public sealed class NewTopic
{
    /// <summary>Creates a topic description with the broker's default partition count and replication factor.</summary>
    /// <param name="name">The topic name.</param>
    public NewTopic(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <summary>The topic name.</summary>
    public string Name { get; }

    /// <summary>The partition count; -1 (the default) for the broker's <c>num.partitions</c> (Kafka 2.4+).</summary>
    public int Partitions { get; init; } = -1;

    /// <summary>The replication factor; -1 (the default) for the broker's <c>default.replication.factor</c> (Kafka 2.4+).</summary>
    public short ReplicationFactor { get; init; } = -1;

    /// <summary>
    /// An explicit placement: partition number to the brokers that hold it (the preferred leader first). When set,
    /// <see cref="Partitions"/> and <see cref="ReplicationFactor"/> must stay -1.
    /// </summary>
    public IDictionary<int, IReadOnlyList<int>> ReplicaAssignment { get; } = new SortedDictionary<int, IReadOnlyList<int>>();

    /// <summary>Topic configuration entries, such as <c>retention.ms</c> or <c>cleanup.policy</c>.</summary>
    public IDictionary<string, string?> Configs { get; } = new Dictionary<string, string?>(StringComparer.Ordinal);

    /// <inheritdoc/>
    public override string ToString() => Name;
}
