namespace Kafka.Client;

/// <summary>What an <see cref="IDeserializer{T}"/> is told besides the bytes: which message, which part, whether it is null.</summary>
public readonly struct DeserializationContext
{
    internal DeserializationContext(ConsumedMessage message, MessageComponent component, bool isNull)
    {
        Message = message;
        Component = component;
        IsNull = isNull;
    }

    /// <summary>The message being deserialized (topic, partition, offset, timestamp, headers).</summary>
    public ConsumedMessage Message { get; }

    /// <summary>Whether the key or the value is being deserialized.</summary>
    public MessageComponent Component { get; }

    /// <summary>Whether the key or value is null (the bytes are then empty).</summary>
    public bool IsNull { get; }
}
