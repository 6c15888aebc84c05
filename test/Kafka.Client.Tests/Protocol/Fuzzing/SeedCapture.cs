using System.Diagnostics;
using System.Text;
using Kafka.Client.Internal;
using Kafka.Client.Protocol;
using Kafka.Client.Protocol.Records;
using Kafka.Client.Tests.Fixtures;
using Kafka.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Protocol.Fuzzing;

/// <summary>
/// Captures real response frames from librdkafka's mock brokers through a <see cref="RecordingProxy"/>: first every
/// API at every version both the client and the mock speak, sent one by one on a connection; then a small workload of
/// the client itself (producers with each codec, a simple consumer with a group, a balanced consumer), at the versions
/// it negotiates and again as a 2.1 client.
/// </summary>
internal static class SeedCapture
{
    public const string Topic = "fuzz";
    public const string PeerTopic = "fuzz-peer";
    public const string WorkTopic = "fuzz-work";
    public const string SimpleGroup = "fuzz-simple";
    private const string SweepClientId = "sweep";
    private const string SaslClientId = "sasl";

    /// <summary>The source of frames captured from a SASL proxy in front of the mock (which itself has no SASL).</summary>
    public const string SaslSource = "sasl proxy";

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The captured frames, with a log of how long each step took.</summary>
    public static async Task<(List<ResponseSeed> Seeds, string Log)> CaptureAsync()
    {
        var log = new StringBuilder();
        var watch = Stopwatch.StartNew();
        await using var cluster = MockKafkaCluster.Start(brokerCount: 2);
        cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        await using var proxy1 = new RecordingProxy("127.0.0.1", cluster.GetBrokerPort(1));
        await using var proxy2 = new RecordingProxy("127.0.0.1", cluster.GetBrokerPort(2));
        cluster.SetBrokerHostPort(1, "127.0.0.1", proxy1.Port);
        cluster.SetBrokerHostPort(2, "127.0.0.1", proxy2.Port);
        cluster.CreateTopic(Topic, partitions: 3, replicationFactor: 2);
        for (var p = 0; p < 3; p++)
        {
            cluster.SetPartitionLeader(Topic, p, 1); // the sweep talks to broker 1 only
        }
        cluster.CreateTopic(WorkTopic, partitions: 2, replicationFactor: 2);
        cluster.CreateTopic(PeerTopic, partitions: 2, replicationFactor: 2);
        IEnumerable<RecordedExchange> Exchanges() => proxy1.Exchanges.Concat(proxy2.Exchanges);

        // Each part has its own topic and client id (which names the frames it brought), so they can overlap:
        // librdkafka's producers, slow to start and stop, run beside the rest.
        var peer = Task.Factory.StartNew(() => PeerProduce(cluster), TaskCreationOptions.LongRunning);
        await SweepAsync(cluster, new HostAddress("127.0.0.1", proxy1.Port), log);
        log.Append(Step(watch, "sweep"));
        foreach (var (tag, brokerVersion) in new[] { ("client", KafkaClientOptions.AutoBrokerVersion), ("client-2.1", "2.1") })
        {
            await WorkloadAsync($"{proxy1.Address},{proxy2.Address}", brokerVersion, tag, peer,
                () => Exchanges().Count(e => e.ApiKey == (short)ApiKey.Heartbeat && e.ClientId == tag));
            log.Append(Step(watch, tag));
        }
        await peer;
        log.Append(Step(watch, "librdkafka"));
        var sasl = await SaslAsync(cluster);
        log.Append(Step(watch, "sasl"));

        // librdkafka's traffic has APIs and versions this client does not speak: only ours are seeds.
        var seeds = Exchanges().Concat(sasl)
            .Where(e => KnownApis.All.Any(a => (short)a.Key == e.ApiKey && e.ApiVersion >= a.MinVersion && e.ApiVersion <= a.MaxVersion))
            .Select(e => new ResponseSeed(SourceOf(e.ClientId), (ApiKey)e.ApiKey, e.ApiVersion, e.Response, GroupIdOf(e)))
            .ToList();
        return (seeds, log.ToString());
    }

