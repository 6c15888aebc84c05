namespace Kafka.Client;

/// <summary>
/// Settings of a <see cref="SimpleConsumer"/>: every consumer's (<see cref="ConsumerOptions"/>) plus the partitions to
/// consume and the group whose offsets it reads and commits. Each pykafka <c>SimpleConsumer</c> parameter has a
/// property with the same meaning and default. pykafka's deserializer hook is <see cref="SimpleConsumerOptions{TKey, TValue}"/>.
/// </summary>
public class SimpleConsumerOptions : ConsumerOptions
{
    /// <summary>
    /// The consumer group whose offsets the consumer reads at start and commits; <see langword="null"/> for a consumer
    /// that stores no offsets (it starts at <see cref="ConsumerOptions.AutoOffsetReset"/>). The simple consumer does not join the group:
    /// it only uses the group's offset storage. pykafka: <c>consumer_group</c>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? ConsumerGroup { get; set; }

    /// <summary>The partition ids to consume; <see langword="null"/> for all of the topic's partitions. pykafka: <c>partitions</c>.</summary>
    /// <value>The default value is <see langword="null"/> (every partition).</value>
    public IReadOnlyList<int>? Partitions { get; set; }

    /// <inheritdoc/>
    public override IReadOnlyList<string> Validate()
    {
        var errors = new List<string>(base.Validate());
        if (ConsumerGroup is { Length: 0 })
        {
            errors.Add("ConsumerGroup must not be empty (use null for no group).");
        }
        if (Partitions is { } partitions && (partitions.Count == 0 || partitions.Any(p => p < 0) || partitions.Distinct().Count() != partitions.Count))
        {
            errors.Add("Partitions must be null (all) or distinct, non-negative partition ids.");
        }
        if (AutoCommitEnable && ConsumerGroup is null)
        {
            errors.Add("AutoCommitEnable needs a ConsumerGroup to commit to.");
        }
        return errors;
    }

    /// <summary>Creates a copy (the partition list is copied too), so that a consumer is not affected by later changes.</summary>
    public override SimpleConsumerOptions Clone()
    {
        var copy = (SimpleConsumerOptions)base.Clone();
        copy.Partitions = Partitions?.ToArray();
        return copy;
    }
}
