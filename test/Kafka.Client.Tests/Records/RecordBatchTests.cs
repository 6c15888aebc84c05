using System.Buffers.Binary;
using Kafka.Client.Protocol;
using Kafka.Client.Protocol.Records;
using static Kafka.Client.Tests.Records.RecordReading;

namespace Kafka.Client.Tests.Records;

[TestFixture]
public sealed class RecordBatchTests
{
    private const long T0 = 1_700_000_000_000;

    /// <summary>
    /// Two records written out by hand from the "Record Batch" section of Kafka's message format documentation;
    /// the CRC-32C was computed with a bit-by-bit implementation of the Castagnoli polynomial.
    /// </summary>
    private static readonly byte[] HandWrittenBatch = Convert.FromHexString(
        "0000000000000000" // baseOffset 0
        + "0000004b"       // batchLength 75 = 87 - 12
        + "ffffffff"       // partitionLeaderEpoch -1
        + "02"             // magic 2
        + "f31f8fe2"       // crc: CRC-32C of attributes..end
        + "0000"           // attributes: no compression, create time, not transactional, not control
        + "00000001"       // lastOffsetDelta 1
        + "0000018bcfe56800" // baseTimestamp 1700000000000
        + "0000018bcfe56805" // maxTimestamp 1700000000005
        + "ffffffffffffffff" // producerId -1
        + "ffff"           // producerEpoch -1
        + "ffffffff"       // baseSequence -1
        + "00000002"       // records count 2
        // record 0: length 9, attributes 0, timestampDelta 0, offsetDelta 0, key "k", value "v1", no headers
        + "12" + "00" + "00" + "00" + "02" + "6b" + "04" + "7631" + "00"
        // record 1: length 15, attributes 0, timestampDelta 5, offsetDelta 1, null key, value "hello", header h=x
        + "1e" + "00" + "0a" + "02" + "01" + "0a" + "68656c6c6f" + "02" + "02" + "68" + "02" + "78");

    private static readonly DecodedRecord[] HandWrittenRecords =
    [
        new(0, T0, "k", "v1", []),
        new(1, T0 + 5, null, "hello", [("h", "x")]),
    ];

