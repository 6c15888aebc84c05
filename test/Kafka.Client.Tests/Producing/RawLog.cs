using Kafka.Client.Internal;
using Kafka.Client.Protocol;
using Kafka.Client.Protocol.Records;

namespace Kafka.Client.Tests.Producing;

/// <summary>A record as stored, with the header of the batch that carried it (producer id, epoch, sequence).</summary>
internal sealed record StoredRecord(int Partition, long Offset, string? Key, string? Value, long ProducerId, short ProducerEpoch,
    int BaseSequence, int IndexInBatch, int BatchRecordCount, byte Magic, CompressionType Compression, bool IsControl = false, bool IsTransactional = false);

/// <summary>
/// Reads a partition's log as the broker stores it, batch headers included, with a minimal Fetch v4 request (the
/// client has no consumer on this branch). Confluent.Kafka reads values back in the interop tests; this shows what
/// Confluent.Kafka does not expose: which producer id, epoch and sequence numbers each record was written with.
/// </summary>
internal static class RawLog
{
    /// <param name="verifyChecksums">
    /// False to read the control batches librdkafka's mock writes on EndTxn, whose CRC it leaves 0 (rdkafka_mock.c).
    /// </param>
    public static async Task<List<StoredRecord>> ReadAsync(KafkaClient client, string topic, CancellationToken ct, bool verifyChecksums = true)
    {
        await client.UpdateClusterAsync(ct);
        var result = new List<StoredRecord>();
        foreach (var (id, partition) in client.Topics[topic].Partitions)
        {
            var end = await partition.LatestAvailableOffsetAsync(ct);
            var offset = await partition.EarliestAvailableOffsetAsync(ct);
            while (offset < end)
            {
                var records = await partition.Leader!.SendAsync(ConnectionKind.Fetch, new FetchV4(topic, id, offset), ct);
                using var reader = new RecordSetReader { VerifyChecksums = verifyChecksums };
                reader.Reset(records, topic, id);
                var before = offset;
                while (reader.TryReadBatch(out var batch))
                {
                    var index = 0;
                    while (reader.TryReadRecord(out var record))
                    {
                        if (record.Offset >= offset)
                        {
                            result.Add(new StoredRecord(id, record.Offset,
                                record.IsKeyNull ? null : System.Text.Encoding.UTF8.GetString(record.Key.Span),
                                record.IsValueNull ? null : System.Text.Encoding.UTF8.GetString(record.Value.Span),
                                batch.ProducerId, batch.ProducerEpoch, batch.BaseSequence, index, batch.RecordCount, batch.Magic, batch.Compression,
                                batch.IsControl, batch.IsTransactional));
                            offset = record.Offset + 1;
                        }
                        index++;
                    }
                }
                if (offset == before)
                {
                    throw new InvalidOperationException($"Fetching {topic}/{id} at {offset} made no progress.");
                }
            }
        }
        return result;
    }

    /// <summary>Fetch v4 for one partition; the response is that partition's records bytes.</summary>
    private sealed class FetchV4(string topic, int partition, long offset) : KafkaRequest<byte[]>
    {
        private static readonly ApiInfo Info = new(ApiKey.Fetch, 4, 4, ApiInfo.NeverFlexible);

        public override ApiInfo Api => Info;

        public override void Write(KafkaWriter writer, short version)
        {
            writer.WriteInt32(-1);             // replica id
            writer.WriteInt32(100);            // max wait ms
            writer.WriteInt32(1);              // min bytes
            writer.WriteInt32(16 * 1024 * 1024); // max bytes
            writer.WriteInt8(0);               // read uncommitted
            writer.WriteArrayLength(1, false);
            writer.WriteString(topic, false);
            writer.WriteArrayLength(1, false);
            writer.WriteInt32(partition);
            writer.WriteInt64(offset);
            writer.WriteInt32(16 * 1024 * 1024);
        }

        public override byte[] ReadResponse(ref KafkaReader reader, short version)
        {
            reader.ReadInt32(); // throttle
            var topics = reader.ReadArrayCount(false);
            byte[] records = [];
            for (var t = 0; t < topics; t++)
            {
                reader.ReadString(false);
                var partitions = reader.ReadArrayCount(false);
                for (var p = 0; p < partitions; p++)
                {
                    reader.ReadInt32();
                    var error = (KafkaErrorCode)reader.ReadInt16();
                    if (error != KafkaErrorCode.None)
                    {
                        throw new KafkaBrokerException(error, $"Fetch failed: {error}");
                    }
                    reader.ReadInt64(); // high watermark
                    reader.ReadInt64(); // last stable offset
                    var aborted = reader.ReadArrayLength(false);
                    for (var a = 0; a < aborted; a++)
                    {
                        reader.ReadInt64();
                        reader.ReadInt64();
                    }
                    records = reader.TryReadNullableBytes(false, out var bytes) ? bytes.ToArray() : [];
                }
            }
            return records;
        }
    }
}