    private static string SourceOf(string? clientId) => clientId switch
    {
        SweepClientId => "mock",
        SaslClientId => SaslSource,
        "client-2.1" => "client 2.1",
        "rdkafka" => "librdkafka",
        _ => clientId ?? "unknown",
    };

    /// <summary>Batches as librdkafka writes them, a producer per codec, for the client's fetches to bring back.</summary>
    private static void PeerProduce(MockKafkaCluster cluster)
    {
        var codecs = new[]
        {
            Confluent.Kafka.CompressionType.Gzip, Confluent.Kafka.CompressionType.Snappy,
            Confluent.Kafka.CompressionType.Lz4, Confluent.Kafka.CompressionType.Zstd,
        };
        foreach (var codec in codecs)
        {
            using var producer = Consuming.ConsumerTestSupport.Producer(cluster, codec, c => c.LingerMs = 20);
            for (var i = 0; i < 4; i++)
            {
                var headers = new Confluent.Kafka.Headers { { "peer", Encoding.UTF8.GetBytes($"h{i}") } };
                producer.Produce(new Confluent.Kafka.TopicPartition(PeerTopic, i % 2), new Confluent.Kafka.Message<byte[]?, byte[]?>
                {
                    Key = i == 0 ? null : Encoding.UTF8.GetBytes($"key-{i}"),
                    Value = Encoding.UTF8.GetBytes($"a librdkafka value {i}, {codec}, {codec}, {codec}"),
                    Headers = headers,
                    Timestamp = new Confluent.Kafka.Timestamp(1_700_000_000_000 + i, Confluent.Kafka.TimestampType.CreateTime),
                });
            }
            producer.Flush(RequestTimeout);
        }
    }

