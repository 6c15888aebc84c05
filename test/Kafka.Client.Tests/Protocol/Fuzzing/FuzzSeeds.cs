using Kafka.Client.Protocol;
using Kafka.Client.Protocol.Records;

namespace Kafka.Client.Tests.Protocol.Fuzzing;

/// <summary>
/// A valid response frame as the connection hands it to a codec: correlation id, the response header's tags (v1),
/// then the body of <paramref name="Key"/> at <paramref name="Version"/>.
/// </summary>
/// <param name="Source">Where it came from ("mock", "client 2.1", "hand-written"), part of its name.</param>
/// <param name="Key">The API.</param>
/// <param name="Version">The version the body is written in.</param>
/// <param name="Frame">The frame without its size.</param>
/// <param name="GroupId">The group an OffsetFetch v8+ request asked for (the response must name it).</param>
internal sealed record ResponseSeed(string Source, ApiKey Key, short Version, byte[] Frame, string GroupId = "g")
{
    public ApiInfo Api => KnownApis.All.Single(a => a.Key == Key);

    public string Name => $"{Key} v{Version} {Source} ({Frame.Length} bytes)";

    /// <summary>Wraps a hand-written body in a frame: correlation id 0 and, for header v1, no header tags.</summary>
    public static ResponseSeed FromBody(string source, ApiKey key, short version, byte[] body, string groupId = "g")
    {
        var api = KnownApis.All.Single(a => a.Key == key);
        var header = api.ResponseHeaderVersion(version) == 1 ? new byte[] { 0, 0, 0, 0, 0 } : new byte[4];
        return new ResponseSeed(source, key, version, [.. header, .. body], groupId);
    }
}

/// <summary>The records of one partition, as a Fetch response carries them.</summary>
internal sealed record RecordSetSeed(string Name, byte[] Records);

/// <summary>A compressed payload (the records section of a v2 batch, or a legacy wrapper's value).</summary>
internal sealed record CompressedSeed(string Name, CompressionType Codec, byte[] Payload);

/// <summary>Consumer protocol bytes carried by JoinGroup (a subscription) or SyncGroup (an assignment).</summary>
internal sealed record ConsumerProtocolSeed(string Name, bool IsAssignment, byte[] Bytes);

/// <summary>Every seed the fuzz suite mutates.</summary>
internal sealed class SeedCorpus
{
    /// <summary>Captured frames kept per API, version and source: the largest, the smallest and one between.</summary>
    private const int CapturedPerVersion = 3;

    /// <summary>How the capture went (timings), for the test output.</summary>
    public string Log { get; private init; } = string.Empty;

    public required IReadOnlyList<ResponseSeed> Responses { get; init; }

    public required IReadOnlyList<RecordSetSeed> RecordSets { get; init; }

    public required IReadOnlyList<CompressedSeed> Compressed { get; init; }

    public required IReadOnlyList<ConsumerProtocolSeed> ConsumerProtocol { get; init; }

