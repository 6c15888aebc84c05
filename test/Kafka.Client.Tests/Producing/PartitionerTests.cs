using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using Kafka.Client.Internal.Producing;

namespace Kafka.Client.Tests.Producing;

public sealed class PartitionerTests
{
    /// <summary>Kafka's murmur2 written the way the Java client spells it: signed ints and unsigned shifts.</summary>
    private static int JavaMurmur2(byte[] data)
    {
        unchecked
        {
            var length = data.Length;
            const int seed = (int)0x9747b28c;
            const int m = 0x5bd1e995;
            const int r = 24;
            var h = seed ^ length;
            var length4 = length / 4;
            for (var i = 0; i < length4; i++)
            {
                var i4 = i * 4;
                var k = (data[i4 + 0] & 0xff) + ((data[i4 + 1] & 0xff) << 8) + ((data[i4 + 2] & 0xff) << 16) + ((data[i4 + 3] & 0xff) << 24);
                k *= m;
                k ^= (int)((uint)k >> r);
                k *= m;
                h *= m;
                h ^= k;
            }
            var rest = length % 4;
            if (rest == 3)
            {
                h ^= (data[(length & ~3) + 2] & 0xff) << 16;
            }
            if (rest >= 2)
            {
                h ^= (data[(length & ~3) + 1] & 0xff) << 8;
            }
            if (rest >= 1)
            {
                h ^= data[length & ~3] & 0xff;
                h *= m;
            }
            h ^= (int)((uint)h >> 13);
            h *= m;
            h ^= (int)((uint)h >> 15);
            return h;
        }
    }

    [TestCase("21", -973932308)]
    [TestCase("foobar", -790332482)]
    [TestCase("a-little-bit-long-string", -985981536)]
    [TestCase("a-little-bit-longer-string", -1486304829)]
    [TestCase("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971)]
    [TestCase("abc", 479470107)]
    public void Murmur2_matches_the_Java_clients_test_vectors(string text, int expected)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Assert.That((int)Murmur2.Hash(bytes), Is.EqualTo(expected));
        Assert.That(JavaMurmur2(bytes), Is.EqualTo(expected));
    }

    [Test]
    public void Murmur2_agrees_with_a_Java_style_implementation_for_every_length()
    {
        var random = new Random(11);
        for (var length = 0; length < 200; length++)
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            Assert.That((int)Murmur2.Hash(bytes), Is.EqualTo(JavaMurmur2(bytes)), $"length {length}");
        }
    }

    [Test]
    public void Murmur2_partitioner_takes_the_positive_hash_modulo_the_count()
    {
        var partitioner = new Murmur2Partitioner();
        foreach (var text in new[] { "21", "foobar", "abc", "", "customer-42" })
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            Assert.That(partitioner.GetPartition("t", 7, bytes, hasKey: true), Is.EqualTo((JavaMurmur2(bytes) & 0x7fffffff) % 7), text);
        }
    }

    [Test]
    public void Murmur2_partitioner_spreads_keyless_messages_at_random()
    {
        var partitioner = new Murmur2Partitioner();
        var seen = Enumerable.Range(0, 400).Select(_ => partitioner.GetPartition("t", 5, default, hasKey: false)).ToHashSet();
        Assert.That(seen, Is.EquivalentTo(Enumerable.Range(0, 5)));
    }

    [Test]
    public void Round_robin_takes_each_partition_in_turn_and_ignores_keys()
    {
        var partitioner = new RoundRobinPartitioner();
        var chosen = Enumerable.Range(0, 7).Select(i => partitioner.GetPartition("t", 3, [(byte)i], hasKey: true));
        Assert.That(chosen, Is.EqualTo(new[] { 0, 1, 2, 0, 1, 2, 0 }));
    }

    [Test]
    public void Round_robin_is_even_under_concurrency()
    {
        var partitioner = new RoundRobinPartitioner();
        var counts = new int[4];
        Parallel.For(0, 40_000, _ => Interlocked.Increment(ref counts[partitioner.GetPartition("t", 4, default, false)]));
        Assert.That(counts, Is.All.EqualTo(10_000));
    }

    [Test]
    public void Random_stays_in_range_and_reaches_every_partition()
    {
        var partitioner = new RandomPartitioner();
        var seen = Enumerable.Range(0, 500).Select(_ => partitioner.GetPartition("t", 6, default, false)).ToList();
        Assert.That(seen, Is.All.InRange(0, 5));
        Assert.That(seen.Distinct().Count(), Is.EqualTo(6));
    }

    [TestCase("user-1", 3)]
    [TestCase("", 5)]
    [TestCase("ключ", 12)]
    [TestCase("a much longer key with spaces in it", 100)]
    public void Hashing_reads_the_sha1_digest_as_one_big_number_as_pykafka(string key, int partitions)
    {
        var bytes = Encoding.UTF8.GetBytes(key);
        // pykafka: int(sha1(key).hexdigest(), 16) % len(partitions)
        var expected = (int)(new BigInteger(SHA1.HashData(bytes), isUnsigned: true, isBigEndian: true) % partitions);
        Assert.That(new HashingPartitioner().GetPartition("t", partitions, bytes, hasKey: true), Is.EqualTo(expected));
    }

    [Test]
    public void Hashing_refuses_a_message_without_a_key() =>
        Assert.Throws<ArgumentException>(() => new HashingPartitioner().GetPartition("t", 3, default, hasKey: false));

    [Test]
    public void A_partition_count_below_one_is_refused()
    {
        IPartitioner[] partitioners = [new RoundRobinPartitioner(), new RandomPartitioner(), new Murmur2Partitioner(), new HashingPartitioner()];
        foreach (var partitioner in partitioners)
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => partitioner.GetPartition("t", 0, [1], true), partitioner.GetType().Name);
        }
    }
}
