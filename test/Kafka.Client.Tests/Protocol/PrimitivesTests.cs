using Kafka.Client.Protocol;

namespace Kafka.Client.Tests.Protocol;

public sealed class PrimitivesTests
{
    private static byte[] Write(Action<KafkaWriter> write)
    {
        using var writer = new KafkaWriter(64);
        write(writer);
        return writer.WrittenSpan.ToArray();
    }

    private static void AssertBytes(byte[] actual, string expectedHex) =>
        Assert.That(Hex.Format(actual), Is.EqualTo(Hex.Format(Hex.Parse(expectedHex))));

    // ---- fixed-width integers ----

    [Test]
    public void Fixed_width_integers_are_big_endian()
    {
        var bytes = Write(w =>
        {
            w.WriteInt8(-2);
            w.WriteInt16(-2);
            w.WriteInt32(0x01020304);
            w.WriteInt64(0x0102030405060708);
            w.WriteUInt16(0xABCD);
            w.WriteUInt32(0xDEADBEEF);
            w.WriteFloat64(1.0);
            w.WriteBoolean(true);
            w.WriteBoolean(false);
        });
        AssertBytes(bytes, "fe fffe 01020304 0102030405060708 abcd deadbeef 3ff0000000000000 01 00");

        var r = new KafkaReader(bytes);
        Assert.That(r.ReadInt8(), Is.EqualTo(-2));
        Assert.That(r.ReadInt16(), Is.EqualTo(-2));
        Assert.That(r.ReadInt32(), Is.EqualTo(0x01020304));
        Assert.That(r.ReadInt64(), Is.EqualTo(0x0102030405060708));
        Assert.That(r.ReadUInt16(), Is.EqualTo(0xABCD));
        Assert.That(r.ReadUInt32(), Is.EqualTo(0xDEADBEEF));
        Assert.That(r.ReadFloat64(), Is.EqualTo(1.0));
        Assert.That(r.ReadBoolean(), Is.True);
        Assert.That(r.ReadBoolean(), Is.False);
        Assert.That(r.End, Is.True);
    }

    [Test]
    public void Any_nonzero_byte_reads_as_true()
    {
        var r = new KafkaReader(Hex.Parse("02 ff"));
        Assert.That(r.ReadBoolean(), Is.True);
        Assert.That(r.ReadBoolean(), Is.True);
    }

    // ---- varints ----

    [TestCase(0, "00")]
    [TestCase(-1, "01")]
    [TestCase(1, "02")]
    [TestCase(-2, "03")]
    [TestCase(63, "7e")]
    [TestCase(-64, "7f")]
    [TestCase(64, "80 01")]
    [TestCase(-65, "81 01")]
    [TestCase(300, "d8 04")]
    [TestCase(int.MaxValue, "fe ff ff ff 0f")]
    [TestCase(int.MinValue, "ff ff ff ff 0f")]
    public void Varint_is_zigzag_leb128(int value, string hex)
    {
        AssertBytes(Write(w => w.WriteVarInt(value)), hex);
        var r = new KafkaReader(Hex.Parse(hex));
        Assert.That(r.ReadVarInt(), Is.EqualTo(value));
        Assert.That(r.End, Is.True);
    }

    [TestCase(0L, "00")]
    [TestCase(-1L, "01")]
    [TestCase(1L, "02")]
    [TestCase(2147483648L, "80 80 80 80 10")]
    [TestCase(-2147483649L, "81 80 80 80 10")]
    [TestCase(long.MaxValue, "fe ff ff ff ff ff ff ff ff 01")]
    [TestCase(long.MinValue, "ff ff ff ff ff ff ff ff ff 01")]
    public void Varlong_is_zigzag_leb128(long value, string hex)
    {
        AssertBytes(Write(w => w.WriteVarLong(value)), hex);
        var r = new KafkaReader(Hex.Parse(hex));
        Assert.That(r.ReadVarLong(), Is.EqualTo(value));
        Assert.That(r.End, Is.True);
    }

