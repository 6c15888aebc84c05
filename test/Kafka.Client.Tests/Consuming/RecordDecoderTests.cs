using System.Buffers.Binary;
using Kafka.Client.Internal.Consuming;
using Kafka.Client.Protocol;
using Kafka.Client.Protocol.Records;
using Kafka.Client.Tests.Protocol;

namespace Kafka.Client.Tests.Consuming;

/// <summary>
/// The decoding rules on hand-built record sets: aborted transactions (which the mock broker never reports), control
/// batches, compaction gaps, a fetch offset inside a batch, a partial batch at the end, and legacy message sets.
/// </summary>
public sealed class RecordDecoderTests
{
    private static void AppendBatch(KafkaWriter output, long baseOffset, string[] values, long producerId = -1, bool transactional = false,
        bool control = false, int[]? offsetDeltas = null, CompressionType compression = CompressionType.None)
    {
        var start = output.Position;
        using var builder = new RecordBatchBuilder();
        builder.Begin(output, new RecordBatchSettings
        {
            BaseOffset = baseOffset,
            ProducerId = producerId,
            ProducerEpoch = producerId < 0 ? (short)-1 : (short)0,
            IsTransactional = transactional,
            IsControl = control,
            Compression = compression,
        });
        foreach (var value in values)
        {
            builder.Append(1000, control ? ControlKey(value) : default, System.Text.Encoding.UTF8.GetBytes(value), default, keyIsNull: !control);
        }
        builder.Complete();
        if (offsetDeltas is not null)
        {
            RewriteOffsetDeltas(output, start, offsetDeltas);
        }
    }

    private static byte[] ControlKey(string type) => [0, 0, 0, type == "abort" ? (byte)0 : (byte)1];

