using Kafka.Client;

namespace Kafka.Hosting;

/// <summary>
/// Settings of a hosted consumer with a typed handler (<see cref="IKafkaMessageHandler{TKey, TValue}"/>): those of
/// <see cref="HostedConsumerOptions"/> plus the deserializers of keys and values.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
/// <remarks>
/// A deserializer left <see langword="null"/> is taken from the application's services (<c>IDeserializer&lt;TKey&gt;</c>,
/// <c>IDeserializer&lt;TValue&gt;</c>); failing that, <c>string</c> is read as UTF-8 and <c>byte[]</c> as it is. Otherwise
/// the host fails to start naming the missing deserializer. A key or value that fails to deserialize is not retried:
/// it goes straight to <see cref="HostedConsumerOptions.FailurePolicy"/> (a dead-lettered message keeps its original bytes).
/// </remarks>
public sealed class HostedConsumerOptions<TKey, TValue> : HostedConsumerOptions
{
    /// <summary>Turns key bytes into a <typeparamref name="TKey"/> (<see cref="Deserializers.Ignore"/> for keys not used).</summary>
    /// <value>The default value is <see langword="null"/>: from the application's services, or built in for <c>string</c> and <c>byte[]</c>.</value>
    public IDeserializer<TKey>? KeyDeserializer { get; set; }

    /// <summary>Turns value bytes into a <typeparamref name="TValue"/>, such as <c>Deserializers.Json(MyJsonContext.Default.Order)</c>.</summary>
    /// <value>The default value is <see langword="null"/>: from the application's services, or built in for <c>string</c> and <c>byte[]</c>.</value>
    public IDeserializer<TValue>? ValueDeserializer { get; set; }
}