    [TestCase(0u, "00")]
    [TestCase(1u, "01")]
    [TestCase(127u, "7f")]
    [TestCase(128u, "80 01")]
    [TestCase(300u, "ac 02")]
    [TestCase(16383u, "ff 7f")]
    [TestCase(16384u, "80 80 01")]
    [TestCase(uint.MaxValue, "ff ff ff ff 0f")]
    public void Unsigned_varint_is_leb128(uint value, string hex)
    {
        AssertBytes(Write(w => w.WriteUnsignedVarInt(value)), hex);
        var r = new KafkaReader(Hex.Parse(hex));
        Assert.That(r.ReadUnsignedVarInt(), Is.EqualTo(value));
        Assert.That(r.End, Is.True);
    }

    [TestCase(ulong.MaxValue, "ff ff ff ff ff ff ff ff ff 01")]
    [TestCase(128UL, "80 01")]
    public void Unsigned_varlong_is_leb128(ulong value, string hex)
    {
        AssertBytes(Write(w => w.WriteUnsignedVarLong(value)), hex);
        var r = new KafkaReader(Hex.Parse(hex));
        Assert.That(r.ReadUnsignedVarLong(), Is.EqualTo(value));
    }

    [TestCase("80 80 80 80 80 01")] // six bytes
    [TestCase("ff ff ff ff 1f")] // a fifth byte with more than 4 payload bits
    [TestCase("80 80")] // truncated
    [TestCase("80")] // truncated after one byte
    [TestCase("")] // nothing
    public void Malformed_unsigned_varints_are_protocol_errors(string hex)
    {
        var bytes = Hex.Parse(hex);
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(bytes).ReadUnsignedVarInt());
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(bytes).ReadVarInt());
    }

    [TestCase("ff ff ff ff ff ff ff ff ff 02")] // a tenth byte with more than 1 payload bit
    [TestCase("80 80 80 80 80 80 80 80 80 80 01")] // eleven bytes
    [TestCase("80")] // truncated after one byte
    [TestCase("ff 80")] // truncated after two bytes
    public void Malformed_unsigned_varlongs_are_protocol_errors(string hex)
    {
        var bytes = Hex.Parse(hex);
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(bytes).ReadVarLong());
    }

    [Test]
    public void Varints_round_trip()
    {
        var random = new Random(1234);
        var ints = new int[502];
        var longs = new long[502];
        for (var i = 2; i < ints.Length; i++)
        {
            // Spread over every magnitude and both signs, not just large positive values.
            var sign = random.Next(2) == 0 ? -1 : 1;
            ints[i] = (random.Next() >> random.Next(32)) * sign;
            longs[i] = (random.NextInt64() >> random.Next(64)) * sign;
        }
        (ints[0], ints[1], longs[0], longs[1]) = (int.MinValue, int.MaxValue, long.MinValue, long.MaxValue);
        var bytes = Write(w =>
        {
            foreach (var v in ints)
            {
                w.WriteVarInt(v);
                w.WriteUnsignedVarInt((uint)v);
            }
            foreach (var v in longs)
            {
                w.WriteVarLong(v);
            }
        });
        var r = new KafkaReader(bytes);
        foreach (var v in ints)
        {
            Assert.That(r.ReadVarInt(), Is.EqualTo(v));
            Assert.That(r.ReadUnsignedVarInt(), Is.EqualTo((uint)v));
        }
        foreach (var v in longs)
        {
            Assert.That(r.ReadVarLong(), Is.EqualTo(v));
        }
        Assert.That(r.End, Is.True);
    }

    // ---- strings ----

    [TestCase("abc", false, "00 03 61 62 63")]
    [TestCase("abc", true, "04 61 62 63")]
    [TestCase("", false, "00 00")]
    [TestCase("", true, "01")]
    [TestCase(null, false, "ff ff")]
    [TestCase(null, true, "00")]
    [TestCase("é", false, "00 02 c3 a9")]
    [TestCase("é", true, "03 c3 a9")]
    public void Strings_are_length_prefixed_utf8(string? value, bool compact, string hex)
    {
        AssertBytes(Write(w => w.WriteNullableString(value, compact)), hex);
        var r = new KafkaReader(Hex.Parse(hex));
        Assert.That(r.ReadNullableString(compact), Is.EqualTo(value));
        Assert.That(r.End, Is.True);
    }

    [Test]
    public void A_compact_string_of_200_bytes_has_a_two_byte_length()
    {
        var value = new string('x', 200);
        var bytes = Write(w => w.WriteString(value, compact: true));
        Assert.That(bytes[..2], Is.EqualTo(new byte[] { 0xc9, 0x01 }));
        Assert.That(bytes, Has.Length.EqualTo(202));
        var r = new KafkaReader(bytes);
        Assert.That(r.ReadString(compact: true), Is.EqualTo(value));
    }

    [Test]
    public void A_required_string_that_is_null_is_a_protocol_error()
    {
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(Hex.Parse("ff ff")).ReadString(compact: false));
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(Hex.Parse("00")).ReadString(compact: true));
    }

    [Test]
    public void A_classic_string_longer_than_32767_bytes_cannot_be_written()
    {
        using var writer = new KafkaWriter();
        Assert.Throws<ArgumentException>(() => writer.WriteString(new string('x', 32768), compact: false));
        Assert.DoesNotThrow(() => writer.WriteString(new string('x', 32767), compact: false));
    }

    [Test]
    public void Strings_round_trip()
    {
        string?[] values = ["", "a", "topic-1", "ünïcødé ✓ 🚀", new string('z', 1000), null];
        var bytes = Write(w =>
        {
            foreach (var v in values)
            {
                w.WriteNullableString(v, compact: false);
                w.WriteNullableString(v, compact: true);
            }
        });
        var r = new KafkaReader(bytes);
        foreach (var v in values)
        {
            Assert.That(r.ReadNullableString(compact: false), Is.EqualTo(v));
            Assert.That(r.ReadNullableString(compact: true), Is.EqualTo(v));
        }
        Assert.That(r.End, Is.True);
    }

    // ---- bytes ----

    [Test]
    public void Bytes_are_length_prefixed()
    {
        AssertBytes(Write(w => w.WriteBytes([1, 2], compact: false)), "00 00 00 02 01 02");
        AssertBytes(Write(w => w.WriteBytes([1, 2], compact: true)), "03 01 02");
        AssertBytes(Write(w => w.WriteBytes([], compact: false)), "00 00 00 00");
        AssertBytes(Write(w => w.WriteBytes([], compact: true)), "01");
        AssertBytes(Write(w => w.WriteNullableBytes(null, compact: false)), "ff ff ff ff");
        AssertBytes(Write(w => w.WriteNullableBytes(null, compact: true)), "00");
        AssertBytes(Write(w => w.WriteNullableBytes(new byte[] { 9 }, compact: true)), "02 09");
    }

    [Test]
    public void Bytes_read_back_as_slices_and_null_is_reported()
    {
        var r = new KafkaReader(Hex.Parse("00 00 00 02 01 02 03 07 08 ff ff ff ff 00"));
        Assert.That(r.ReadBytes(compact: false).ToArray(), Is.EqualTo(new byte[] { 1, 2 }));
        Assert.That(r.ReadBytes(compact: true).ToArray(), Is.EqualTo(new byte[] { 7, 8 }));
        Assert.That(r.TryReadNullableBytes(compact: false, out _), Is.False);
        Assert.That(r.TryReadNullableBytes(compact: true, out _), Is.False);
        Assert.That(r.End, Is.True);

        var present = new KafkaReader(Hex.Parse("02 2a"));
        Assert.That(present.TryReadNullableBytes(compact: true, out var value), Is.True);
        Assert.That(value.ToArray(), Is.EqualTo(new byte[] { 0x2a }));

        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(Hex.Parse("ff ff ff ff")).ReadBytes(compact: false));
    }

    // ---- arrays ----

    [TestCase(3, false, "00 00 00 03")]
    [TestCase(0, false, "00 00 00 00")]
    [TestCase(-1, false, "ff ff ff ff")]
    [TestCase(3, true, "04")]
    [TestCase(0, true, "01")]
    [TestCase(-1, true, "00")]
    public void Array_lengths(int count, bool compact, string hex)
    {
        // Arrays need as many bytes as elements, so readers get padding to keep the count plausible.
        AssertBytes(Write(w => w.WriteArrayLength(count, compact)), hex);
        var r = new KafkaReader(Hex.Parse(hex + " 00 00 00"));
        Assert.That(r.ReadArrayLength(compact), Is.EqualTo(count));
        var again = new KafkaReader(Hex.Parse(hex + " 00 00 00"));
        Assert.That(again.ReadArrayCount(compact), Is.EqualTo(Math.Max(count, 0)));
    }

    [Test]
    public void A_negative_array_length_other_than_null_cannot_be_written()
    {
        using var writer = new KafkaWriter();
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.WriteArrayLength(-2, compact: false));
    }

    [Test]
    public void Int32_arrays_read_their_elements()
    {
        var r = new KafkaReader(Hex.Parse("00 00 00 02 00 00 00 01 ff ff ff ff 03 00 00 00 05 00 00 00 06 ff ff ff ff"));
        Assert.That(r.ReadInt32Array(compact: false), Is.EqualTo(new[] { 1, -1 }));
        Assert.That(r.ReadInt32Array(compact: true), Is.EqualTo(new[] { 5, 6 }));
        Assert.That(r.ReadInt32Array(compact: false), Is.Empty); // null reads as empty
        Assert.That(r.End, Is.True);
    }

    // ---- UUIDs ----

    [Test]
    public void Uuids_are_written_most_significant_byte_first()
    {
        var id = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");
        var bytes = Write(w => w.WriteUuid(id));
        AssertBytes(bytes, "00112233445566778899aabbccddeeff");
        var r = new KafkaReader(bytes);
        Assert.That(r.ReadUuid(), Is.EqualTo(id));
        AssertBytes(Write(w => w.WriteUuid(Guid.Empty)), "00000000000000000000000000000000");
    }

    // ---- tagged fields ----

    [Test]
    public void Tagged_fields_are_skipped_whatever_they_hold()
    {
        // Two fields: tag 0 with 3 bytes, tag 5 with none; then an int32 that must still be readable.
        var r = new KafkaReader(Hex.Parse("02 00 03 aa bb cc 05 00 00 00 00 07"));
        r.SkipTaggedFields();
        Assert.That(r.ReadInt32(), Is.EqualTo(7));
        Assert.That(r.End, Is.True);

        var empty = new KafkaReader(Hex.Parse("00 2a"));
        empty.SkipTaggedFields();
        Assert.That(empty.ReadUInt8(), Is.EqualTo(0x2a));
    }

    [Test]
    public void A_tagged_field_longer_than_the_frame_is_a_protocol_error()
    {
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(Hex.Parse("01 00 05 aa")).SkipTaggedFields());
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(Hex.Parse("01 00 ff ff ff ff 0f")).SkipTaggedFields());
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(Hex.Parse("02 00 00")).SkipTaggedFields());
    }

    [Test]
    public void The_empty_tagged_field_section_is_one_zero_byte() =>
        AssertBytes(Write(w => w.WriteEmptyTaggedFields()), "00");

    // ---- truncated input ----

    [Test]
    public void Truncated_input_is_a_protocol_error()
    {
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader([]).ReadInt8());
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader([1]).ReadInt16());
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader([1, 2, 3]).ReadInt32());
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(new byte[7]).ReadInt64());
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(new byte[15]).ReadUuid());
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(Hex.Parse("00 05 61 62")).ReadString(compact: false));
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(Hex.Parse("06 61 62")).ReadString(compact: true));
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(Hex.Parse("00 00 00 03 01")).ReadBytes(compact: false));
        Assert.Throws<KafkaProtocolException>(() =>
        {
            var r = new KafkaReader(Hex.Parse("00 00 00 02 00 00 00 01 00 00"));
            r.ReadInt32Array(compact: false);
        });
    }

    [Test]
    public void The_protocol_error_says_where()
    {
        var error = Assert.Throws<KafkaProtocolException>(() =>
        {
            var r = new KafkaReader([0, 0, 0]);
            r.ReadInt16();
            r.ReadInt32();
        });
        Assert.That(error!.Message, Does.Contain("position 2"));
    }

    // ---- hostile lengths ----

    [TestCase("7f ff", false, TestName = "Classic string of 32767 bytes in a 2-byte frame")]
    [TestCase("80 80 80 80 08", true, TestName = "Compact string of 2^31 bytes")]
    [TestCase("ff fe", false, TestName = "Classic string of length -2")]
    public void Hostile_string_lengths_are_rejected_without_allocating(string hex, bool compact) =>
        AssertRejectedWithoutAllocating(hex, (ref KafkaReader r) => r.ReadNullableString(compact));

    [TestCase("7f ff ff ff", false, TestName = "Array of 2^31-1 elements")]
    [TestCase("ff ff ff ff 0f", true, TestName = "Compact array of 2^32-2 elements")]
    [TestCase("ff ff ff fe", false, TestName = "Array of -2 elements")]
    [TestCase("05 f5 e1 00", false, TestName = "Array of 100 million elements")]
    public void Hostile_array_counts_are_rejected_without_allocating(string hex, bool compact)
    {
        AssertRejectedWithoutAllocating(hex, (ref KafkaReader r) => r.ReadArrayLength(compact));
        AssertRejectedWithoutAllocating(hex, (ref KafkaReader r) => r.ReadInt32Array(compact));
    }

    [TestCase("7f ff ff ff", false, TestName = "Bytes of 2^31-1")]
    [TestCase("ff ff ff ff 0f", true, TestName = "Compact bytes of 2^32-2")]
    [TestCase("80 00 00 00", false, TestName = "Bytes of length int.MinValue")]
    public void Hostile_byte_lengths_are_rejected_without_allocating(string hex, bool compact) =>
        AssertRejectedWithoutAllocating(hex, (ref KafkaReader r) => r.ReadBytes(compact).ToArray());

    [Test]
    public void An_array_count_is_checked_against_the_smallest_element_size()
    {
        // 3 elements of at least 4 bytes cannot fit in 8 bytes, though 3 one-byte elements would.
        var bytes = Hex.Parse("00 00 00 03 00 00 00 00 00 00 00 00");
        Assert.Throws<KafkaProtocolException>(() =>
        {
            var hostile = new KafkaReader(bytes);
            hostile.ReadCount(compact: false, minElementSize: 4);
        });
        var r = new KafkaReader(bytes);
        Assert.That(r.ReadCount(compact: false, minElementSize: 2), Is.EqualTo(3));
    }

    private delegate object? ReadAction(ref KafkaReader reader);

    private static void AssertRejectedWithoutAllocating(string hex, ReadAction read)
    {
        var bytes = Hex.Parse(hex + " 00 00");
        // Warm up the exception path so one-time costs do not count.
        try
        {
            var warm = new KafkaReader(bytes);
            read(ref warm);
        }
        catch (KafkaProtocolException)
        {
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<KafkaProtocolException>(() =>
        {
            var r = new KafkaReader(bytes);
            read(ref r);
        });
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // The exception and its message cost a few kilobytes; honouring the length would cost megabytes at least.
        Assert.That(allocated, Is.LessThan(256 * 1024));
    }

    // ---- the writer itself ----

    [Test]
    public void The_writer_grows_past_its_initial_capacity_and_resets()
    {
        using var writer = new KafkaWriter(64);
        for (var i = 0; i < 10_000; i++)
        {
            writer.WriteInt32(i);
        }
        Assert.That(writer.Position, Is.EqualTo(40_000));
        var r = new KafkaReader(writer.WrittenSpan);
        for (var i = 0; i < 10_000; i++)
        {
            Assert.That(r.ReadInt32(), Is.EqualTo(i));
        }
        writer.Reset();
        writer.WriteInt16(1);
        Assert.That(writer.WrittenSpan.ToArray(), Is.EqualTo(new byte[] { 0, 1 }));
    }
}
