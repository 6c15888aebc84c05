using Kafka.Testing.Tests.Support;

namespace Kafka.Testing.Tests;

/// <summary>What a peer client sees of the brokers and topics a <see cref="MockKafkaCluster"/> serves.</summary>
public class ClusterTopologyTests
{
    [Test]
    public void Start_with_three_brokers_serves_them_in_metadata_on_the_bootstrap_ports()
    {
        using var cluster = MockKafkaCluster.Start(3);
        using var admin = Peer.Admin(cluster);

        var metadata = Peer.Metadata(admin);

        Assert.That(cluster.BrokerIds, Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(metadata.Brokers.Select(b => b.BrokerId).Order(), Is.EqualTo(new[] { 1, 2, 3 }));
        foreach (var broker in metadata.Brokers)
        {
            Assert.That(broker.Port, Is.EqualTo(cluster.GetBrokerPort(broker.BrokerId)), $"port of broker {broker.BrokerId}");
            Assert.That($"{broker.Host}:{broker.Port}", Is.EqualTo(cluster.GetBrokerAddress(broker.BrokerId)));
        }

        Assert.That(cluster.BootstrapServers, Is.EqualTo(string.Join(",", cluster.BrokerIds.Select(cluster.GetBrokerAddress))));
    }

    [Test]
    public void Start_with_one_broker_works_and_zero_is_refused()
    {
        using var cluster = MockKafkaCluster.Start(1);
        Assert.That(cluster.BrokerIds, Is.EqualTo(new[] { 1 }));
        Assert.That(RawKafka.ApiVersions(cluster.GetBrokerPort(1)).ErrorCode, Is.EqualTo(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => MockKafkaCluster.Start(0));
    }

    [Test]
    public void CreateTopic_with_five_partitions_serves_five_partitions_with_the_replication_factor()
    {
        using var cluster = MockKafkaCluster.Start();
        using var admin = Peer.Admin(cluster);

        cluster.CreateTopic("orders", 5, replicationFactor: 3);

        var topic = Peer.Topic(admin, "orders");
        Assert.That(topic.Error.IsError, Is.False, topic.Error.Reason);
        Assert.That(topic.Partitions.Select(p => p.PartitionId).Order(), Is.EqualTo(new[] { 0, 1, 2, 3, 4 }));
        Assert.That(topic.Partitions.Select(p => p.Replicas.Length), Is.All.EqualTo(3));
        Assert.That(topic.Partitions.Select(p => p.Leader), Is.All.InRange(1, 3));
    }

    [Test]
    public void CreateTopic_caps_the_replication_factor_at_the_broker_count()
    {
        using var cluster = MockKafkaCluster.Start(2);
        using var admin = Peer.Admin(cluster);

        cluster.CreateTopic("wide", 2, replicationFactor: 5);

        Assert.That(Peer.Topic(admin, "wide").Partitions.Select(p => p.Replicas.Length), Is.All.EqualTo(2));
    }

    [Test]
    public void CreateTopic_twice_names_the_librdkafka_error()
    {
        using var cluster = MockKafkaCluster.Start();
        cluster.CreateTopic("twice", 1);

        var ex = Assert.Throws<MockKafkaClusterException>(() => cluster.CreateTopic("twice", 1));

        Assert.That(ex!.ErrorName, Is.EqualTo("TOPIC_ALREADY_EXISTS"));
        Assert.That(ex.ErrorCode, Is.EqualTo(36));
        Assert.That(ex.Message, Does.Contain("TOPIC_ALREADY_EXISTS").And.Contain("twice"));
    }

    [Test]
    public void Topics_are_auto_created_with_four_partitions()
    {
        using var cluster = MockKafkaCluster.Start();
        using var admin = Peer.Admin(cluster);

        // librdkafka's admin metadata request allows auto-creation; the mock then creates the topic with its default.
        WaitUntil(() => Peer.Topic(admin, "auto", Peer.Short).Partitions.Count == 4, "auto-created topic with 4 partitions");
    }

    [Test]
    public void DeleteTopic_removes_it_and_a_second_delete_fails()
    {
        using var cluster = MockKafkaCluster.Start();
        cluster.CreateTopic("gone", 2);

        cluster.DeleteTopic("gone");

        var ex = Assert.Throws<MockKafkaClusterException>(() => cluster.DeleteTopic("gone"));
        Assert.That(ex!.ErrorName, Is.EqualTo("UNKNOWN_TOPIC_OR_PART"));
    }

    [Test]
    public void SetTopicError_is_returned_in_metadata()
    {
        using var cluster = MockKafkaCluster.Start();
        using var admin = Peer.Admin(cluster);
        cluster.CreateTopic("broken", 1);

        cluster.SetTopicError("broken", 29); // TOPIC_AUTHORIZATION_FAILED

        WaitUntil(() => Peer.Topic(admin, "broken", Peer.Short).Error.Code == Confluent.Kafka.ErrorCode.TopicAuthorizationFailed, "topic error in metadata");
        cluster.SetTopicError("broken", 0);
        WaitUntil(() => !Peer.Topic(admin, "broken", Peer.Short).Error.IsError, "topic error cleared");
    }

    [Test]
    public void SetPartitionLeader_moves_the_leader_seen_in_metadata()
    {
        using var cluster = MockKafkaCluster.Start();
        using var admin = Peer.Admin(cluster);
        cluster.CreateTopic("moving", 3, replicationFactor: 3);
        int before = Peer.Topic(admin, "moving").Partitions.Single(p => p.PartitionId == 1).Leader;
        int target = before % 3 + 1;

        cluster.SetPartitionLeader("moving", 1, target);

        WaitUntil(() => Peer.Topic(admin, "moving", Peer.Short).Partitions.Single(p => p.PartitionId == 1).Leader == target,
            $"partition 1 led by broker {target}");
    }

    [Test]
    public void SetPartitionLeader_to_an_unknown_broker_names_the_error()
    {
        using var cluster = MockKafkaCluster.Start();
        cluster.CreateTopic("t", 1);

        var ex = Assert.Throws<MockKafkaClusterException>(() => cluster.SetPartitionLeader("t", 0, 42));

        Assert.That(ex!.ErrorName, Is.EqualTo("BROKER_NOT_AVAILABLE"));
    }

    [Test]
    public void SetBrokerHostPort_changes_the_advertised_address_but_not_the_listener()
    {
        using var cluster = MockKafkaCluster.Start();
        using var admin = Peer.Admin(cluster);
        int listening = cluster.GetBrokerPort(2);

        cluster.SetBrokerHostPort(2, "127.0.0.1", 9);

        WaitUntil(() => Peer.Metadata(admin, Peer.Short).Brokers.Single(b => b.BrokerId == 2).Port == 9, "broker 2 advertised on port 9");
        Assert.That(cluster.GetBrokerPort(2), Is.EqualTo(listening));
        Assert.That(RawKafka.ApiVersions(listening).ErrorCode, Is.EqualTo(0), "broker 2 still answers where it listens");
        Assert.Throws<ArgumentOutOfRangeException>(() => cluster.SetBrokerHostPort(7, "127.0.0.1", 9));
    }

    [Test]
    public void AddBroker_and_DecommissionBroker_change_the_brokers_in_metadata()
    {
        using var cluster = MockKafkaCluster.Start();
        using var admin = Peer.Admin(cluster);
        int port2 = cluster.GetBrokerPort(2);

        cluster.AddBroker(4);

        Assert.That(cluster.BrokerIds, Is.EqualTo(new[] { 1, 2, 3, 4 }));
        WaitUntil(() => Peer.Metadata(admin, Peer.Short).Brokers.Count == 4, "4 brokers in metadata");
        Assert.Throws<InvalidOperationException>(() => cluster.GetBrokerAddress(4));

        cluster.DecommissionBroker(2);

        Assert.That(cluster.BrokerIds, Is.EqualTo(new[] { 1, 3, 4 }));
        WaitUntil(
            () => Peer.Metadata(admin, Peer.Short).Brokers.Select(b => b.BrokerId).Order().SequenceEqual(new[] { 1, 3, 4 }),
            "brokers 1, 3, 4 in metadata");
        Assert.Throws<System.Net.Sockets.SocketException>(() => RawKafka.Connect(port2).Dispose(), "decommissioned broker's port");
        Assert.Throws<ArgumentOutOfRangeException>(() => cluster.GetBrokerPort(2));
        var ex = Assert.Throws<MockKafkaClusterException>(() => cluster.DecommissionBroker(2));
        Assert.That(ex!.ErrorName, Is.EqualTo("BROKER_NOT_AVAILABLE"));
    }

    [Test]
    public void SetCoordinator_is_returned_by_FindCoordinator()
    {
        using var cluster = MockKafkaCluster.Start();

        cluster.SetCoordinator("group", "my-group", 3);

        // FindCoordinator v0: the group id; the answer: error, node id, host, port.
        using var socket = RawKafka.Connect(cluster.GetBrokerPort(1));
        byte[] key = "my-group"u8.ToArray();
        byte[] body = new byte[2 + key.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt16BigEndian(body, (short)key.Length);
        key.CopyTo(body, 2);
        byte[] response = RawKafka.Exchange(socket, 10, 0, body)!;
        Assert.That(System.Buffers.Binary.BinaryPrimitives.ReadInt16BigEndian(response), Is.EqualTo(0), "error code");
        Assert.That(System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(response.AsSpan(2)), Is.EqualTo(3), "coordinator");

        var ex = Assert.Throws<MockKafkaClusterException>(() => cluster.SetCoordinator("nonsense", "k", 1));
        Assert.That(ex!.ErrorCode, Is.Not.EqualTo(0));
    }
}
