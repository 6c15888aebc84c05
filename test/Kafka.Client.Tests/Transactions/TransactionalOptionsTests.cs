using Kafka.Testing;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Transactions;

public sealed class TransactionalOptionsTests
{
    [Test]
    public async Task Conflicting_settings_fail_validation_naming_each_key()
    {
        await using var cluster = MockKafkaCluster.Start(brokerCount: 1);
        await using var client = NewClient(cluster);
        var options = new ProducerOptions
        {
            TransactionalId = "tx", EnableIdempotence = false, RequiredAcks = RequiredAcks.Leader, TransactionTimeout = TimeSpan.Zero,
        };
        var error = Assert.Throws<ArgumentException>(() => client.GetTransactionalProducer(options));
        Assert.That(error!.Message, Does.Contain("EnableIdempotence:"));
        Assert.That(error.Message, Does.Contain("RequiredAcks:"));
        Assert.That(error.Message, Does.Contain("TransactionTimeout:"));
    }

    [Test]
    public async Task A_transactional_producer_needs_an_id_and_does_not_come_from_a_topic()
    {
        await using var cluster = MockKafkaCluster.Start(brokerCount: 1);
        cluster.CreateTopic("t", partitions: 1);
        await using var client = NewClient(cluster);
        Assert.That(Assert.Throws<ArgumentException>(() => client.GetTransactionalProducer(new ProducerOptions()))!.Message, Does.Contain("TransactionalId:"));
        Assert.That(Assert.Throws<ArgumentException>(() => client.GetTransactionalProducer(new ProducerOptions { TransactionalId = " " }))!.Message,
            Does.Contain("TransactionalId:"));
        var topic = await client.Topics.GetAsync("t", Timeout());
        Assert.That(Assert.Throws<ArgumentException>(() => topic.GetProducer(new ProducerOptions { TransactionalId = "tx" }))!.Message,
            Does.Contain("GetTransactionalProducer"));
    }

    [Test]
    public void The_transaction_timeout_defaults_to_a_minute() =>
        Assert.That(new ProducerOptions().TransactionTimeout, Is.EqualTo(TimeSpan.FromSeconds(60)));
}
