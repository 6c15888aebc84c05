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
}
