using Kafka.Client.Internal;
using Microsoft.Extensions.Time.Testing;

namespace Kafka.Client.Tests.Consuming;

/// <summary>The response frame pool: size classes that waste at most a quarter, and memory given back when idle.</summary>
[TestFixture]
public sealed class FrameBufferPoolTests
{
    [TestCase(1, 16 * 1024)]
    [TestCase(64 * 1024, 64 * 1024)]
    [TestCase(64 * 1024 + 1, 80 * 1024)]
    [TestCase(1024 * 1024, 1024 * 1024)]
    [TestCase(1024 * 1024 + 50_000, 1280 * 1024)]
    [TestCase(1792 * 1024 + 1, 2048 * 1024)]
    public void Sizes_round_up_to_a_quarter_of_their_power_of_two(int length, int expected) =>
        Assert.That(FrameBufferPool.SizeClass(length), Is.EqualTo(expected));

    [Test]
    public void Arrays_in_use_stay_pooled_and_arrays_unused_for_a_whole_interval_are_dropped()
    {
        var time = new FakeTimeProvider();
        using var pool = new FrameBufferPool(time);
        var frames = Enumerable.Range(0, 8).Select(_ => pool.Rent(1_100_000)).ToList();
        Assert.That(frames.Select(f => f.Length), Is.All.EqualTo(1280 * 1024));
        frames.ForEach(f => pool.Return(f));
        Assert.That(pool.PooledBytes, Is.EqualTo(8L * 1280 * 1024));

        // Busy: each interval two frames are out at once, so six were not needed.
        for (var interval = 0; interval < 3; interval++)
        {
            var a = pool.Rent(1_100_000);
            var b = pool.Rent(1_100_000);
            Assert.That(frames, Does.Contain(a).And.Contain(b), "pooled arrays are reused");
            pool.Return(a);
            pool.Return(b);
            time.Advance(FrameBufferPool.TrimInterval);
        }
        Assert.That(pool.PooledBytes, Is.EqualTo(2L * 1280 * 1024), "what the busy intervals needed stays");

        // Idle: nothing rented for two intervals, nothing kept.
        time.Advance(FrameBufferPool.TrimInterval);
        time.Advance(FrameBufferPool.TrimInterval);
        Assert.That(pool.PooledBytes, Is.Zero);
    }

    [Test]
    public void Record_readers_unused_for_a_whole_interval_are_disposed()
    {
        var time = new FakeTimeProvider();
        using var pool = new Kafka.Client.Internal.Consuming.RecordReaderPool(verifyChecksums: true, time);
        var readers = Enumerable.Range(0, 4).Select(_ => pool.Rent()).ToList();
        readers.ForEach(pool.Return);
        time.Advance(FrameBufferPool.TrimInterval);
        Assert.That(pool.Count, Is.EqualTo(4), "kept through the interval they were used in");

        var busy = pool.Rent();
        Assert.That(readers, Does.Contain(busy));
        pool.Return(busy);
        time.Advance(FrameBufferPool.TrimInterval);
        Assert.That(pool.Count, Is.EqualTo(1), "three were not needed");

        time.Advance(FrameBufferPool.TrimInterval);
        Assert.That(pool.Count, Is.Zero, "idle: none kept");
    }

    [Test]
    public void A_record_reader_dropped_as_unused_lets_its_decompression_buffers_go_instead_of_pooling_them()
    {
        using var buffers = new FrameBufferPool(new FakeTimeProvider());
        var batch = Records.RecordReading.BuildBatch(
            Enumerable.Range(0, 100).Select(i => new Records.DecodedRecord(i, 1000, null, $"value {i}", [])),
            new Kafka.Client.Protocol.Records.RecordBatchSettings { Compression = Kafka.Client.CompressionType.Lz4 });
        Kafka.Client.Protocol.Records.RecordSetReader Decoded()
        {
            var reader = new Kafka.Client.Protocol.Records.RecordSetReader { BufferPool = buffers };
            reader.Reset(batch);
            Assert.That(reader.TryReadBatch(out _), Is.True);
            var records = 0;
            while (reader.TryReadRecord(out _))
            {
                records++;
            }
            Assert.That(records, Is.EqualTo(100));
            return reader;
        }

        // A decompression buffer starts at 16 KiB and grows (the 16 KiB array going back to the pool) to hold the batch.
        Decoded().Dispose();
        var pooled = buffers.PooledBytes;
        Assert.That(pooled, Is.GreaterThan(16 * 1024), "disposed in use: the buffer it grew to goes back for the next reader");

        Decoded().DisposeUnpooled();
        Assert.That(buffers.PooledBytes, Is.EqualTo(16 * 1024),
            "the second reader took the pooled buffers and, dropped as unused, gave back only the 16 KiB array it outgrew");
    }

    [Test]
    public void Record_arrays_start_small_and_are_given_back_when_idle_with_their_records_cleared()
    {
        var time = new FakeTimeProvider();
        using var pool = new TrimmingArrayPool<Kafka.Client.Protocol.Records.RecordView>(time, smallestSize: 16);
        var small = pool.Rent(3);
        var large = pool.Rent(5000);
        Assert.That((small.Length, large.Length), Is.EqualTo((16, 5120)), "16 at least, then quarters of a power of two");
        pool.Return(small);
        pool.Return(large);
        Assert.That(pool.PooledElements, Is.EqualTo(16 + 5120));

        time.Advance(TrimmingArrayPool<byte>.TrimInterval);
        time.Advance(TrimmingArrayPool<byte>.TrimInterval);
        Assert.That(pool.PooledElements, Is.Zero, "idle for a whole interval: given back, not kept as the shared pool would");
    }

    [Test]
    public void A_fetched_record_takes_at_most_56_bytes_of_its_array() =>
        // Every record of a fetch sits in these arrays until consumed: 100-byte messages took 88 bytes more each.
        Assert.That(System.Runtime.CompilerServices.Unsafe.SizeOf<Kafka.Client.Protocol.Records.RecordView>(), Is.LessThanOrEqualTo(56));

    [Test]
    public void Foreign_arrays_are_not_taken()
    {
        using var pool = new FrameBufferPool(new FakeTimeProvider());
        pool.Return(new byte[1000]);
        Assert.That(pool.PooledBytes, Is.Zero);
    }
}
