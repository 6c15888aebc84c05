using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Kafka.Client.Internal;
using Kafka.Client.Protocol;
using Kafka.Client.Protocol.Records;
using Kafka.Client.Tests.Fixtures;
using Kafka.Client.Tests.Protocol.Fuzzing;
using Kafka.Client.Tests.Records;
using Kafka.Client.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Protocol;

/// <summary>
/// Mutation fuzzing of everything a broker sends: response frames of every API and version, record sets of every
/// format and codec, compressed payloads and consumer protocol data. Seeds are real frames captured from librdkafka's
/// mock brokers (see <see cref="SeedCapture"/>) and hand-written ones; each is mutated deterministically (see
/// <see cref="Mutator"/>). A mutated input must decode or raise <see cref="KafkaProtocolException"/> within a bound on
/// CPU time (never wall time, which a loaded machine stretches), allocating no more than a small multiple of its size:
/// a hostile length must never turn into an allocation.
/// </summary>
/// <remarks>
/// A failure prints the seed's name, the case number and its <see cref="Random"/> seed, the mutations applied, the
/// mutated bytes in hex and a KAFKA_FUZZ_REPLAY line that runs that one decode again (<see cref="Replay"/>). The hex is
/// the exact input: captured seeds carry ports, producer ids and member ids that change between runs, so the same case
/// of the same seed mutates the same positions of slightly different bytes. A fix gets a regression test with that hex
/// next to the API's protocol tests.
/// </remarks>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class ResponseFuzzTests
{
    private const int ResponseCases = 1000;
    private const int RecordSetCases = 1000;
    private const int InnerCases = 500;
    private const int PayloadCases = 2000;
    private const int ProtocolCases = 1000;
    private const int MaxFailuresShown = 8;

    /// <summary>
    /// CPU time a whole fuzz loop may use before it counts as hung (each loop uses a few seconds). A loop blocked without
    /// using CPU cannot come from these pure decoders; the test run's hang timeout would catch it.
    /// </summary>
    private static readonly TimeSpan LoopCpuLimit = TimeSpan.FromSeconds(120);

    // Captured once for the whole fixture: the capture from the mock takes a second or two.
    private static readonly Lazy<Task<SeedCorpus>> Corpus = new(SeedCorpus.BuildAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    // The admin APIs librdkafka's mock does not serve: their seeds are the hand-written responses of their protocol tests.
    private static readonly HashSet<ApiKey> MockLacks =
    [
        ApiKey.CreateTopics, ApiKey.DeleteTopics, ApiKey.CreatePartitions, ApiKey.DescribeCluster, ApiKey.DescribeConfigs,
        ApiKey.IncrementalAlterConfigs, ApiKey.ListGroups, ApiKey.DescribeGroups, ApiKey.DeleteGroups, ApiKey.DeleteRecords,
    ];

    public static IEnumerable<TestCaseData> Apis() =>
        KnownApis.All.Select(a => new TestCaseData(a.Key.ToString()).SetArgDisplayNames(a.Key.ToString()));

    [Test]
    public async Task The_seeds_cover_every_api_version_format_and_codec()
    {
        var corpus = await Corpus.Value;
        TestContext.Out.WriteLine(corpus.Log);
        foreach (var api in KnownApis.All)
        {
            var versions = corpus.Responses.Where(s => s.Key == api.Key).Select(s => s.Version).ToHashSet();
            for (var v = api.MinVersion; v <= api.MaxVersion; v++)
            {
                Assert.That(versions, Does.Contain(v), $"{api.Key} v{v} has no seed");
            }
            if (!MockLacks.Contains(api.Key))
            {
                // The mock has no SASL either: those frames come from the SASL proxy in front of it (Cyrus SASL's answers).
                var source = api.Key is ApiKey.SaslHandshake or ApiKey.SaslAuthenticate ? SeedCapture.SaslSource : "mock";
                Assert.That(corpus.Responses.Where(s => s.Key == api.Key && s.Source == source), Is.Not.Empty, $"nothing of {api.Key} was captured from the {source}");
            }
        }
        var entries = corpus.RecordSets.SelectMany(s => RecordSetSeeds.Entries(s.Records)).ToList();
        foreach (var codec in Enum.GetValues<CompressionType>())
        {
            Assert.That(entries.Any(e => e.Magic == RecordBatchFormat.MagicV2 && e.Codec == codec), $"no v2 batch with {codec}");
            Assert.That(corpus.RecordSets.Any(s => s.Name.StartsWith("fetched", StringComparison.Ordinal)
                && RecordSetSeeds.Entries(s.Records).Any(e => e.Codec == codec)), $"no fetched batch with {codec}");
            if (codec != CompressionType.Zstd)
            {
                Assert.That(entries.Any(e => e.Magic == RecordBatchFormat.MagicV0 && e.Codec == codec), $"no magic 0 message with {codec}");
                Assert.That(entries.Any(e => e.Magic == RecordBatchFormat.MagicV1 && e.Codec == codec), $"no magic 1 message with {codec}");
            }
            if (codec != CompressionType.None)
            {
                Assert.That(corpus.Compressed.Any(c => c.Codec == codec), $"no {codec} payload");
                Assert.That(corpus.RecordSets.Any(s => s.Name.Contains($"from {SeedCapture.PeerTopic}/", StringComparison.Ordinal)
                    && RecordSetSeeds.Entries(s.Records).Any(e => e.Codec == codec)), $"no batch librdkafka wrote with {codec}");
            }
        }
        Assert.That(corpus.ConsumerProtocol.Where(s => s.Name.Contains("from", StringComparison.Ordinal)).Select(s => s.IsAssignment).Distinct().Count(),
            Is.EqualTo(2), "captured subscriptions and assignments");
    }

    [TestCaseSource(nameof(Apis))]
    public async Task Mutated_responses_decode_or_raise_protocol_errors(string apiName)
    {
        var key = Enum.Parse<ApiKey>(apiName);
        var seeds = (await Corpus.Value).Responses.Where(s => s.Key == key).ToList();
        Assert.That(seeds, Is.Not.Empty);

        var report = RunIsolated(findings =>
        {
            using var records = new RecordSetReader(FuzzTargets.MaxBatchBytes);
            foreach (var seed in seeds)
            {
                findings.Seeds++;
                // A Fetch answer's records are decompressed too, within the reader's limit.
                var decompression = key == ApiKey.Fetch ? 4L * FuzzTargets.MaxBatchBytes : 0;
                foreach (var mutation in Mutator.Cases(seed.Name, seed.Frame, ResponseCases, mutableFrom: 4))
                {
                    findings.Check(seed.Name, FuzzTargets.ResponseKind(seed), mutation, decompression, () => FuzzTargets.DecodeResponse(seed, mutation.Bytes, records));
                }
            }
        });
        report.AssertNone();
    }

    [TestCase("v2")]
    [TestCase("magic")]
    [TestCase("fetched")]
    public async Task Mutated_record_sets_decode_or_raise_protocol_errors(string kind)
    {
        var seeds = (await Corpus.Value).RecordSets.Where(s => s.Name.StartsWith(kind, StringComparison.Ordinal)).ToList();
        Assert.That(seeds, Is.Not.Empty);

        var report = RunIsolated(findings =>
        {
            using var reader = new RecordSetReader(FuzzTargets.MaxBatchBytes);
            foreach (var seed in seeds)
            {
                findings.Seeds++;
                foreach (var mutation in Mutator.Cases(seed.Name, seed.Records, RecordSetCases, exhaustiveTruncationUpTo: 256))
                {
                    var bytes = mutation.Bytes;
                    const long decompression = 4L * FuzzTargets.MaxBatchBytes;
                    findings.Check(seed.Name, "records", mutation, decompression, () => FuzzTargets.ReadRecordSet(reader, bytes, verifyChecksums: true));
                    findings.Check(seed.Name, "records-nocrc", mutation, decompression, () => FuzzTargets.ReadRecordSet(reader, bytes, verifyChecksums: false));
                    // With the checksums made right again, a reader that checks them goes on into the records.
                    var resealed = mutation with { Description = mutation.Description + "; checksums fixed", Bytes = RecordSetSeeds.FixChecksums([.. bytes]) };
                    findings.Check(seed.Name, "records", resealed, decompression, () => FuzzTargets.ReadRecordSet(reader, resealed.Bytes, verifyChecksums: true));
                    findings.Check(seed.Name, "consume", resealed, decompression, () => FuzzTargets.Consume(reader, resealed.Bytes, FuzzTargets.Aborted));
                }
            }
        });
        report.AssertNone();
    }

    [Test]
    public async Task Records_mutated_inside_compressed_batches_decode_or_raise_protocol_errors()
    {
        var seeds = (await Corpus.Value).RecordSets;

        var report = RunIsolated(findings =>
        {
            using var reader = new RecordSetReader(FuzzTargets.MaxBatchBytes);
            foreach (var seed in seeds)
            {
                foreach (var (entry, payload) in RecordSetSeeds.CompressedPayloads(seed.Records).Take(2))
                {
                    findings.Seeds++;
                    // The records inside, mutated, then compressed and sealed again: what a broken producer could write.
                    var inner = RecordSetSeeds.Decompress(entry.Codec, payload);
                    var name = $"{seed.Name}, inside the {Compression.Name(entry.Codec)} entry at {entry.Start}";
                    foreach (var mutation in Mutator.Cases(name, inner, InnerCases, exhaustiveTruncationUpTo: 0))
                    {
                        var rebuilt = mutation with { Bytes = RecordSetSeeds.Rebuild(seed.Records, entry, mutation.Bytes) };
                        findings.Check(name, "records", rebuilt, 4L * FuzzTargets.MaxBatchBytes, () => FuzzTargets.ReadRecordSet(reader, rebuilt.Bytes, verifyChecksums: true));
                    }
                }
            }
        });
        report.AssertNone();
    }

    [TestCase("Gzip")]
    [TestCase("Snappy")]
    [TestCase("Lz4")]
    [TestCase("Zstd")]
    public async Task Mutated_compressed_payloads_stay_within_the_decompression_limit(string codecName)
    {
        var codec = Enum.Parse<CompressionType>(codecName);
        var seeds = (await Corpus.Value).Compressed.Where(c => c.Codec == codec).ToList();
        // What one byte of input can decode to at most: snappy 64 bytes per 3, LZ4 255 per byte; gzip and zstd
        // stream into fixed chunks whatever the ratio.
        long expansion = codec switch
        {
            CompressionType.Snappy => 22,
            CompressionType.Lz4 => 255,
            _ => 1,
        };
        Assert.That(seeds, Is.Not.Empty);

        var report = RunIsolated(findings =>
        {
            foreach (var seed in seeds)
            {
                findings.Seeds++;
                foreach (var mutated in Mutator.Cases(seed.Name, seed.Payload, PayloadCases, exhaustiveTruncationUpTo: 128))
                {
                    // LZ4 frames carry a header checksum: with it made right again the mutated descriptors are read.
                    var mutation = codec == CompressionType.Lz4
                        ? mutated with { Description = mutated.Description + "; header checksum fixed", Bytes = RecordSetSeeds.FixLz4HeaderChecksum(mutated.Bytes) }
                        : mutated;
                    var output = new TrackingBufferWriter();
                    findings.Check(seed.Name, codecName, mutation, 4L * FuzzTargets.MaxBatchBytes,
                        () => Compression.Decompress(codec, mutation.Bytes.AsSpan(), output, FuzzTargets.MaxBatchBytes));
                    // Codecs ask their output for room chunk by chunk; one request far beyond what the input can
                    // decode to, or beyond the limit, is an allocation sized by a length field.
                    var allowed = Math.Min(FuzzTargets.MaxBatchBytes + 1L, Math.Max(64 * 1024, expansion * mutation.Bytes.Length));
                    if (output.LargestRequest > allowed)
                    {
                        findings.Fail(seed.Name, codecName, mutation,
                            $"asked its output for {output.LargestRequest} bytes at once from {mutation.Bytes.Length} bytes of input (allowed {allowed})");
                    }
                }
            }
        });
        report.AssertNone();
    }

    [Test]
    public async Task Mutated_consumer_protocol_data_decodes_or_raises_protocol_errors()
    {
        var seeds = (await Corpus.Value).ConsumerProtocol;

        var report = RunIsolated(findings =>
        {
            foreach (var seed in seeds)
            {
                findings.Seeds++;
                foreach (var mutation in Mutator.Cases(seed.Name, seed.Bytes, ProtocolCases))
                {
                    findings.Check(seed.Name, seed.IsAssignment ? "assignment" : "subscription", mutation, 0, seed.IsAssignment
                        ? () => ConsumerProtocol.ReadAssignment(mutation.Bytes)
                        : () => ConsumerProtocol.ReadSubscription(mutation.Bytes));
                }
            }
        });
        report.AssertNone();
    }

    /// <summary>
    /// The same, end to end: a broker that answers ApiVersions properly and then a Metadata request with a mutated
    /// frame. The request fails with the protocol error, the connection is closed (the broker sees it go), and the
    /// requests pipelined behind it fail at once as retriable connection errors carrying the cause.
    /// </summary>
    [Test]
    public async Task A_mutated_response_on_a_real_connection_fails_its_request_and_closes_the_connection()
    {
        var seed = (await Corpus.Value).Responses.First(s => s.Key == ApiKey.Metadata && s.Version == 12 && s.Source == "mock");
        using var records = new RecordSetReader(FuzzTargets.MaxBatchBytes);
        var hostile = Mutator.Cases(seed.Name, seed.Frame, ResponseCases, mutableFrom: 4, exhaustiveTruncationUpTo: 0)
            .Where(m => Throws(() => FuzzTargets.DecodeResponse(seed, m.Bytes, records)))
            .Take(3)
            .ToList();
        Assert.That(hostile, Has.Count.EqualTo(3));

        foreach (var mutation in hostile)
        {
            var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var broker = new ScriptedBroker(async (c, ct) =>
            {
                var versions = await c.ReadRequestAsync(ct);
                await c.RespondApiVersionsAsync(versions!, ct);
                var first = await c.ReadRequestAsync(ct);
                await c.ReadRequestAsync(ct);
                await c.ReadRequestAsync(ct);
                var frame = mutation.Bytes.ToArray();
                BinaryPrimitives.WriteInt32BigEndian(frame, first!.CorrelationId);
                var sized = new byte[4 + frame.Length];
                BinaryPrimitives.WriteInt32BigEndian(sized, frame.Length);
                frame.CopyTo(sized, 4);
                await c.WriteAsync(sized, ct);
                if (await c.ReadRequestAsync(ct) is null)
                {
                    closed.TrySetResult();
                }
            });
            var settings = ConnectionSettings.From(new KafkaClientOptions(), TimeProvider.System, NullLoggerFactory.Instance, resilience: null);
            await using var connection = await BrokerConnection.ConnectAsync(new HostAddress("127.0.0.1", broker.Port), 1, "general", settings, Timeout());
            var watch = Stopwatch.StartNew();

            var requests = Enumerable.Range(0, 3)
                .Select(_ => connection.SendAsync(new MetadataRequest(), 12, TimeSpan.FromSeconds(30), CancellationToken.None))
                .ToList();

            var error = Assert.ThrowsAsync<KafkaProtocolException>(() => requests[0], mutation.Description);
            Assert.That(error!.Message, Does.Contain("malformed Metadata v12 response"));
            foreach (var behind in requests.Skip(1))
            {
                var failed = Assert.ThrowsAsync<KafkaConnectionException>(() => behind);
                Assert.That(failed!.IsRetriable, Is.True);
                Assert.That(failed.InnerException, Is.InstanceOf<KafkaProtocolException>());
            }
            Assert.That(connection.IsAlive, Is.False);
            await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "failed at once, not at the 30 s request timeout");
        }
    }

    /// <summary>
    /// Decodes again one input a failure printed: set KAFKA_FUZZ_REPLAY to the "replay" line's value (what was decoded,
    /// then the bytes in hex) and run this test alone. Without it, the test replays an input the suite once found
    /// failing: a record batch whose timestamps (int64 max) are past what DateTimeOffset holds.
    /// </summary>
    [Test]
    public void Replay()
    {
        var replay = Environment.GetEnvironmentVariable("KAFKA_FUZZ_REPLAY");
        if (string.IsNullOrWhiteSpace(replay))
        {
            replay = "consume 000000000000000000000039ffffffff02dbd37f7f0000000000007fffffffffffffff7fffffffffffffff"
                + "ffffffffffffffffffffffffffff000000010e00000001027600";
        }
        var space = replay.IndexOf(' ', StringComparison.Ordinal);
        var kind = replay[..space];
        var bytes = Hex.Parse(replay[(space + 1)..]);
        using var reader = new RecordSetReader(FuzzTargets.MaxBatchBytes);
        var finding = FuzzTargets.Run(() => FuzzTargets.Replay(kind, bytes, reader), FuzzTargets.PerInputByte * bytes.Length + FuzzTargets.FixedAllowance + 4L * FuzzTargets.MaxBatchBytes,
            out var allocated, out var protocolError);
        TestContext.Out.WriteLine($"{kind}, {bytes.Length} bytes: {(protocolError ? "protocol error" : "decoded")}, {allocated} bytes allocated");
        Assert.That(finding, Is.Null);
    }

    /// <summary>
    /// The judge counts the decoding thread's CPU time: a decode that waits (as one does when a loaded machine gives it
    /// no core) is not slow, one that works past the limit is, however little wall time passes around it.
    /// </summary>
    [Test]
    public void A_decode_is_judged_slow_by_its_cpu_time_not_by_wall_time()
    {
        var limit = TimeSpan.FromMilliseconds(100);

        var waited = FuzzTargets.Run(() => Thread.Sleep(limit * 3), 1024 * 1024, limit, out _, out _);
        var worked = FuzzTargets.Run(() => Spin(limit * 2), 1024 * 1024, limit, out _, out _);

        Assert.That(waited, Is.Null);
        Assert.That(worked, Does.StartWith("used ").And.EndWith("ms of CPU time (a hang)"));

        static void Spin(TimeSpan cpu)
        {
            var until = ThreadCpuClock.CurrentThread() + cpu;
            var x = 0UL;
            while (ThreadCpuClock.CurrentThread() < until)
            {
                x = (x * 6364136223846793005UL) + 1442695040888963407UL;
            }
            GC.KeepAlive(x);
        }
    }

    private static bool Throws(Action action)
    {
        try
        {
            action();
            return false;
        }
        catch (KafkaProtocolException)
        {
            return true;
        }
    }

    /// <summary>
    /// Runs a fuzz loop on a thread of its own, so that a decode that never returns fails the test (naming the case
    /// it was on) instead of hanging the run, and so that allocation and CPU time are counted for that thread alone.
    /// The watchdog judges the loop by the CPU time its thread used, so waiting for a core on a loaded machine never
    /// counts as a hang.
    /// </summary>
    private static Findings RunIsolated(Action<Findings> body)
    {
        var findings = new Findings();
        Exception? crash = null;
        var watch = Stopwatch.StartNew();
        using var clockReady = new ManualResetEventSlim();
        ThreadCpuClock? clock = null;
        var cpuUsed = TimeSpan.Zero;
        var thread = new Thread(() =>
        {
            clock = ThreadCpuClock.StartForCurrentThread();
            clockReady.Set();
            try
            {
                body(findings);
            }
            catch (Exception e)
            {
                crash = e;
            }
            clock.TryGetUsed(out cpuUsed);
        }) { IsBackground = true, Name = "fuzz" };
        thread.Start();
        clockReady.Wait();
        while (!thread.Join(TimeSpan.FromMilliseconds(500)))
        {
            if (clock!.TryGetUsed(out var used) && used > LoopCpuLimit)
            {
                Assert.Fail($"The fuzz loop used more than {LoopCpuLimit.TotalSeconds:0} s of CPU time without finishing; it was on: {findings.Current}");
            }
        }
        if (crash is not null)
        {
            Assert.Fail($"The fuzz loop itself failed on {findings.Current}: {crash}");
        }
        TestContext.Out.WriteLine(
            $"{findings.Seeds} seeds, {findings.Decodes} decodes ({findings.ProtocolErrors} protocol errors) in {watch.ElapsedMilliseconds} ms ({cpuUsed.TotalMilliseconds:0} ms of the loop's CPU time); " +
            $"most allocated by one decode: {findings.MostAllocated} bytes; most per input byte (inputs of 64 bytes or more): {findings.MostAllocatedPerByte:0.0}");
        return findings;
    }

    /// <summary>What a fuzz loop found, and where it is (read by the watchdog if the loop hangs).</summary>
    private sealed class Findings
    {
        private readonly List<string> _failures = [];
        private int _failureCount;

        public int Seeds { get; set; }

        public int Decodes { get; private set; }

        public int ProtocolErrors { get; private set; }

        public long MostAllocated { get; private set; }

        public double MostAllocatedPerByte { get; private set; }

        public string Current => Volatile.Read(ref _current);

        private string _current = "(starting)";

        /// <summary>
        /// Decodes one case and records a finding if it threw anything but a protocol error, was slow, or allocated more
        /// than <see cref="FuzzTargets.PerInputByte"/> per input byte plus <see cref="FuzzTargets.FixedAllowance"/> and
        /// <paramref name="extraAllowance"/> (decompressed bytes, where the input is compressed).
        /// </summary>
        public void Check(string seedName, string kind, Mutation mutation, long extraAllowance, Action decode)
        {
            Volatile.Write(ref _current, $"{seedName}, case {mutation.Case}: {mutation.Description}");
            var allowed = FuzzTargets.PerInputByte * mutation.Bytes.Length + FuzzTargets.FixedAllowance + extraAllowance;
            var finding = FuzzTargets.Run(decode, allowed, out var allocated, out var protocolError);
            Decodes++;
            if (protocolError)
            {
                ProtocolErrors++;
            }
            if (allocated > MostAllocated)
            {
                MostAllocated = allocated;
            }
            if (mutation.Bytes.Length >= 64)
            {
                MostAllocatedPerByte = Math.Max(MostAllocatedPerByte, allocated / (double)mutation.Bytes.Length);
            }
            if (finding is not null)
            {
                Fail(seedName, kind, mutation, finding);
            }
        }

        public void Fail(string seedName, string kind, Mutation mutation, string finding)
        {
            _failureCount++;
            if (_failures.Count >= MaxFailuresShown)
            {
                return;
            }
            var hex = Hex.Format(mutation.Bytes);
            _failures.Add(new StringBuilder()
                .AppendLine($"Seed \"{seedName}\", case {mutation.Case} (Random seed {mutation.CaseSeed}): {mutation.Description}")
                .AppendLine($"  {finding}")
                .AppendLine($"  input ({mutation.Bytes.Length} bytes): {hex}")
                .AppendLine($"  replay: KAFKA_FUZZ_REPLAY=\"{kind} {hex}\" dotnet test test/Kafka.Client.Tests -c Release --filter Name=Replay")
                .ToString());
        }

        public void AssertNone()
        {
            if (_failureCount > 0)
            {
                Assert.Fail($"{_failureCount} of {Decodes} decodes failed; the first {_failures.Count}:{Environment.NewLine}{string.Join(Environment.NewLine, _failures)}");
            }
        }
    }
}