    private static readonly CompressionType[] Codecs =
        [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

    [Test]
    public void The_builder_writes_the_hand_written_batch_byte_for_byte()
    {
        Assert.That(BuildBatch(HandWrittenRecords, new RecordBatchSettings()), Is.EqualTo(HandWrittenBatch));
    }

    [Test]
    public void The_reader_decodes_the_hand_written_batch()
    {
        var batches = ReadAll(HandWrittenBatch);

        Assert.That(batches, Has.Count.EqualTo(1));
        var (batch, records) = batches[0];
        Assert.Multiple(() =>
        {
            Assert.That(batch.Magic, Is.EqualTo(2));
            Assert.That(batch.BaseOffset, Is.Zero);
            Assert.That(batch.LastOffset, Is.EqualTo(1));
            Assert.That(batch.PartitionLeaderEpoch, Is.EqualTo(-1));
            Assert.That(batch.Compression, Is.EqualTo(CompressionType.None));
            Assert.That(batch.TimestampType, Is.EqualTo(TimestampType.CreateTime));
            Assert.That(batch.IsTransactional, Is.False);
            Assert.That(batch.IsControl, Is.False);
            Assert.That(batch.BaseTimestamp, Is.EqualTo(T0));
            Assert.That(batch.MaxTimestamp, Is.EqualTo(T0 + 5));
            Assert.That(batch.ProducerId, Is.EqualTo(-1));
            Assert.That(batch.ProducerEpoch, Is.EqualTo(-1));
            Assert.That(batch.BaseSequence, Is.EqualTo(-1));
            Assert.That(batch.RecordCount, Is.EqualTo(2));
            Assert.That(batch.SizeInBytes, Is.EqualTo(87));
            Assert.That(records, Is.EqualTo(HandWrittenRecords));
        });
    }

    private static DecodedRecord[] VariedRecords(int count)
    {
        var records = new DecodedRecord[count];
        for (var i = 0; i < count; i++)
        {
            var key = i % 3 == 0 ? null : $"key-{i}";
            var value = i % 7 == 0 ? null : i % 11 == 0 ? "" : new string((char)('a' + i % 26), i % 300);
            (string, string?)[] headers = (i % 4) switch
            {
                0 => [],
                1 => [("trace", $"t{i}")],
                2 => [("null", null), ("empty", ""), ("ünï", "çødé")],
                _ => [("a", "1"), ("a", "2")],
            };
            // Timestamps go back and forth, so deltas are negative as well as positive.
            records[i] = new DecodedRecord(i, T0 + (i % 5 == 0 ? -i : i * 3), key, value, headers);
        }
        return records;
    }

    [Test]
    public void Every_codec_round_trips_keys_values_nulls_headers_and_producer_fields([ValueSource(nameof(Codecs))] CompressionType compression)
    {
        var records = VariedRecords(500);
        var settings = new RecordBatchSettings
        {
            Compression = compression,
            ProducerId = 4242,
            ProducerEpoch = 7,
            BaseSequence = 1000,
            IsTransactional = true,
        };
        var bytes = BuildBatch(records, settings);

        var (batch, decoded) = ReadAll(bytes).Single();
        Assert.That(decoded, Is.EqualTo(records));
        Assert.That(batch.Compression, Is.EqualTo(compression));
        Assert.That(batch.ProducerId, Is.EqualTo(4242));
        Assert.That(batch.ProducerEpoch, Is.EqualTo(7));
        Assert.That(batch.BaseSequence, Is.EqualTo(1000));
        Assert.That(batch.IsTransactional, Is.True);
        Assert.That(batch.LastOffset, Is.EqualTo(499));
        Assert.That(batch.BaseTimestamp, Is.EqualTo(records[0].Timestamp));
        Assert.That(batch.MaxTimestamp, Is.EqualTo(records.Max(r => r.Timestamp)));
        if (compression != CompressionType.None)
        {
            Assert.That(bytes.Length, Is.LessThan(BuildBatch(records, new RecordBatchSettings()).Length));
        }
    }

    [Test]
    public void Batches_of_every_codec_follow_each_other_and_a_partial_last_batch_is_ignored()
    {
        var all = new List<byte>();
        var expected = new List<DecodedRecord>();
        long baseOffset = 0;
        foreach (var compression in Codecs)
        {
            var records = VariedRecords(20).Select(r => r with { Offset = r.Offset + baseOffset }).ToArray();
            all.AddRange(BuildBatch(records, new RecordBatchSettings { Compression = compression, BaseOffset = baseOffset }));
            expected.AddRange(records);
            baseOffset += 20;
        }
        var complete = all.ToArray();
        var last = BuildBatch(VariedRecords(5), new RecordBatchSettings { BaseOffset = baseOffset });

        Assert.That(DecodeRecords(complete), Is.EqualTo(expected));
        foreach (var cut in new[] { 1, 11, 12, 16, 17, 60, 61, last.Length - 1 })
        {
            using var reader = new RecordSetReader();
            reader.Reset(complete.Concat(last.Take(cut)).ToArray());
            var batches = 0;
            while (reader.TryReadBatch(out _))
            {
                batches++;
            }
            Assert.That(batches, Is.EqualTo(Codecs.Length), $"cut at {cut}");
            Assert.That(reader.TrailingBytes, Is.EqualTo(cut));
            Assert.That(reader.TruncatedEntrySize, Is.EqualTo(cut < 12 ? -1 : last.Length));
        }
    }

    [Test]
    public void A_CRC_mismatch_names_the_topic_partition_and_offset()
    {
        var bytes = BuildBatch(VariedRecords(10), new RecordBatchSettings { BaseOffset = 1234 });
        bytes[^3] ^= 0x40;

        Assert.That(() => ReadAll(bytes), Throws.TypeOf<KafkaProtocolException>().With.Message
            .Contains("CRC-32C").And.Message.Contains("orders/3").And.Message.Contains("offset 1234"));
    }

    [Test]
    public void A_corrupt_compressed_batch_is_a_protocol_error_even_when_its_CRC_matches([Values(CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd)] CompressionType compression)
    {
        var bytes = BuildBatch(VariedRecords(50), new RecordBatchSettings { Compression = compression });
        // Cut the compressed records in half, then fix the length and CRC: only the codec or the record layer can notice.
        var cut = bytes[..(RecordBatchFormat.BatchHeaderSize + (bytes.Length - RecordBatchFormat.BatchHeaderSize) / 2)];
        BinaryPrimitives.WriteInt32BigEndian(cut.AsSpan(RecordBatchFormat.BatchLengthOffset), cut.Length - RecordBatchFormat.LogOverhead);
        FixCrc(cut);

        Assert.That(() => ReadAll(cut), Throws.TypeOf<KafkaProtocolException>().With.Message.Contains("orders/3"));
    }

    private static byte[] Patched(byte[] batch, Action<byte[]> change)
    {
        var copy = (byte[])batch.Clone();
        change(copy);
        FixCrc(copy);
        return copy;
    }

    private static IEnumerable<TestCaseData> HostileBatches()
    {
        var good = BuildBatch([new(0, T0, "k", "value", [("h", "v")])], new RecordBatchSettings());
        // The record starts at byte 61: length, attributes, timestamp delta, offset delta, key length (+4), "k",
        // value length (+6), "value", header count (+12), header key length (+13), "h", value length, "v".
        const int records = RecordBatchFormat.BatchHeaderSize;
        yield return new TestCaseData(Patched(good, b => BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(RecordBatchFormat.RecordsCountOffset), int.MaxValue)))
            .SetArgDisplayNames("record count int.MaxValue");
        yield return new TestCaseData(Patched(good, b => BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(RecordBatchFormat.RecordsCountOffset), -1)))
            .SetArgDisplayNames("negative record count");
        yield return new TestCaseData(Patched(good, b => BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(RecordBatchFormat.RecordsCountOffset), 2)))
            .SetArgDisplayNames("one record more than present");
        yield return new TestCaseData(Patched(good, b => b[records] = 0x7E)).SetArgDisplayNames("record length beyond the batch");
        yield return new TestCaseData(Patched(good, b => b[records] = 0x01)).SetArgDisplayNames("negative record length");
        yield return new TestCaseData(Patched(good, b => b[records + 4] = 0x7E)).SetArgDisplayNames("key length beyond the record");
        yield return new TestCaseData(Patched(good, b => b[records + 4] = 0x03)).SetArgDisplayNames("key length -2");
        yield return new TestCaseData(Patched(good, b => b[records + 4] = 0x00)).SetArgDisplayNames("key shorter than its bytes");
        yield return new TestCaseData(Patched(good, b => b[records + 12] = 0x7E)).SetArgDisplayNames("header count beyond the record");
        yield return new TestCaseData(Patched(good, b => b[records + 13] = 0x01)).SetArgDisplayNames("null header key");
        yield return new TestCaseData(Patched(good, b => b.AsSpan(records + 5, 5).Fill(0xFF))).SetArgDisplayNames("varint over 32 bits");
        yield return new TestCaseData(Patched(good, b => b[RecordBatchFormat.AttributesOffset + 1] = 6)).SetArgDisplayNames("codec 6");
        yield return new TestCaseData(Patched(good, b => b[RecordBatchFormat.MagicOffset] = 3)).SetArgDisplayNames("magic 3");
        yield return new TestCaseData(Patched(good, b => BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(RecordBatchFormat.BatchLengthOffset), -5)))
            .SetArgDisplayNames("negative batch length");
        var shortBatch = Patched(good, b => BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(RecordBatchFormat.BatchLengthOffset), 30));
        yield return new TestCaseData(shortBatch).SetArgDisplayNames("batch length below the header size");
        yield return new TestCaseData(good.Concat(new byte[] { 0 }).ToArray() is var extra && Fix(extra) ? extra : extra)
            .SetArgDisplayNames("bytes after the declared records");
    }

    private static bool Fix(byte[] batch)
    {
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchFormat.BatchLengthOffset), batch.Length - RecordBatchFormat.LogOverhead);
        FixCrc(batch);
        return true;
    }

    [TestCaseSource(nameof(HostileBatches))]
    public void Hostile_lengths_and_counts_raise_protocol_errors_without_large_allocations(byte[] batch)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.That(() => ReadAll(batch), Throws.TypeOf<KafkaProtocolException>().With.Message.Contains("orders/3"));
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(1024 * 1024));
    }

    [Test]
    public void A_compressed_batch_beyond_the_reader_limit_is_refused()
    {
        var records = Enumerable.Range(0, 100).Select(i => new DecodedRecord(i, T0, null, new string('z', 10_000), [])).ToArray();
        var bytes = BuildBatch(records, new RecordBatchSettings { Compression = CompressionType.Zstd });
        Assert.That(bytes.Length, Is.LessThan(10_000));

        Assert.That(() => ReadAll(bytes, maxBatchBytes: 100_000),
            Throws.TypeOf<KafkaProtocolException>().With.Message.Contains("exceeds").And.Message.Contains("orders/3"));
        Assert.That(ReadAll(bytes, maxBatchBytes: 2_000_000).Single().Records, Has.Count.EqualTo(100));
    }

    /// <summary>A batch with chosen offset deltas, as compaction leaves them; encoded field by field here.</summary>
    private static byte[] CompactedBatch(long baseOffset, int lastOffsetDelta, params int[] offsetDeltas)
    {
        using var w = new KafkaWriter();
        w.WriteInt64(baseOffset);
        w.WriteInt32(0);
        w.WriteInt32(5);
        w.WriteUInt8(2);
        w.WriteInt32(0);
        w.WriteInt16(0);
        w.WriteInt32(lastOffsetDelta);
        w.WriteInt64(T0);
        w.WriteInt64(T0 + 100);
        w.WriteInt64(-1);
        w.WriteInt16(-1);
        w.WriteInt32(-1);
        w.WriteInt32(offsetDeltas.Length);
        foreach (var delta in offsetDeltas)
        {
            using var body = new KafkaWriter();
            body.WriteInt8(0);
            body.WriteVarLong(delta * 10);
            body.WriteVarInt(delta);
            body.WriteVarInt(-1);
            body.WriteVarInt(1);
            body.WriteUInt8((byte)('0' + delta));
            body.WriteVarInt(0);
            w.WriteVarInt(body.Position);
            w.WriteRaw(body.WrittenSpan);
        }
        var bytes = w.WrittenSpan.ToArray();
        Fix(bytes);
        return bytes;
    }

    [Test]
    public void Compaction_gaps_keep_each_record_at_its_own_offset()
    {
        var bytes = CompactedBatch(500, 9, 0, 3, 7);

        var (batch, records) = ReadAll(bytes).Single();
        Assert.That(batch.BaseOffset, Is.EqualTo(500));
        Assert.That(batch.LastOffset, Is.EqualTo(509));
        Assert.That(batch.RecordCount, Is.EqualTo(3));
        Assert.That(batch.PartitionLeaderEpoch, Is.EqualTo(5));
        Assert.That(records.Select(r => (r.Offset, r.Timestamp, r.Value)),
            Is.EqualTo(new[] { (500L, T0, "0"), (503L, T0 + 30, "3"), (507L, T0 + 70, "7") }));
    }

    [Test]
    public void A_batch_emptied_by_compaction_has_no_records_but_still_spans_its_offsets()
    {
        var bytes = CompactedBatch(40, 4);

        var (batch, records) = ReadAll(bytes).Single();
        Assert.That(records, Is.Empty);
        Assert.That(batch.RecordCount, Is.Zero);
        Assert.That(batch.LastOffset, Is.EqualTo(44));
    }

    [Test]
    public void Log_append_time_gives_every_record_the_batch_max_timestamp()
    {
        var bytes = BuildBatch(VariedRecords(3), new RecordBatchSettings { LogAppendTime = 1_800_000_000_000 });

        var (batch, records) = ReadAll(bytes).Single();
        Assert.That(batch.TimestampType, Is.EqualTo(TimestampType.LogAppendTime));
        Assert.That(records.Select(r => r.Timestamp), Is.All.EqualTo(1_800_000_000_000));
    }

    [Test]
    public void Control_batches_are_visible_with_their_marker_type()
    {
        byte[] commitKey = [0, 0, 0, 1];
        using var output = new KafkaWriter();
        using var builder = new RecordBatchBuilder();
        builder.Begin(output, new RecordBatchSettings { IsControl = true, IsTransactional = true, ProducerId = 9, ProducerEpoch = 1, BaseOffset = 77 });
        builder.Append(T0, commitKey, [0, 0, 0, 0, 0, 3], []);
        builder.Complete();

        using var reader = new RecordSetReader();
        reader.Reset(output.WrittenMemory);
        Assert.That(reader.TryReadBatch(out var batch), Is.True);
        Assert.That(batch.IsControl, Is.True);
        Assert.That(batch.IsTransactional, Is.True);
        Assert.That(reader.TryReadRecord(out var marker), Is.True);
        Assert.That(marker.Offset, Is.EqualTo(77));
        Assert.That(ControlRecord.TryReadType(marker.Key.Span, out var type), Is.True);
        Assert.That(type, Is.EqualTo(ControlRecordType.Commit));
    }

    [Test]
    public void Records_of_every_batch_read_since_the_last_reset_stay_valid_together()
    {
        var first = BuildBatch(VariedRecords(30), new RecordBatchSettings { Compression = CompressionType.Lz4 });
        var second = BuildBatch(VariedRecords(30).Select(r => r with { Offset = r.Offset + 30, Value = r.Value + "!" }),
            new RecordBatchSettings { Compression = CompressionType.Zstd, BaseOffset = 30 });
        using var reader = new RecordSetReader();
        reader.Reset(first.Concat(second).ToArray());

        var held = new List<RecordView>();
        while (reader.TryReadBatch(out _))
        {
            while (reader.TryReadRecord(out var record))
            {
                held.Add(record);
            }
        }

        var expected = DecodeRecords(first.Concat(second).ToArray());
        Assert.That(held.Select(r => DecodedRecord.From(r)), Is.EqualTo(expected));
    }

    [Test]
    public void Skipping_a_batch_without_reading_its_records_moves_on_to_the_next()
    {
        var bytes = BuildBatch(VariedRecords(10), new RecordBatchSettings())
            .Concat(BuildBatch([new(0, T0, "x", "y", [])], new RecordBatchSettings { BaseOffset = 10 })).ToArray();
        using var reader = new RecordSetReader();
        reader.Reset(bytes);

        Assert.That(reader.TryReadBatch(out _), Is.True);
        Assert.That(reader.TryReadRecord(out _), Is.True);
        Assert.That(reader.TryReadBatch(out var second), Is.True);
        Assert.That(reader.TryReadRecord(out var record), Is.True);
        Assert.That((second.BaseOffset, record.Offset), Is.EqualTo((10L, 10L)));
        Assert.That(reader.TryReadRecord(out _), Is.False);
        Assert.That(reader.TryReadBatch(out _), Is.False);
        Assert.That(reader.TrailingBytes, Is.Zero);
    }

    [Test]
    public void Sizes_are_exact_before_appending_and_the_estimate_is_an_upper_bound()
    {
        using var output = new KafkaWriter();
        output.WriteInt32(12345); // a batch need not start at the beginning of the buffer
        using var builder = new RecordBatchBuilder();
        builder.Begin(output);
        Assert.That(builder.SizeInBytes, Is.EqualTo(RecordBatchFormat.BatchHeaderSize));
        foreach (var record in VariedRecords(200))
        {
            var headers = record.Headers.Select(h => h.Value is null ? KafkaHeader.WithNullValue(h.Key) : new KafkaHeader(h.Key, Utf8(h.Value))).ToArray();
            var keyLength = record.Key is null ? -1 : Utf8(record.Key).Length;
            var valueLength = record.Value is null ? -1 : Utf8(record.Value).Length;
            var exact = builder.SizeOfNextRecord(record.Timestamp, keyLength, valueLength, headers);
            var before = builder.SizeInBytes;
            builder.Append(record.Timestamp, Utf8(record.Key), Utf8(record.Value), headers, record.Key is null, record.Value is null);
            Assert.That(builder.SizeInBytes - before, Is.EqualTo(exact));
            Assert.That(RecordBatchBuilder.EstimateRecordSize(keyLength, valueLength, headers), Is.GreaterThanOrEqualTo(exact));
        }
        var size = builder.Complete();
        Assert.That(size, Is.EqualTo(output.Position - 4));
        Assert.That(DecodeRecords(output.WrittenMemory[4..]), Is.EqualTo(VariedRecords(200)));
    }

    [Test]
    public void Misuse_is_refused_and_a_bad_header_leaves_the_batch_unchanged()
    {
        using var output = new KafkaWriter();
        using var builder = new RecordBatchBuilder();
        Assert.That(() => builder.Append(T0, [], [], []), Throws.InvalidOperationException);
        Assert.That(() => builder.Complete(), Throws.InvalidOperationException);
        builder.Begin(output);
        Assert.That(() => builder.Begin(output), Throws.InvalidOperationException);
        Assert.That(() => builder.Complete(), Throws.InvalidOperationException, "an empty batch");

        var size = builder.SizeInBytes;
        Assert.That(() => builder.Append(T0, [], [], [new KafkaHeader(null!, default)]), Throws.ArgumentException);
        Assert.That(builder.SizeInBytes, Is.EqualTo(size));
        Assert.That(builder.RecordCount, Is.Zero);

        builder.Append(T0, [], "v"u8, [], keyIsNull: true);
        builder.Complete();
        Assert.That(DecodeRecords(output.WrittenMemory).Single(), Is.EqualTo(new DecodedRecord(0, T0, null, "v", [])));
    }

    [Test]
    public void Encoding_ten_thousand_records_into_a_reused_builder_allocates_nothing_per_record()
    {
        using var output = new KafkaWriter(1024 * 1024);
        using var builder = new RecordBatchBuilder();
        var key = new byte[16];
        var value = new byte[100];
        KafkaHeader[] headers = [new("trace-id", new byte[16]), KafkaHeader.WithNullValue("flag")];

        void EncodeBatch()
        {
            output.Reset();
            builder.Begin(output, CompressionType.None, producerId: 1, producerEpoch: 0, baseSequence: 0);
            for (var i = 0; i < 10_000; i++)
            {
                builder.Append(T0 + i, key, value, headers);
            }
            builder.Complete();
        }

        EncodeBatch(); // grows the buffers once
        var before = GC.GetAllocatedBytesForCurrentThread();
        EncodeBatch();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(allocated, Is.LessThan(1024), $"{allocated} bytes for 10,000 records");
    }

    [Test]
    public void Compressed_batches_allocate_a_small_constant_per_batch_not_per_record([Values(CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd)] CompressionType compression)
    {
        using var output = new KafkaWriter(1024 * 1024);
        using var builder = new RecordBatchBuilder();
        var value = RecordTestData.Text(100);

        long Encode(int count)
        {
            output.Reset();
            var before = GC.GetAllocatedBytesForCurrentThread();
            builder.Begin(output, compression);
            for (var i = 0; i < count; i++)
            {
                builder.Append(T0 + i, [], value, [], keyIsNull: true);
            }
            builder.Complete();
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Encode(10_000);
        var small = Encode(10);
        var large = Encode(10_000);
        // Snappier allocates a few dozen bytes per 32 KiB block; nothing may grow with the record count itself.
        Assert.That(large - small, Is.LessThan(5000), $"{small} bytes for 10 records, {large} for 10,000");
    }

    [Test]
    public void Decoding_ten_thousand_records_with_a_reused_reader_allocates_nothing_per_record([Values(CompressionType.None, CompressionType.Lz4)] CompressionType compression)
    {
        var bytes = BuildBatch(
            Enumerable.Range(0, 10_000).Select(i => new DecodedRecord(i, T0 + i, "key", "value", [("h", "v")])),
            new RecordBatchSettings { Compression = compression });
        using var reader = new RecordSetReader();

        long Decode()
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            reader.Reset(bytes, "orders", 3);
            long sum = 0;
            while (reader.TryReadBatch(out _))
            {
                while (reader.TryReadRecord(out var record))
                {
                    sum += record.Offset + record.Value.Length;
                    foreach (var header in record.Headers)
                    {
                        sum += header.Value.Length;
                    }
                }
            }
            Assert.That(sum, Is.GreaterThan(0));
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Decode();
        var allocated = Decode();
        Assert.That(allocated, Is.LessThan(1024), $"{allocated} bytes for 10,000 records");
    }
}
