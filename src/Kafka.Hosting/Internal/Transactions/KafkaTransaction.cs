using Kafka.Client;

namespace Kafka.Hosting.Internal;

/// <summary>The open transaction of a transactional consumer's producer, as its handlers see it: produce only.</summary>
internal sealed class KafkaTransaction(TransactionalProducer producer) : IKafkaTransaction
{
    public string TransactionalId => producer.TransactionalId;

    public ValueTask<DeliveryReport> ProduceAsync(string topic, ReadOnlyMemory<byte>? value, ReadOnlyMemory<byte>? key = null,
        DateTimeOffset? timestamp = null, ReadOnlySpan<KafkaHeader> headers = default, CancellationToken cancellationToken = default) =>
        producer.ProduceAsync(topic, value, key, timestamp, headers, cancellationToken);

    public void Produce(string topic, ReadOnlyMemory<byte>? value, ReadOnlyMemory<byte>? key = null, DateTimeOffset? timestamp = null,
        ReadOnlySpan<KafkaHeader> headers = default) =>
        producer.Produce(topic, value, key, timestamp, headers);

    public override string ToString() => $"KafkaTransaction({TransactionalId})";
}
