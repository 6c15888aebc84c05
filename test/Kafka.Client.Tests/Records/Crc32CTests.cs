using System.Text;
using Kafka.Client.Protocol.Records;

namespace Kafka.Client.Tests.Records;

[TestFixture]
public sealed class Crc32CTests
{
    // Published CRC-32C check values (RFC 3720 appendix B.4 and the common "123456789" check).
    [TestCase("123456789", 0xE3069283u)]
    [TestCase("", 0x00000000u)]
    [TestCase("a", 0xC1D04330u)]
    [TestCase("The quick brown fox jumps over the lazy dog", 0x22620404u)]
    public void Matches_known_vectors(string text, uint expected)
    {
        Assert.That(Crc32C.Compute(Encoding.ASCII.GetBytes(text)), Is.EqualTo(expected));
    }

    [Test]
    public void Matches_the_iSCSI_vectors_of_32_zero_and_32_ff_bytes()
    {
        Assert.That(Crc32C.Compute(new byte[32]), Is.EqualTo(0x8A9136AAu));
        Assert.That(Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()), Is.EqualTo(0x62A8AB43u));
        Assert.That(Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()), Is.EqualTo(0x46DD794Eu));
    }

    [Test]
    public void Incremental_updates_at_any_split_equal_the_one_shot_value()
    {
        var data = Enumerable.Range(0, 1000).Select(i => (byte)(i * 31 + 7)).ToArray();
        var whole = Crc32C.Compute(data);
        foreach (var split in new[] { 0, 1, 7, 8, 9, 500, 999, 1000 })
        {
            var state = Crc32C.Update(uint.MaxValue, data.AsSpan(0, split));
            state = Crc32C.Update(state, data.AsSpan(split));
            Assert.That(~state, Is.EqualTo(whole), $"split at {split}");
        }
    }

    [Test]
    public void Long_inputs_on_three_lanes_equal_a_bit_by_bit_reference_at_every_length_and_alignment()
    {
        var data = new byte[70_010];
        new Random(42).NextBytes(data);
        var lengths = Enumerable.Range(3 * 1024 - 30, 100).Concat([4096, 10_000, 65_536, 69_999]);
        foreach (var length in lengths)
        {
            foreach (var offset in new[] { 0, 1, 5 })
            {
                var slice = data.AsSpan(offset, length);
                Assert.That(Crc32C.Compute(slice), Is.EqualTo(BitByBit(slice)), $"length {length}, offset {offset}");
            }
        }
    }

    [Test]
    public void Incremental_updates_across_the_three_lane_threshold_equal_the_one_shot_value()
    {
        var data = new byte[20_000];
        new Random(7).NextBytes(data);
        var whole = Crc32C.Compute(data);
        foreach (var split in new[] { 1, 3071, 3072, 3073, 9_999, 16_928, 19_999 })
        {
            var state = Crc32C.Update(uint.MaxValue, data.AsSpan(0, split));
            state = Crc32C.Update(state, data.AsSpan(split));
            Assert.That(~state, Is.EqualTo(whole), $"split at {split}");
        }
    }

    [Test]
    public void A_shift_over_n_zero_bytes_equals_feeding_n_zero_bytes()
    {
        foreach (var n in new[] { 1, 8, 1000, 123_457 })
        {
            var state = 0xDEADBEEFu;
            var fed = state;
            foreach (var unused in new byte[n])
            {
                fed = Step(fed, 0);
            }
            Assert.That(Crc32C.MultiplyModulo(Crc32C.ShiftFactor(n), state), Is.EqualTo(fed), $"{n} zero bytes");
        }
    }

    // The textbook bit-at-a-time CRC-32C (reflected polynomial 0x82F63B78), independent of the hardware step.
    private static uint BitByBit(ReadOnlySpan<byte> data)
    {
        var state = uint.MaxValue;
        foreach (var b in data)
        {
            state = Step(state, b);
        }
        return ~state;
    }

    private static uint Step(uint state, byte b)
    {
        state ^= b;
        for (var bit = 0; bit < 8; bit++)
        {
            state = (state & 1) != 0 ? (state >> 1) ^ 0x82F63B78u : state >> 1;
        }
        return state;
    }
}
