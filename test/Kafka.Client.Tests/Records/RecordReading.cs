using System.Text;
using Kafka.Client.Protocol;
using Kafka.Client.Protocol.Records;

namespace Kafka.Client.Tests.Records;

/// <summary>A decoded record copied out of the reader's buffers, for comparisons.</summary>
internal sealed record DecodedRecord(long Offset, long Timestamp, string? Key, string? Value, (string Key, string? Value)[] Headers)
{
    public static DecodedRecord From(in RecordView record)
    {
        var headers = new List<(string, string?)>();
        foreach (var header in record.Headers)
        {
            headers.Add((Encoding.UTF8.GetString(header.Key.Span), header.IsNull ? null : Encoding.UTF8.GetString(header.Value.Span)));
        }
        return new DecodedRecord(
            record.Offset,
            record.Timestamp,
            record.IsKeyNull ? null : Encoding.UTF8.GetString(record.Key.Span),
            record.IsValueNull ? null : Encoding.UTF8.GetString(record.Value.Span),
            [.. headers]);
    }

    public bool Equals(DecodedRecord? other) =>
        other is not null && Offset == other.Offset && Timestamp == other.Timestamp && Key == other.Key && Value == other.Value
        && Headers.SequenceEqual(other.Headers);

    public override int GetHashCode() => HashCode.Combine(Offset, Timestamp, Key, Value);
}

internal static class RecordReading
{
    /// <summary>Every batch and its records, copied out.</summary>
    public static List<(RecordBatchInfo Batch, List<DecodedRecord> Records)> ReadAll(ReadOnlyMemory<byte> data, int maxBatchBytes = RecordSetReader.DefaultMaxBatchBytes)
    {
        using var reader = new RecordSetReader(maxBatchBytes);
        reader.Reset(data, "orders", 3);
        var result = new List<(RecordBatchInfo, List<DecodedRecord>)>();
        while (reader.TryReadBatch(out var batch))
        {
            var records = new List<DecodedRecord>();
            while (reader.TryReadRecord(out var record))
            {
                records.Add(DecodedRecord.From(record));
            }
            result.Add((batch, records));
        }
        return result;
    }

    public static List<DecodedRecord> DecodeRecords(ReadOnlyMemory<byte> data) => [.. ReadAll(data).SelectMany(b => b.Records)];

    public static byte[] Utf8(string? text) => text is null ? [] : Encoding.UTF8.GetBytes(text);

    /// <summary>Builds one v2 batch of <paramref name="records"/> with offsets 0..n-1.</summary>
    public static byte[] BuildBatch(IEnumerable<DecodedRecord> records, RecordBatchSettings settings)
    {
        using var output = new KafkaWriter();
        using var builder = new RecordBatchBuilder();
        builder.Begin(output, settings);
        foreach (var record in records)
        {
            var headers = record.Headers
                .Select(h => h.Value is null ? KafkaHeader.WithNullValue(h.Key) : new KafkaHeader(h.Key, Utf8(h.Value)))
                .ToArray();
            builder.Append(record.Timestamp, Utf8(record.Key), Utf8(record.Value), headers, record.Key is null, record.Value is null);
        }
        builder.Complete();
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Re-seals a single v2 batch after a test changed its bytes, so only the change is under test.</summary>
    public static void FixCrc(byte[] batch)
    {
        var crc = Crc32C.Compute(batch.AsSpan(RecordBatchFormat.AttributesOffset));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(RecordBatchFormat.CrcOffset), crc);
    }
}
