namespace Kafka.Client;

/// <summary>
/// A record header: a UTF-8 key and a byte value. Kafka distinguishes a null value (length -1 on the wire) from an
/// empty one; <see cref="IsNull"/> says which, and a null header's <see cref="Value"/> is empty.
/// </summary>
/// <param name="Key">The header's name; must not be null.</param>
/// <param name="Value">The header's value; empty for both an empty and a null value (see <see cref="IsNull"/>).</param>
public readonly record struct KafkaHeader(string Key, ReadOnlyMemory<byte> Value)
{
    /// <summary>True when the header has no value at all (written as length -1), rather than an empty one.</summary>
    public bool IsNull { get; init; }

    /// <summary>A header whose value is null.</summary>
    /// <param name="key">The header's name.</param>
    public static KafkaHeader WithNullValue(string key) => new(key, ReadOnlyMemory<byte>.Empty) { IsNull = true };
}
