using Kafka.Client.Internal.Producing;
using Kafka.Testing;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Producing;

public sealed class ProducerOptionsTests
{
    [Test]
    public void Defaults_are_the_documented_ones()
    {
        var options = new ProducerOptions();
        Assert.Multiple(() =>
        {
            Assert.That(options.Partitioner, Is.Null);
            Assert.That(options.Compression, Is.EqualTo(CompressionType.None));
            Assert.That(options.CompressionLevel, Is.Null);
            Assert.That(options.MaxRetries, Is.EqualTo(int.MaxValue));
            Assert.That(options.RetryBackoff, Is.EqualTo(TimeSpan.FromMilliseconds(100)));
            Assert.That(options.RetryBackoffMax, Is.EqualTo(TimeSpan.FromSeconds(1)));
            Assert.That(options.RequiredAcks, Is.EqualTo(RequiredAcks.All));
            Assert.That(options.AckTimeout, Is.EqualTo(TimeSpan.FromSeconds(10)));
            Assert.That(options.MaxQueuedMessages, Is.EqualTo(100_000));
            Assert.That(options.MinQueuedMessages, Is.EqualTo(10_000));
            Assert.That(options.Linger, Is.EqualTo(TimeSpan.FromMilliseconds(5)));
            Assert.That(options.QueueEmptyTimeout, Is.EqualTo(TimeSpan.Zero));
            Assert.That(options.BlockOnQueueFull, Is.True);
            Assert.That(options.MaxRequestSize, Is.EqualTo(1_000_012));
            Assert.That(options.BatchSize, Is.EqualTo(1_000_000));
            Assert.That(options.Sync, Is.False);
            Assert.That(options.DeliveryReports, Is.False);
            Assert.That(options.PendingTimeout, Is.EqualTo(TimeSpan.FromSeconds(5)));
            Assert.That(options.EnableIdempotence, Is.True);
            Assert.That(options.DeliveryTimeout, Is.EqualTo(TimeSpan.FromMinutes(2)));
            Assert.That(options.MaxInFlightRequests, Is.EqualTo(5));
        });
        Assert.That(ProducerOptionsValidator.Validate(options), Is.Empty);
    }

    [Test]
    public void Every_problem_is_reported_with_its_option_name()
    {
        var options = new ProducerOptions
        {
            Compression = CompressionType.Snappy,
            CompressionLevel = 3,
            RequiredAcks = (RequiredAcks)2,
            MaxRetries = -1,
            RetryBackoff = TimeSpan.FromSeconds(2),
            RetryBackoffMax = TimeSpan.FromSeconds(1),
            AckTimeout = TimeSpan.Zero,
            Linger = TimeSpan.FromMinutes(5),
            DeliveryTimeout = TimeSpan.FromMinutes(1),
            MaxQueuedMessages = 0,
            MinQueuedMessages = 0,
            MaxRequestSize = 100,
            BatchSize = 0,
            MaxInFlightRequests = 6,
            PendingTimeout = TimeSpan.FromSeconds(-2),
        };
        var errors = ProducerOptionsValidator.Validate(options);
        foreach (var name in new[]
                 {
                     "CompressionLevel", "RequiredAcks", "MaxRetries", "RetryBackoffMax", "AckTimeout", "DeliveryTimeout",
                     "MaxQueuedMessages", "MinQueuedMessages", "MaxRequestSize", "BatchSize", "MaxInFlightRequests", "PendingTimeout",
                 })
        {
            Assert.That(errors, Has.Some.StartsWith(name + ":"), name);
        }
    }

    [TestCase(CompressionType.Gzip, 9, true)]
    [TestCase(CompressionType.Gzip, 10, false)]
    [TestCase(CompressionType.Lz4, 12, true)]
    [TestCase(CompressionType.Zstd, -5, true)]
    [TestCase(CompressionType.Zstd, 23, false)]
    [TestCase(CompressionType.None, 1, false)]
    public void Compression_levels_are_checked_per_codec(CompressionType codec, int level, bool valid) =>
        Assert.That(ProducerOptionsValidator.Validate(new ProducerOptions { Compression = codec, CompressionLevel = level }), valid ? Is.Empty : Is.Not.Empty);

    [Test]
    public async Task Invalid_options_are_refused_when_the_producer_is_created_and_options_are_copied()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("opts", 1, 1);
        await using var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync("opts", Timeout());
        var error = Assert.Throws<ArgumentException>(() => topic.GetProducer(new ProducerOptions { MaxQueuedMessages = 0, BatchSize = -1 }));
        Assert.That(error!.Message, Does.Contain("MaxQueuedMessages").And.Contain("BatchSize"));

        var options = new ProducerOptions { Linger = TimeSpan.FromMilliseconds(7) };
        await using var sync = topic.GetSyncProducer(options);
        Assert.That(options.Sync, Is.False, "the caller's options are not changed");
        Assert.That(sync.Options.Sync, Is.True);
        options.Linger = TimeSpan.FromSeconds(1);
        Assert.That(sync.Options.Linger, Is.EqualTo(TimeSpan.FromMilliseconds(7)), "the producer keeps its own copy");
    }
}