    /// <summary>Compaction leaves holes: rewrite an uncompressed batch's record offset deltas (and the CRC).</summary>
    private static void RewriteOffsetDeltas(KafkaWriter output, int start, int[] deltas)
    {
        var batch = output.WrittenSpan[start..].ToArray();
        var position = RecordBatchFormat.BatchHeaderSize;
        foreach (var delta in deltas)
        {
            var reader = new KafkaReader(batch.AsSpan(position));
            var length = reader.ReadVarInt();
            var bodyAt = position + reader.Position;
            var body = new KafkaReader(batch.AsSpan(bodyAt));
            body.ReadInt8();
            body.ReadVarLong();
            var deltaAt = bodyAt + body.Position;
            // Deltas here stay below 64, so the one-byte zig-zag varint keeps its size.
            batch[deltaAt] = (byte)(delta << 1);
            position = bodyAt + length;
        }
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchFormat.LastOffsetDeltaOffset), deltas[^1]);
        BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(RecordBatchFormat.CrcOffset), Crc32C.Compute(batch.AsSpan(RecordBatchFormat.AttributesOffset)));
        var span = System.Runtime.InteropServices.MemoryMarshal.AsMemory(output.WrittenMemory).Span;
        batch.CopyTo(span[start..]);
    }

    private static (List<(long Offset, string Value)> Messages, RecordDecoder.Result Result) Decode(
        byte[] records, long fetchOffset, bool readCommitted = false, AbortedTransaction[]? aborted = null)
    {
        using var reader = new RecordSetReader();
        var chunk = new FetchChunk();
        var result = RecordDecoder.Decode(reader, records, "t", 0, fetchOffset, aborted, readCommitted, chunk);
        var messages = new List<(long, string)>();
        while (chunk.TryTake(out var m))
        {
            messages.Add((m.Offset, System.Text.Encoding.UTF8.GetString(m.Value.Span)));
        }
        return (messages, result);
    }

    [TestCase("7fffffffffffffff", long.MaxValue)]
    [TestCase("0000e677d21fdc00", 253402300800000L)] // 10000-01-01: one millisecond past DateTimeOffset.MaxValue
    public void A_timestamp_past_what_DateTimeOffset_holds_reads_as_none_with_its_milliseconds_kept(string timestamp, long milliseconds)
    {
        // One record batch v2, base and max timestamp as given (Kafka carries any int64): offset 0, length 57, epoch -1,
        // magic 2, crc (sealed below), attributes 0, last offset delta 0, the two timestamps, no producer, one record:
        // length 7, attributes 0, timestamp delta 0, offset delta 0, null key, value "v", no headers.
        var batch = Hex.Parse("0000000000000000 00000039 ffffffff 02 00000000 0000 00000000 " + timestamp + timestamp +
            "ffffffffffffffff ffff ffffffff 00000001 0e 00 00 00 01 02 76 00");
        Records.RecordReading.FixCrc(batch);
        using var reader = new RecordSetReader();
        var chunk = new FetchChunk();

        var result = RecordDecoder.Decode(reader, batch, "t", 0, 0, null, readCommitted: false, chunk);

        Assert.That(chunk.TryTake(out var record));
        var message = new ConsumedMessage("t", 0, in record, chunk);
        Assert.That(result.Error, Is.Null);
        Assert.That(message.TimestampMilliseconds, Is.EqualTo(milliseconds));
        Assert.That(message.Timestamp, Is.Null, "DateTimeOffset ends with year 9999");
        Assert.That(new ConsumedMessage<string, string>(message, "k", "v", []).Timestamp, Is.Null, "the typed message copies it");
    }

    [Test]
    public void Records_before_the_fetch_offset_are_dropped_and_the_next_offset_follows_the_last_batch()
    {
        using var output = new KafkaWriter();
        AppendBatch(output, 10, ["a", "b", "c"]);
        AppendBatch(output, 13, ["d"]);
        var (messages, result) = Decode(output.WrittenSpan.ToArray(), fetchOffset: 11);

        Assert.That(messages, Is.EqualTo(new[] { (11L, "b"), (12L, "c"), (13L, "d") }));
        Assert.That(result.NextOffset, Is.EqualTo(14));
        Assert.That(result.Error, Is.Null);
    }

    [Test]
    public void Compaction_gaps_are_accepted_and_the_next_fetch_starts_after_the_batch()
    {
        using var output = new KafkaWriter();
        AppendBatch(output, 100, ["x", "y", "z"], offsetDeltas: [0, 4, 6]);
        var (messages, result) = Decode(output.WrittenSpan.ToArray(), fetchOffset: 101);

        Assert.That(messages, Is.EqualTo(new[] { (104L, "y"), (106L, "z") }));
        Assert.That(result.NextOffset, Is.EqualTo(107));
    }

    [Test]
    public void Control_batches_are_skipped_and_read_committed_drops_aborted_transactions()
    {
        using var output = new KafkaWriter();
        AppendBatch(output, 0, ["plain"]);
        AppendBatch(output, 1, ["t1-a", "t1-b"], producerId: 7, transactional: true);   // aborted below
        AppendBatch(output, 3, ["t2-a"], producerId: 8, transactional: true);           // committed
        AppendBatch(output, 4, ["abort"], producerId: 7, transactional: true, control: true);
        AppendBatch(output, 5, ["commit"], producerId: 8, transactional: true, control: true);
        AppendBatch(output, 6, ["t3-a"], producerId: 7, transactional: true);           // a new transaction of 7: not aborted
        var records = output.WrittenSpan.ToArray();

        var uncommitted = Decode(records, 0);
        Assert.That(uncommitted.Messages.Select(m => m.Value), Is.EqualTo(new[] { "plain", "t1-a", "t1-b", "t2-a", "t3-a" }));
        Assert.That(uncommitted.Result.NextOffset, Is.EqualTo(7));

        var committed = Decode(records, 0, readCommitted: true, aborted: [new AbortedTransaction(7, 1)]);
        Assert.That(committed.Messages, Is.EqualTo(new[] { (0L, "plain"), (3L, "t2-a"), (6L, "t3-a") }));
        Assert.That(committed.Result.NextOffset, Is.EqualTo(7));
    }

    [Test]
    public void A_compressed_batch_and_a_partial_batch_at_the_end()
    {
        using var output = new KafkaWriter();
        AppendBatch(output, 0, ["one", "two"], compression: CompressionType.Lz4);
        AppendBatch(output, 2, ["three"]);
        var whole = output.WrittenSpan.ToArray();
        var cut = whole[..^5];

        var (messages, result) = Decode(cut, 0);
        Assert.That(messages.Select(m => m.Value), Is.EqualTo(new[] { "one", "two" }));
        Assert.That(result.NextOffset, Is.EqualTo(2), "the partial batch is fetched again");
        Assert.That(result.TruncatedEntrySize, Is.EqualTo(-1), "something was decoded: the fetch size is fine");

        var only = Decode(whole[(whole.Length - 20)..], 2);
        Assert.That(only.Messages, Is.Empty);
        Assert.That(only.Result.TruncatedEntrySize, Is.GreaterThan(0), "not one whole batch: the fetch size must grow");
    }

    [Test]
    public void Legacy_message_sets_decode_including_compressed_wrappers()
    {
        using var output = new KafkaWriter();
        using (var builder = new MessageSetBuilder())
        {
            builder.Begin(output, magic: 1, CompressionType.Gzip);
            foreach (var value in new[] { "m0", "m1", "m2" })
            {
                builder.Append(1000, default, System.Text.Encoding.UTF8.GetBytes(value), keyIsNull: true);
            }
            builder.Complete();
        }
        var (messages, result) = Decode(output.WrittenSpan.ToArray(), 0);

        Assert.That(messages.Select(m => m.Value), Is.EqualTo(new[] { "m0", "m1", "m2" }));
        Assert.That(messages.Select(m => m.Offset), Is.Ordered.Ascending.And.Unique);
        Assert.That(result.NextOffset, Is.EqualTo(messages[^1].Offset + 1));
    }

    [Test]
    public void A_corrupt_batch_keeps_the_messages_before_it_and_names_where_it_stopped()
    {
        using var output = new KafkaWriter();
        AppendBatch(output, 0, ["ok"]);
        var goodLength = output.Position;
        AppendBatch(output, 1, ["bad"]);
        var records = output.WrittenSpan.ToArray();
        records[goodLength + RecordBatchFormat.BatchHeaderSize + 2] ^= 0x55;

        var (messages, result) = Decode(records, 0);

        Assert.That(messages, Is.EqualTo(new[] { (0L, "ok") }));
        Assert.That(result.NextOffset, Is.EqualTo(1));
        Assert.That(result.Error!.Offset, Is.EqualTo(1));
        Assert.That(result.Error.Message, Does.Contain("t/0").And.Contain("CRC-32C"));
    }
}