    /// <summary>Captures frames from the mock, adds the hand-written ones, and takes records and payloads out of them.</summary>
    public static async Task<SeedCorpus> BuildAsync()
    {
        var (captured, log) = await SeedCapture.CaptureAsync();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var responses = new List<ResponseSeed>();
        foreach (var group in captured.GroupBy(s => (s.Key, s.Version, s.Source)).OrderBy(g => g.Key))
        {
            // Distinct bodies (correlation ids aside), in a stable order.
            var distinct = group.DistinctBy(s => Convert.ToHexString(s.Frame.AsSpan(4)))
                .OrderBy(s => s.Frame.Length).ThenBy(s => Convert.ToHexString(s.Frame)).ToList();
            var picked = distinct.Count <= CapturedPerVersion
                ? distinct
                : [distinct[0], distinct[distinct.Count / 2], distinct[^1]];
            responses.AddRange(picked);
        }
        responses.AddRange(HandWrittenSeeds.All(RecordSetSeeds.V2(new RecordBatchSettings { Compression = CompressionType.Snappy, BaseOffset = 40 })));

        // Records out of every captured Fetch answer (the mock returns one batch per partition and fetch): two of each
        // kind (format and codecs) per source and topic, so that the batches librdkafka wrote (fuzz-peer), which the
        // client's fetches bring back, are there beside the project's own.
        var recordSets = new List<RecordSetSeed>(RecordSetSeeds.Built());
        var topicNames = new Dictionary<Guid, string>();
        foreach (var seed in captured.Where(s => s.Key == ApiKey.Metadata && s.Version >= 10))
        {
            var frame = new KafkaReader(seed.Frame);
            ResponseHeader.Read(ref frame, seed.Api.ResponseHeaderVersion(seed.Version));
            foreach (var topic in new MetadataRequest().ReadResponse(ref frame, seed.Version).Topics.Where(t => t.Name is not null))
            {
                topicNames[topic.TopicId] = topic.Name!;
            }
        }
        var fetched = new List<(string Kind, RecordSetSeed Seed)>();
        foreach (var seed in captured.Where(s => s.Key == ApiKey.Fetch))
        {
            var frame = new KafkaReader(seed.Frame);
            ResponseHeader.Read(ref frame, seed.Api.ResponseHeaderVersion(seed.Version));
            using var fetch = new FetchRequest().ReadResponse(ref frame, seed.Version);
            fetch.Attach(seed.Frame, owner: null);
            foreach (var topic in fetch.Topics)
            {
                var topicName = topic.Name ?? topicNames.GetValueOrDefault(topic.TopicId, topic.TopicId.ToString());
                foreach (var partition in topic.Partitions)
                {
                    var records = fetch.GetRecords(partition).ToArray();
                    if (records.Length > 0 && !fetched.Any(r => r.Seed.Records.AsSpan().SequenceEqual(records)))
                    {
                        var kind = string.Join("+", RecordSetSeeds.Entries(records).Select(e => $"magic {e.Magic} {Compression.Name(e.Codec)}").Distinct());
                        fetched.Add(($"{kind} by {seed.Source} from {topicName}",
                            new RecordSetSeed($"fetched by {seed.Source} at v{seed.Version} from {topicName}/{partition.PartitionIndex} ({kind})", records)));
                    }
                }
            }
        }
        recordSets.AddRange(fetched.GroupBy(f => f.Kind).OrderBy(g => g.Key, StringComparer.Ordinal).SelectMany(g => g.Take(2)).Select(f => f.Seed));

        // Seeds that do not decode are kept (mutating them is as good a test), but said in the log.
        using (var check = new RecordSetReader(FuzzTargets.MaxBatchBytes))
        {
            foreach (var seed in responses)
            {
                try
                {
                    FuzzTargets.DecodeResponse(seed, seed.Frame, check);
                }
                catch (KafkaProtocolException e)
                {
                    log += $"{Environment.NewLine}seed {seed.Name} does not decode: {e.Message}";
                }
            }
        }

        var compressed = new List<CompressedSeed>();
        foreach (var set in recordSets)
        {
            foreach (var (entry, payload) in RecordSetSeeds.CompressedPayloads(set.Records))
            {
                if (!compressed.Any(c => c.Payload.AsSpan().SequenceEqual(payload)))
                {
                    compressed.Add(new CompressedSeed($"{Compression.Name(entry.Codec)} payload of {set.Name} at {entry.Start}", entry.Codec, payload));
                }
            }
        }

        var protocol = new List<ConsumerProtocolSeed>();
        for (short v = 0; v <= Kafka.Client.Protocol.ConsumerProtocol.LatestVersion; v++)
        {
            protocol.Add(new ConsumerProtocolSeed($"subscription v{v}", false, Kafka.Client.Protocol.ConsumerProtocol.WriteSubscription(
                new ConsumerProtocolSubscription(["a", "bc"], new byte[] { 1, 2, 3 }, [new TopicAndPartition("a", 0), new TopicAndPartition("a", 5), new TopicAndPartition("bc", 1)], 9, "r1"), v)));
            protocol.Add(new ConsumerProtocolSeed($"assignment v{v}", true, Kafka.Client.Protocol.ConsumerProtocol.WriteAssignment(
                new ConsumerProtocolAssignment([new TopicAndPartition("a", 0), new TopicAndPartition("a", 5), new TopicAndPartition("bc", 1)], new byte[] { 4 }), v)));
        }
        foreach (var seed in responses.Where(s => s.Source != "hand-written" && s.Key is ApiKey.JoinGroup or ApiKey.SyncGroup))
        {
            var frame = new KafkaReader(seed.Frame);
            ResponseHeader.Read(ref frame, seed.Api.ResponseHeaderVersion(seed.Version));
            var bytes = seed.Key == ApiKey.JoinGroup
                ? new JoinGroupRequest().ReadResponse(ref frame, seed.Version).Members.Select(m => m.Metadata)
                : [new SyncGroupRequest().ReadResponse(ref frame, seed.Version).Assignment];
            foreach (var b in bytes.Where(b => b.Length > 0))
            {
                if (!protocol.Any(p => p.Bytes.AsSpan().SequenceEqual(b)))
                {
                    protocol.Add(new ConsumerProtocolSeed($"{(seed.Key == ApiKey.SyncGroup ? "assignment" : "subscription")} from {seed.Name}", seed.Key == ApiKey.SyncGroup, b));
                }
            }
        }

        log += $"{Environment.NewLine}seeds prepared in {watch.ElapsedMilliseconds} ms: {responses.Count} responses, {recordSets.Count} record sets, " +
            $"{compressed.Count} compressed payloads, {protocol.Count} consumer protocol";
        return new SeedCorpus { Responses = responses, RecordSets = recordSets, Compressed = compressed, ConsumerProtocol = protocol, Log = log };
    }
}
