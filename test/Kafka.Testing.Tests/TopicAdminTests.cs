using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Kafka.Testing.Tests;

/// <summary>
/// serveTopicAdmin: CreateTopics and DeleteTopics answered by the mock's own topic functions, as a peer client sees
/// them (Confluent.Kafka's AdminClient; the client's own use is in Kafka.Client.Tests' AdminEndToEndTests).
/// </summary>
public class TopicAdminTests
{
    private const short CreateTopics = 19;
    private const short DeleteTopics = 20;

    [Test]
    public async Task A_peer_creates_and_deletes_topics_that_the_mock_then_serves()
    {
        await using var cluster = MockKafkaCluster.Start(brokerCount: 3, serveTopicAdmin: true);
        cluster.StartRequestTracking();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.BootstrapServers }).SetLogHandler((_, _) => { }).Build();

        await admin.CreateTopicsAsync([new TopicSpecification { Name = "made", NumPartitions = 5, ReplicationFactor = 2 }]);
        var made = admin.GetMetadata("made", TimeSpan.FromSeconds(10)).Topics.Single();
        Assert.That(made.Error.Code, Is.EqualTo(ErrorCode.NoError));
        Assert.That(made.Partitions.Select(p => p.Replicas.Length), Is.EqualTo(Enumerable.Repeat(2, 5)));

        var again = Assert.ThrowsAsync<CreateTopicsException>(() => admin.CreateTopicsAsync([new TopicSpecification { Name = "made", NumPartitions = 1, ReplicationFactor = 1 }]));
        Assert.That(again!.Results.Single().Error.Code, Is.EqualTo(ErrorCode.TopicAlreadyExists));

        await admin.DeleteTopicsAsync(["made"]);
        Assert.Throws<MockKafkaClusterException>(() => cluster.DeleteTopic("made"), "the topic is gone from the mock itself");
        var missing = Assert.ThrowsAsync<DeleteTopicsException>(() => admin.DeleteTopicsAsync(["made"]));
        Assert.That(missing!.Results.Single().Error.Code, Is.EqualTo(ErrorCode.UnknownTopicOrPart));

        var requests = cluster.GetRequests();
        Assert.That(requests.Where(r => r.ApiKey == CreateTopics).Select(r => r.ApiVersion), Is.Not.Empty.And.All.InRange((short)2, (short)7));
        Assert.That(requests.Where(r => r.ApiKey == DeleteTopics).Select(r => r.ApiVersion), Is.Not.Empty.And.All.InRange((short)1, (short)6));
    }
}