    /// <summary>
    /// The client at work: idempotent producers with each codec, a simple consumer in a group (fetches, offset
    /// commit and fetch, offset lookups), and a balanced consumer that joins, syncs, heartbeats and leaves.
    /// </summary>
    private static async Task WorkloadAsync(string bootstrap, string brokerVersion, string tag, Task peerProduced, Func<int> heartbeats)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ct = timeout.Token;
        await using var client = new KafkaClient(new KafkaClientOptions
        {
            Hosts = bootstrap,
            BrokerVersion = brokerVersion,
            ClientId = tag,
            SocketTimeout = RequestTimeout,
            ReconnectBackoff = TimeSpan.FromMilliseconds(20),
            ReconnectBackoffMax = TimeSpan.FromMilliseconds(200),
        });
        var topic = await client.Topics.GetAsync(WorkTopic, ct);
        foreach (var codec in Enum.GetValues<CompressionType>())
        {
            await using var producer = topic.GetProducer(new ProducerOptions { Compression = codec, EnableIdempotence = true, Linger = TimeSpan.FromMilliseconds(20) });
            var reports = new List<ValueTask<DeliveryReport>>();
            for (var i = 0; i < 3; i++)
            {
                KafkaHeader[] headers = i == 1 ? [new KafkaHeader("h", "v"u8.ToArray()), KafkaHeader.WithNullValue("n")] : [];
                reports.Add(producer.ProduceAsync(Encoding.UTF8.GetBytes($"{tag} {codec} {i}: some text, some text, some text"),
                    i == 0 ? null : Encoding.UTF8.GetBytes($"k{i}"), DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000 + i), headers));
            }
            foreach (var report in reports)
            {
                await report;
            }
        }

        await using (var consumer = topic.GetSimpleConsumer(new SimpleConsumerOptions
        {
            ConsumerGroup = $"{SimpleGroup}-{tag}",
            FetchWaitMax = TimeSpan.FromMilliseconds(10),
            AutoOffsetReset = OffsetType.Earliest,
        }))
        {
            for (var i = 0; i < 15; i++)
            {
                await consumer.ConsumeAsync(ct);
            }
            await consumer.CommitOffsetsAsync(ct);
            await consumer.FetchOffsetsAsync(ct);
        }
        await topic.LatestAvailableOffsetsAsync(ct);
        await topic.EarliestAvailableOffsetsAsync(ct);

        await peerProduced.WaitAsync(ct);
        var peer = await client.Topics.GetAsync(PeerTopic, ct);
        await using (var consumer = peer.GetSimpleConsumer(new SimpleConsumerOptions { FetchWaitMax = TimeSpan.FromMilliseconds(10) }))
        {
            for (var i = 0; i < 16; i++)
            {
                await consumer.ConsumeAsync(ct);
            }
        }

        var heartbeatsBefore = heartbeats();
        await using (var balanced = topic.GetBalancedConsumer($"fuzz-balanced-{tag}", new BalancedConsumerOptions
        {
            HeartbeatInterval = TimeSpan.FromMilliseconds(50),
            SessionTimeout = TimeSpan.FromSeconds(6),
            FetchWaitMax = TimeSpan.FromMilliseconds(10),
            RebalanceBackoff = TimeSpan.FromMilliseconds(50),
        }))
        {
            await balanced.ConsumeAsync(ct); // joined and synced: it has partitions
            await WaitUntilAsync(() => Task.FromResult(heartbeats() > heartbeatsBefore), $"a heartbeat of the {tag} balanced consumer");
        } // and it leaves the group
    }

    /// <summary>
    /// SaslHandshake and SaslAuthenticate at each version, from SASL proxies (Cyrus SASL's SCRAM-SHA-256) in front of
    /// broker 1 advertising SaslAuthenticate up to v0, v1 and v2: successful exchanges, a refused password and a refused
    /// mechanism.
    /// </summary>
    private static async Task<List<RecordedExchange>> SaslAsync(MockKafkaCluster cluster)
    {
        var exchanges = new List<RecordedExchange>();
        var users = new Dictionary<string, string> { ["fuzz"] = "fuzz-secret" };
        for (short version = 0; version <= 2; version++)
        {
            await using var sasl = new SaslProxy("127.0.0.1", cluster.GetBrokerPort(1), new SaslProxyOptions
            {
                Mechanisms = ["SCRAM-SHA-256"],
                Users = users,
                MaxSaslAuthenticateVersion = version,
                SessionLifetime = TimeSpan.FromHours(1),
            });
            await using var recorder = new RecordingProxy("127.0.0.1", sasl.Port);
            foreach (var (mechanism, password) in new[] { (SaslMechanism.ScramSha256, "fuzz-secret"), (SaslMechanism.ScramSha256, "wrong"), (SaslMechanism.ScramSha512, "fuzz-secret") })
            {
                await using var client = new KafkaClient(new KafkaClientOptions
                {
                    Hosts = recorder.Address,
                    ClientId = SaslClientId,
                    SocketTimeout = RequestTimeout,
                    Sasl = new SaslConfig { Mechanism = mechanism, Username = "fuzz", Password = password },
                });
                try
                {
                    await client.UpdateClusterAsync(Timeout());
                }
                catch (NoBrokersAvailableException)
                {
                    // The refused ones: their error answers are the seeds.
                }
            }
            exchanges.AddRange(recorder.Exchanges);
        }
        return exchanges;
    }

    private static string Step(Stopwatch watch, string step) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{step} done at {watch.ElapsedMilliseconds} ms; ");

    // OffsetFetch v8+ answers must name the group asked for; the mock serves only up to v6, so any group will do.
    private static string GroupIdOf(RecordedExchange exchange) => exchange.ApiKey == (short)ApiKey.OffsetFetch ? SimpleGroup : "g";

    /// <summary>Every API at every version both sides speak, on one connection to broker 1 (reopened when the mock closes it).</summary>
    private static async Task SweepAsync(MockKafkaCluster cluster, HostAddress broker, StringBuilder log)
    {
        var settings = ConnectionSettings.From(new KafkaClientOptions { ClientId = SweepClientId }, TimeProvider.System,
            NullLoggerFactory.Instance, resilience: null);
        await using var sender = new Sender(broker, settings);
        await sender.ConnectAsync();
        try
        {
            await SweepAllAsync(cluster, sender);
        }
        finally
        {
            log.Append(sender.Log);
        }
    }

    private static async Task SweepAllAsync(MockKafkaCluster cluster, Sender sender)
    {

        for (short v = 0; v <= KnownApis.ApiVersions.MaxVersion; v++)
        {
            await sender.SendAsync(new ApiVersionsRequest(), v);
        }

        var topicId = Guid.Empty;
        foreach (var v in sender.Versions(KnownApis.Metadata))
        {
            var all = await sender.SendAsync(new MetadataRequest { Topics = null }, v);
            if (all?.Topics.FirstOrDefault(t => t.Name == Topic) is { } topic && topic.TopicId != Guid.Empty)
            {
                topicId = topic.TopicId;
            }
            if (v >= 4)
            {
                await sender.SendAsync(new MetadataRequest { Topics = [Topic, "fuzz-missing"], AllowAutoTopicCreation = false }, v);
            }
        }

        // Produce: a batch per version with a different codec each time, then idempotent batches after InitProducerId.
        var codecs = new[] { CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd };
        foreach (var v in sender.Versions(KnownApis.Produce))
        {
            var batch = Batch(new RecordBatchSettings { Compression = v >= 7 ? codecs[v % 5] : codecs[v % 4] }, v);
            await sender.SendAsync(Produce(0, batch), v);
        }
        long producerId = -1;
        short producerEpoch = -1;
        foreach (var v in sender.Versions(KnownApis.InitProducerId))
        {
            if (await sender.SendAsync(new InitProducerIdRequest(), v) is { ErrorCode: KafkaErrorCode.None } init)
            {
                (producerId, producerEpoch) = (init.ProducerId, init.ProducerEpoch);
            }
        }
        // The transaction APIs, answered (often with an error: no InitProducerId with this transactional id) at every version.
        foreach (var v in sender.Versions(KnownApis.AddPartitionsToTxn))
        {
            await sender.SendAsync(new AddPartitionsToTxnRequest
            {
                TransactionalId = "fuzz-tx", ProducerId = producerId, ProducerEpoch = producerEpoch, Topics = [(Topic, [0, 1])],
            }, v);
        }
        foreach (var v in sender.Versions(KnownApis.AddOffsetsToTxn))
        {
            await sender.SendAsync(new AddOffsetsToTxnRequest { TransactionalId = "fuzz-tx", ProducerId = producerId, ProducerEpoch = producerEpoch, GroupId = SimpleGroup }, v);
        }
        foreach (var v in sender.Versions(KnownApis.TxnOffsetCommit))
        {
            await sender.SendAsync(new TxnOffsetCommitRequest
            {
                TransactionalId = "fuzz-tx", GroupId = SimpleGroup, ProducerId = producerId, ProducerEpoch = producerEpoch, Topics = [(Topic, [(0, 1L, -1, null)])],
            }, v);
        }
        foreach (var v in sender.Versions(KnownApis.EndTxn))
        {
            await sender.SendAsync(new EndTxnRequest { TransactionalId = "fuzz-tx", ProducerId = producerId, ProducerEpoch = producerEpoch }, v);
        }
        var sequence = 0;
        foreach (var codec in codecs)
        {
            var batch = Batch(new RecordBatchSettings
            {
                Compression = codec, ProducerId = producerId, ProducerEpoch = producerEpoch, BaseSequence = sequence,
            }, 20);
            sequence += RecordsPerBatch;
            await sender.SendAsync(Produce(1, batch), KnownApis.Produce.MaxVersion);
        }

        foreach (var v in sender.Versions(KnownApis.ListOffsets))
        {
            await sender.SendAsync(new ListOffsetsRequest
            {
                IsolationLevel = v >= 2 ? ListOffsetsRequest.ReadCommitted : ListOffsetsRequest.ReadUncommitted,
                Topics =
                [
                    new ListOffsetsTopic(Topic,
                    [
                        new ListOffsetsPartition(0, ListOffsetsRequest.EarliestTimestamp),
                        new ListOffsetsPartition(1, ListOffsetsRequest.LatestTimestamp),
                        new ListOffsetsPartition(2, v >= 7 ? ListOffsetsRequest.MaxTimestamp : 0),
                    ]),
                ],
            }, v);
        }

        // The mock answers a fetch with one batch per partition: each version starts at another batch, so that
        // every codec's batch comes back at least once.
        var produced = sender.Versions(KnownApis.Produce).Count;
        foreach (var v in sender.Versions(KnownApis.Fetch))
        {
            using var fetched = await sender.SendAsync(new FetchRequest
            {
                MaxWaitMs = 0,
                IsolationLevel = (sbyte)(v % 2),
                Topics =
                [
                    new FetchTopic(Topic, topicId,
                    [
                        new FetchPartition(0, RecordsPerBatch * (v % produced), 1024 * 1024),
                        new FetchPartition(1, RecordsPerBatch * (v % codecs.Length) + 1, 1024 * 1024),
                        new FetchPartition(2, 999, 1024 * 1024), // out of range
                    ]),
                ],
            }, v);
        }

        cluster.SetCoordinator("group", SimpleGroup, 1);
        foreach (var v in sender.Versions(KnownApis.FindCoordinator))
        {
            await sender.SendAsync(new FindCoordinatorRequest { Keys = [SimpleGroup] }, v);
        }
        foreach (var v in sender.Versions(KnownApis.OffsetCommit))
        {
            await sender.SendAsync(new OffsetCommitRequest
            {
                GroupId = SimpleGroup,
                Topics = [new OffsetCommitTopic(Topic, [new OffsetCommitPartition(0, 3, 1, "meta"), new OffsetCommitPartition(1, 7, -1, null)])],
            }, v);
        }
        foreach (var v in sender.Versions(KnownApis.OffsetFetch))
        {
            await sender.SendAsync(new OffsetFetchRequest { GroupId = SimpleGroup, Topics = [new OffsetFetchTopic(Topic, [0, 1, 2])] }, v);
            if (v >= 2)
            {
                await sender.SendAsync(new OffsetFetchRequest { GroupId = SimpleGroup, Topics = null }, v);
            }
        }

        // A group per JoinGroup version: join (again with the id the broker asks for), sync, heartbeat, leave.
        foreach (var v in sender.Versions(KnownApis.JoinGroup))
        {
            var group = $"fuzz-join-v{v}";
            cluster.SetCoordinator("group", group, 1);
            await GroupRoundAsync(sender, group, v);
        }

        // A consumer-protocol group (KIP-848) per version: join (the answer carries the assignment), heartbeat with the
        // owned partitions, leave.
        foreach (var v in sender.Versions(KnownApis.ConsumerGroupHeartbeat))
        {
            var group = $"fuzz-848-v{v}";
            cluster.SetCoordinator("group", group, 1);
            var join = new ConsumerGroupHeartbeatRequest
            {
                GroupId = group, MemberId = $"member-{v}", MemberEpoch = 0, RebalanceTimeoutMs = 10_000,
                SubscribedTopicNames = [Topic], SubscribedTopicRegex = v >= 1 ? string.Empty : null, TopicPartitions = [],
            };
            var joined = await sender.SendAsync(join, v);
            if (joined is not { ErrorCode: KafkaErrorCode.None })
            {
                continue;
            }
            await sender.SendAsync(new ConsumerGroupHeartbeatRequest
            {
                GroupId = group, MemberId = join.MemberId, MemberEpoch = joined.MemberEpoch, TopicPartitions = joined.Assignment ?? [],
            }, v);
            await sender.SendAsync(new ConsumerGroupHeartbeatRequest
            {
                GroupId = group, MemberId = join.MemberId, MemberEpoch = ConsumerGroupHeartbeatRequest.LeaveEpoch,
            }, v);
        }

        await ShareGroupRoundAsync(cluster, sender, topicId);
    }

    /// <summary>
    /// A share group (KIP-932) per version: join (the answer carries the assignment), open a share session and fetch
    /// (records acquired from the partitions this broker leads, NOT_LEADER_OR_FOLLOWER for the others), acknowledge
    /// them, close the session, leave.
    /// </summary>
    private static async Task ShareGroupRoundAsync(MockKafkaCluster cluster, Sender sender, Guid topicId)
    {
        cluster.SetShareGroupSettings(startAtEarliest: true);
        foreach (var v in sender.Versions(KnownApis.ShareGroupHeartbeat))
        {
            var group = $"fuzz-932-v{v}";
            cluster.SetCoordinator("group", group, 1);
            var member = $"share-member-{v}";
            var joined = await sender.SendAsync(new ShareGroupHeartbeatRequest { GroupId = group, MemberId = member, SubscribedTopicNames = [Topic] }, v);
            if (joined is not { ErrorCode: KafkaErrorCode.None })
            {
                continue;
            }
            await sender.SendAsync(new ShareGroupHeartbeatRequest { GroupId = group, MemberId = member, MemberEpoch = joined.MemberEpoch }, v);
            var partitions = new SharePartitionAcknowledgements[] { new(0, []), new(1, []), new(2, []) };
            var fetched = await sender.SendAsync(new ShareFetchRequest
            {
                GroupId = group, MemberId = member, ShareSessionEpoch = 0, MaxWaitMs = 10, MaxRecords = 100, BatchSize = 100,
                Topics = [new ShareTopicAcknowledgements(topicId, partitions)],
            }, KnownApis.ShareFetch.MaxVersion);
            var acknowledgements = fetched?.Topics.SelectMany(t => t.Partitions)
                .Where(p => p.AcquiredRecords.Count > 0)
                .Select(p => new SharePartitionAcknowledgements(p.PartitionIndex,
                    [.. p.AcquiredRecords.Select(a => new ShareAcknowledgementBatch(a.FirstOffset, a.LastOffset, [(byte)ShareAcknowledgeType.Release]))]))
                .ToArray() ?? [];
            await sender.SendAsync(new ShareFetchRequest
            {
                GroupId = group, MemberId = member, ShareSessionEpoch = 1, MaxWaitMs = 10, MaxRecords = 100, BatchSize = 100,
                Topics = [new ShareTopicAcknowledgements(topicId, acknowledgements)],
            }, KnownApis.ShareFetch.MaxVersion);
            await sender.SendAsync(new ShareAcknowledgeRequest
            {
                GroupId = group, MemberId = member, ShareSessionEpoch = 2,
                Topics = [new ShareTopicAcknowledgements(topicId, [new SharePartitionAcknowledgements(0, [new ShareAcknowledgementBatch(0, 0, [1])])])],
            }, KnownApis.ShareAcknowledge.MaxVersion);
            await sender.SendAsync(new ShareAcknowledgeRequest { GroupId = group, MemberId = member, ShareSessionEpoch = -1 }, KnownApis.ShareAcknowledge.MaxVersion);
            await sender.SendAsync(new ShareGroupHeartbeatRequest { GroupId = group, MemberId = member, MemberEpoch = ShareGroupHeartbeatRequest.LeaveEpoch }, v);
        }
    }

    private static async Task GroupRoundAsync(Sender sender, string group, short joinVersion)
    {
        var protocolVersion = (short)Math.Min(joinVersion - 2, ConsumerProtocol.LatestVersion);
        var subscription = ConsumerProtocol.WriteSubscription(
            new ConsumerProtocolSubscription([Topic, PeerTopic], Encoding.UTF8.GetBytes("user"), [new TopicAndPartition(Topic, 1)], 3, "rack-1"),
            protocolVersion);
        var join = new JoinGroupRequest
        {
            GroupId = group,
            SessionTimeoutMs = 10_000,
            RebalanceTimeoutMs = 10_000,
            ProtocolType = ConsumerProtocol.ProtocolType,
            Protocols = [new JoinGroupProtocol("range", subscription), new JoinGroupProtocol("roundrobin", subscription)],
        };
        var joined = await sender.SendAsync(join, joinVersion);
        if (joined is { ErrorCode: KafkaErrorCode.MemberIdRequired })
        {
            join.MemberId = joined.MemberId;
            joined = await sender.SendAsync(join, joinVersion);
        }
        if (joined is null)
        {
            return;
        }
        var assignment = ConsumerProtocol.WriteAssignment(
            new ConsumerProtocolAssignment([new TopicAndPartition(Topic, 0), new TopicAndPartition(Topic, 2), new TopicAndPartition(PeerTopic, 0)],
                Encoding.UTF8.GetBytes("ud")),
            protocolVersion);
        var syncVersion = Clamp(joinVersion - 2, sender.Versions(KnownApis.SyncGroup));
        await sender.SendAsync(new SyncGroupRequest
        {
            GroupId = group,
            GenerationId = joined.GenerationId,
            MemberId = joined.MemberId,
            Assignments = [new SyncGroupAssignment(joined.MemberId, assignment)],
        }, syncVersion);
        var heartbeatVersion = Clamp(joinVersion - 2, sender.Versions(KnownApis.Heartbeat));
        await sender.SendAsync(new HeartbeatRequest { GroupId = group, GenerationId = joined.GenerationId, MemberId = joined.MemberId }, heartbeatVersion);
        await sender.SendAsync(new HeartbeatRequest { GroupId = group, GenerationId = joined.GenerationId + 5, MemberId = "nobody" }, heartbeatVersion);
        var leaveVersion = Clamp(joinVersion - 2, sender.Versions(KnownApis.LeaveGroup));
        await sender.SendAsync(new LeaveGroupRequest { GroupId = group, Members = [new LeaveGroupMember(joined.MemberId)] }, leaveVersion);
    }

    private static short Clamp(int wanted, IReadOnlyList<short> versions) =>
        versions.Count == 0 ? (short)0 : (short)Math.Clamp(wanted, versions[0], versions[^1]);

    private const int RecordsPerBatch = 4;

    /// <summary>Four records: keys and a null key, an empty and a null value, headers (one null), spread timestamps.</summary>
    private static byte[] Batch(RecordBatchSettings settings, int salt)
    {
        using var output = new KafkaWriter();
        using var builder = new RecordBatchBuilder();
        builder.Begin(output, settings);
        var time = 1_700_000_000_000L + salt * 1000;
        builder.Append(time, "key-1"u8, Encoding.UTF8.GetBytes($"value {salt} with some text to compress, compress, compress"),
            [new KafkaHeader("trace", "abc"u8.ToArray()), KafkaHeader.WithNullValue("none")]);
        builder.Append(time + 5, default, "v2"u8, [], keyIsNull: true);
        builder.Append(time + 200, "key-3"u8, default, [new KafkaHeader("h", ReadOnlyMemory<byte>.Empty)]);
        builder.Append(time + 70_000, "key-4"u8, default, [], valueIsNull: true);
        builder.Complete();
        return output.WrittenSpan.ToArray();
    }

    private static ProduceRequest Produce(int partition, byte[] batch) => new()
    {
        Acks = -1,
        TimeoutMs = 5000,
        Topics = [new ProduceTopicData(Topic, [new ProducePartitionData(partition, batch)])],
    };

    /// <summary>Sends requests at chosen versions; a request the mock refuses (it closes the connection) is skipped.</summary>
    private sealed class Sender(HostAddress address, ConnectionSettings settings) : IAsyncDisposable
    {
        private BrokerConnection? _connection;
        private ApiVersionTable? _versions;

        public StringBuilder Log { get; } = new();


        public async Task ConnectAsync()
        {
            if (_connection is { IsAlive: true })
            {
                return;
            }
            if (_connection is not null)
            {
                await _connection.DisposeAsync();
            }
            using var timeout = new CancellationTokenSource(RequestTimeout);
            _connection = await BrokerConnection.ConnectAsync(address, 1, "fuzz", settings, timeout.Token);
            _versions ??= _connection.Versions;
        }

        /// <summary>The versions of <paramref name="api"/> both the client and the broker speak, lowest first.</summary>
        public IReadOnlyList<short> Versions(ApiInfo api)
        {
            if (_versions is null || !_versions.TryGetRange(api.Key, out var range))
            {
                return [];
            }
            var versions = new List<short>();
            for (var v = Math.Max(api.MinVersion, range.MinVersion); v <= Math.Min(api.MaxVersion, range.MaxVersion); v++)
            {
                versions.Add((short)v);
            }
            return versions;
        }

        public async Task<T?> SendAsync<T>(KafkaRequest<T> request, short version)
            where T : class
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await ConnectAsync();
                return await _connection!.SendAsync(request, version, RequestTimeout, CancellationToken.None);
            }
            catch (KafkaException ex)
            {
                Log.AppendLine($"{request.Api.Key} v{version}: {ex.GetType().Name} {ex.Message}");
                return null; // refused or not answered: the frames that did come back are what counts
            }
            finally
            {
                var elapsed = Stopwatch.GetElapsedTime(started);
                if (elapsed > TimeSpan.FromMilliseconds(100))
                {
                    Log.AppendLine($"{request.Api.Key} v{version} took {elapsed.TotalMilliseconds:0} ms");
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_connection is not null)
            {
                await _connection.DisposeAsync();
            }
        }
    }
}
