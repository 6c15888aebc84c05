using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Kafka.Client.Admin;
using Kafka.Client.Protocol;
using Kafka.Client.Tests.Protocol;
using Kafka.Testing.Internal;
using static Kafka.Client.Tests.Support.TestSupport;
using ConfigResource = Kafka.Client.Admin.ConfigResource;
using ConfigEntry = Confluent.Kafka.Admin.ConfigEntry;

namespace Kafka.Client.Tests.Admin;

/// <summary>
/// For every admin call, the request this client sends is compared field for field with the one Confluent.Kafka's
/// AdminClient (librdkafka) sends for the same call, both captured by one proxy. The proxy advertises each API up to
/// the highest version librdkafka speaks (its rdkafka_request.c caps), so both clients choose the same version; where
/// the requests differ by design the test sets the field the same way and says why.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class AdminRequestInteropTests
{
    private const string Ours = "kafka-hosting";
    private const string Peer = "rdkafka";

    // librdkafka's maximum version of each API (rdkafka_request.c), flexible version from Kafka's schemas.
    private static readonly AnsweredApi[] PeerVersions =
    [
        new((short)ApiKey.CreateTopics, 2, 4, 5),
        new((short)ApiKey.DeleteTopics, 1, 4, 4),
        new((short)ApiKey.CreatePartitions, 0, 2, 2),
        new((short)ApiKey.DescribeConfigs, 1, 1, 4),
        new((short)ApiKey.IncrementalAlterConfigs, 0, 1, 1),
        new((short)ApiKey.ListGroups, 0, 5, 3),
        new((short)ApiKey.DescribeGroups, 0, 5, 5),
        new((short)ApiKey.DeleteGroups, 0, 2, 2),
        new((short)ApiKey.DeleteRecords, 0, 2, 2),
    ];

    private AdminCapture _capture = null!;
    private KafkaClient _client = null!;
    private IAdminClient _peer = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _capture = new AdminCapture(PeerVersions);
        _capture.Cluster.CreateTopic("t", partitions: 2);
        _client = NewClient(_capture.Address);
        await _client.UpdateClusterAsync(Timeout());
        _peer = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _capture.Address, ClientId = Peer })
            .SetLogHandler((_, _) => { }).Build();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _peer.Dispose();
        await _client.DisposeAsync();
        await _capture.DisposeAsync();
    }

    private static async Task Quietly(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (KafkaException)
        {
            // The proxy's empty answers leave the peer without results: only its request matters here.
        }
        catch (Exception ex) when (ex is Confluent.Kafka.KafkaException or ArgumentException)
        {
            TestContext.Out.WriteLine($"The peer's call ended with: {ex.Message}");
        }
    }

    /// <summary>Each client's single request of <paramref name="key"/>, compared at the same version, body for body.</summary>
    private void AssertSameRequest(ApiKey key, ApiInfo api)
    {
        var ours = _capture.Sent(key, Ours);
        var peer = _capture.Sent(key, Peer);
        Assert.That(ours, Has.Count.EqualTo(1), $"our {key} requests");
        Assert.That(peer, Has.Count.EqualTo(1), $"Confluent's {key} requests");
        Assert.That(ours[0].ApiVersion, Is.EqualTo(peer[0].ApiVersion), $"{key} version");
        TestContext.Out.WriteLine($"{key} v{ours[0].ApiVersion}: {Hex.Format(AdminCapture.Body(ours[0], api))}");
        Assert.That(Hex.Format(AdminCapture.Body(ours[0], api)), Is.EqualTo(Hex.Format(AdminCapture.Body(peer[0], api))), $"{key} body");
    }

    private static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(7);

    [Test]
    public async Task CreateTopics()
    {
        var topic = new NewTopic("created") { Partitions = 3, ReplicationFactor = 1 };
        topic.Configs["cleanup.policy"] = "compact";
        await _client.Admin.CreateTopicsAsync([topic], new AdminRequestOptions { OperationTimeout = OperationTimeout }, Timeout());
        await Quietly(() => _peer.CreateTopicsAsync(
            [new TopicSpecification { Name = "created", NumPartitions = 3, ReplicationFactor = 1, Configs = new() { ["cleanup.policy"] = "compact" } }],
            new CreateTopicsOptions { OperationTimeout = OperationTimeout }));
        AssertSameRequest(ApiKey.CreateTopics, KnownApis.CreateTopics);
    }

    [Test]
    public async Task CreateTopics_with_an_assignment_and_validate_only()
    {
        var topic = new NewTopic("assigned");
        topic.ReplicaAssignment[0] = [1];
        topic.ReplicaAssignment[1] = [1];
        await _client.Admin.CreateTopicsAsync([topic], new AdminRequestOptions { OperationTimeout = OperationTimeout, ValidateOnly = true }, Timeout());
        await Quietly(() => _peer.CreateTopicsAsync(
            [new TopicSpecification { Name = "assigned", NumPartitions = 2, ReplicationFactor = -1, ReplicasAssignments = new() { [0] = [1], [1] = [1] } }],
            new CreateTopicsOptions { OperationTimeout = OperationTimeout, ValidateOnly = true }));
        var ours = _capture.Sent(ApiKey.CreateTopics, Ours).Last();
        var peer = _capture.Sent(ApiKey.CreateTopics, Peer).Last();
        Assert.That(Hex.Format(AdminCapture.Body(ours, KnownApis.CreateTopics)), Is.EqualTo(Hex.Format(AdminCapture.Body(peer, KnownApis.CreateTopics))));
    }

    [Test]
    public async Task DeleteTopics()
    {
        await _client.Admin.DeleteTopicsAsync(["gone", "also-gone"], new AdminRequestOptions { OperationTimeout = OperationTimeout }, Timeout());
        await Quietly(() => _peer.DeleteTopicsAsync(["gone", "also-gone"], new DeleteTopicsOptions { OperationTimeout = OperationTimeout }));
        AssertSameRequest(ApiKey.DeleteTopics, KnownApis.DeleteTopics);
    }

    [Test]
    public async Task CreatePartitions()
    {
        await _client.Admin.CreatePartitionsAsync(new Dictionary<string, int> { ["t"] = 5 }, new AdminRequestOptions { OperationTimeout = OperationTimeout }, Timeout());
        await Quietly(() => _peer.CreatePartitionsAsync([new PartitionsSpecification { Topic = "t", IncreaseTo = 5 }],
            new CreatePartitionsOptions { OperationTimeout = OperationTimeout }));
        AssertSameRequest(ApiKey.CreatePartitions, KnownApis.CreatePartitions);
    }

    [Test]
    public async Task DescribeConfigs()
    {
        // librdkafka always asks for synonyms at v1; the same is asked here.
        await _client.Admin.DescribeConfigsAsync([ConfigResource.ForTopic("t")], includeSynonyms: true, Timeout());
        await Quietly(() => _peer.DescribeConfigsAsync([new Confluent.Kafka.Admin.ConfigResource { Type = ResourceType.Topic, Name = "t" }]));
        AssertSameRequest(ApiKey.DescribeConfigs, KnownApis.DescribeConfigs);
    }

    [Test]
    public async Task IncrementalAlterConfigs()
    {
        await _client.Admin.IncrementalAlterConfigsAsync(
            new Dictionary<ConfigResource, IReadOnlyList<ConfigChange>> { [ConfigResource.ForTopic("t")] = [ConfigChange.Set("retention.ms", "1000"), ConfigChange.Delete("cleanup.policy")] },
            cancellationToken: Timeout());
        await Quietly(() => _peer.IncrementalAlterConfigsAsync(new Dictionary<Confluent.Kafka.Admin.ConfigResource, List<ConfigEntry>>
        {
            [new Confluent.Kafka.Admin.ConfigResource { Type = ResourceType.Topic, Name = "t" }] =
            [
                new ConfigEntry { Name = "retention.ms", Value = "1000", IncrementalOperation = AlterConfigOpType.Set },
                new ConfigEntry { Name = "cleanup.policy", IncrementalOperation = AlterConfigOpType.Delete },
            ],
        }));
        AssertSameRequest(ApiKey.IncrementalAlterConfigs, KnownApis.IncrementalAlterConfigs);
    }

    [Test]
    public async Task ListGroups()
    {
        await _client.Admin.ListGroupsAsync(cancellationToken: Timeout());
        await Quietly(() => _peer.ListConsumerGroupsAsync());
        AssertSameRequest(ApiKey.ListGroups, KnownApis.ListGroups);
    }

    [Test]
    public async Task ListGroups_filtered_by_state()
    {
        await _client.Admin.ListGroupsAsync(states: ["Stable"], cancellationToken: Timeout());
        await Quietly(() => _peer.ListConsumerGroupsAsync(new ListConsumerGroupsOptions { MatchStates = [ConsumerGroupState.Stable] }));
        var ours = _capture.Sent(ApiKey.ListGroups, Ours).Last();
        var peer = _capture.Sent(ApiKey.ListGroups, Peer).Last();
        Assert.That(Hex.Format(AdminCapture.Body(ours, KnownApis.ListGroups)), Is.EqualTo(Hex.Format(AdminCapture.Body(peer, KnownApis.ListGroups))));
    }

    [Test]
    public async Task DescribeGroups()
    {
        await _client.Admin.DescribeGroupsAsync(["g"], Timeout());
        await Quietly(() => _peer.DescribeConsumerGroupsAsync(["g"]));
        AssertSameRequest(ApiKey.DescribeGroups, KnownApis.DescribeGroups);
    }

    [Test]
    public async Task DeleteGroups()
    {
        await _client.Admin.DeleteGroupsAsync(["g"], Timeout());
        await Quietly(() => _peer.DeleteGroupsAsync(["g"]));
        AssertSameRequest(ApiKey.DeleteGroups, KnownApis.DeleteGroups);
    }

    [Test]
    public async Task DeleteRecords()
    {
        await _client.Admin.DeleteRecordsAsync(new Dictionary<TopicAndPartition, long> { [new("t", 0)] = 5, [new("t", 1)] = -1 },
            new AdminRequestOptions { OperationTimeout = OperationTimeout }, Timeout());
        await Quietly(() => _peer.DeleteRecordsAsync([new TopicPartitionOffset("t", 0, 5), new TopicPartitionOffset("t", 1, Offset.End)],
            new DeleteRecordsOptions { OperationTimeout = OperationTimeout }));
        AssertSameRequest(ApiKey.DeleteRecords, KnownApis.DeleteRecords);
    }

    [Test]
    public async Task ListGroupOffsets()
    {
        await _client.Admin.ListGroupOffsetsAsync("offsets-g", null, Timeout());
        await Quietly(() => _peer.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions("offsets-g", null)]));
        AssertSameRequest(ApiKey.OffsetFetch, KnownApis.OffsetFetch);
    }

    [Test]
    public async Task AlterGroupOffsets()
    {
        await _client.Admin.AlterGroupOffsetsAsync("alter-g", new Dictionary<TopicAndPartition, long> { [new("t", 0)] = 3 }, Timeout());
        await Quietly(() => _peer.AlterConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitionOffsets("alter-g", [new TopicPartitionOffset("t", 0, 3)])]));
        AssertSameRequest(ApiKey.OffsetCommit, KnownApis.OffsetCommit);
    }
}
