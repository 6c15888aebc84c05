using Kafka.Client.Internal;
using Kafka.Client.Protocol;
using Kafka.Client.Protocol.Records;

namespace Kafka.Client.Tests.Consuming;

/// <summary>
/// Appends raw record batch bytes to a partition with a Produce v3 request, so tests can store batches no producer
/// would write (a wrong CRC, an unknown codec). The mock broker stores batches as they come, checking neither.
/// </summary>
internal static class RawProduce
{
    private static readonly ApiInfo ProduceV3 = new(ApiKey.Produce, 3, 3, ApiInfo.NeverFlexible);

    public static async Task<long> SendAsync(KafkaClient client, string topic, int partition, byte[] batch, CancellationToken ct)
    {
        var leader = client.Topics[topic].Partitions[partition].Leader!;
        var connection = await leader.GetConnectionAsync(ConnectionKind.General, ct);
        var (error, offset) = await connection.SendAsync(new Request(topic, partition, batch), 3, TimeSpan.FromSeconds(10), ct);
        if (error != KafkaErrorCode.None)
        {
            throw new KafkaBrokerException(error, $"Raw produce to {topic}/{partition} failed: {error}");
        }
        return offset;
    }

    /// <summary>A v2 batch of <paramref name="values"/> (keys null).</summary>
    public static byte[] Batch(params string[] values)
    {
        using var output = new KafkaWriter();
        using var builder = new RecordBatchBuilder();
        builder.Begin(output);
        foreach (var value in values)
        {
            builder.Append(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), default, System.Text.Encoding.UTF8.GetBytes(value), default, keyIsNull: true);
        }
        builder.Complete();
        return output.WrittenSpan.ToArray();
    }

    private sealed class Request(string topic, int partition, byte[] records) : KafkaRequest<(KafkaErrorCode, long)>
    {
        public override ApiInfo Api => ProduceV3;

        public override void Write(KafkaWriter writer, short version)
        {
            writer.WriteNullableString(null, false);
            writer.WriteInt16(1);
            writer.WriteInt32(10_000);
            writer.WriteArrayLength(1, false);
            writer.WriteString(topic, false);
            writer.WriteArrayLength(1, false);
            writer.WriteInt32(partition);
            writer.WriteBytes(records, false);
        }

        public override (KafkaErrorCode, long) ReadResponse(ref KafkaReader reader, short version)
        {
            reader.ReadArrayCount(false);
            reader.ReadString(false);
            reader.ReadArrayCount(false);
            reader.ReadInt32();
            var error = (KafkaErrorCode)reader.ReadInt16();
            var offset = reader.ReadInt64();
            reader.ReadInt64();
            reader.ReadInt32();
            return (error, offset);
        }
    }
}
