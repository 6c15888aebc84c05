namespace Kafka.Client;

/// <summary>Which part of a message a deserializer is given.</summary>
public enum MessageComponent
{
    /// <summary>The key (pykafka's <c>partition_key</c>).</summary>
    Key,

    /// <summary>The value.</summary>
    Value,
}
