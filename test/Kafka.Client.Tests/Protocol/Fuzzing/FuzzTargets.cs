using Kafka.Client.Internal.Consuming;
using Kafka.Client.Protocol;
using Kafka.Client.Protocol.Records;
using Kafka.Client.Tests.Support;

namespace Kafka.Client.Tests.Protocol.Fuzzing;

/// <summary>
/// What the client does with a response frame, from the bytes on: the response header, the codec's
/// <c>ReadResponse</c>, and what the client reads out of the result right after (the version table of an
/// ApiVersions answer, the records of a Fetch answer as the consumer decodes them, the consumer protocol inside
/// JoinGroup and SyncGroup answers). Each target either returns or throws; <see cref="Run"/> judges how.
/// </summary>
internal static class FuzzTargets
{
    /// <summary>The decompression limit the suite gives record readers: small, so a bomb is cheap to find.</summary>
    public const int MaxBatchBytes = 1024 * 1024;

    /// <summary>
    /// A decode that uses more CPU time than this is a hang (or work out of proportion to its input): decodes of these
    /// inputs take a few milliseconds. CPU time of the decoding thread, not wall time, so that a loaded machine that
    /// keeps the thread waiting for a core does not make a fast decode look slow.
    /// </summary>
    public static readonly TimeSpan SlowDecode = TimeSpan.FromSeconds(2);

    /// <summary>Bytes a decode may always allocate: exception messages and stack traces, codec state, small buffers.</summary>
    public const long FixedAllowance = 64 * 1024;

    /// <summary>Bytes a decode may allocate per byte of input: decoded objects are larger than their wire form.</summary>
    public const long PerInputByte = 64;

    /// <summary>The aborted transaction the record-set cases consume with (the transactional seeds use producer 9).</summary>
    public static readonly AbortedTransaction[] Aborted = [new AbortedTransaction(9, 20)];

    /// <summary>How a failure names a response decode for <see cref="Replay"/>: API, version and the group asked for.</summary>
    public static string ResponseKind(ResponseSeed seed) => $"response:{seed.Key}:{seed.Version}:{seed.GroupId}";

    /// <summary>Runs the decode a failure named (<c>response:API:version:group</c>, <c>records</c>, <c>records-nocrc</c>,
    /// <c>consume</c>, a codec name, <c>subscription</c> or <c>assignment</c>) on <paramref name="bytes"/>.</summary>
    public static void Replay(string kind, byte[] bytes, RecordSetReader reader)
    {
        var parts = kind.Split(':');
        switch (parts[0])
        {
            case "response":
                var seed = new ResponseSeed("replay", Enum.Parse<ApiKey>(parts[1]), short.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture), bytes, parts[3]);
                DecodeResponse(seed, bytes, reader);
                break;
            case "records":
            case "records-nocrc":
                ReadRecordSet(reader, bytes, verifyChecksums: parts[0] == "records");
                break;
            case "consume":
                Consume(reader, bytes, Aborted);
                break;
            case "subscription":
                ConsumerProtocol.ReadSubscription(bytes);
                break;
            case "assignment":
                ConsumerProtocol.ReadAssignment(bytes);
                break;
            default:
                var output = new Kafka.Client.Tests.Records.TrackingBufferWriter();
                try
                {
                    Compression.Decompress(Enum.Parse<CompressionType>(parts[0]), bytes.AsSpan(), output, MaxBatchBytes);
                }
                finally
                {
                    NUnit.Framework.TestContext.Out.WriteLine($"The codec asked its output for {output.LargestRequest} bytes at most.");
                }
                break;
        }
    }

    /// <summary>Decodes <paramref name="frame"/> as the connection and its caller would.</summary>
    public static void DecodeResponse(ResponseSeed seed, byte[] frame, RecordSetReader records)
    {
        var reader = new KafkaReader(frame);
        ResponseHeader.Read(ref reader, seed.Api.ResponseHeaderVersion(seed.Version));
        var version = seed.Version;
        switch (seed.Key)
        {
            case ApiKey.ApiVersions:
            {
                var response = new ApiVersionsRequest().ReadResponse(ref reader, version);
                // As the connection does: an error answer is retried or raised as the broker's error, not read further.
                if (!response.TryGetRetryVersion(version, out _) && response.ErrorCode == KafkaErrorCode.None)
                {
                    var table = ApiVersionTable.FromResponse(response);
                    foreach (var api in KnownApis.All)
                    {
                        table.TryNegotiate(api, out _);
                    }
                }
                break;
            }
            case ApiKey.Metadata:
                new MetadataRequest().ReadResponse(ref reader, version);
                break;
            case ApiKey.ListOffsets:
                new ListOffsetsRequest().ReadResponse(ref reader, version);
                break;
            case ApiKey.Fetch:
            {
                using var response = new FetchRequest().ReadResponse(ref reader, version);
                response.Attach(frame, owner: null);
                foreach (var topic in response.Topics)
                {
                    foreach (var partition in topic.Partitions)
                    {
                        Consume(records, response.GetRecords(partition), partition.AbortedTransactions);
                    }
                }
                break;
            }
            case ApiKey.OffsetCommit:
                new OffsetCommitRequest().ReadResponse(ref reader, version);
                break;
            case ApiKey.OffsetFetch:
                new OffsetFetchRequest { GroupId = seed.GroupId }.ReadResponse(ref reader, version);
                break;
            case ApiKey.FindCoordinator:
                new FindCoordinatorRequest { Keys = ["g"] }.ReadResponse(ref reader, version);
                break;
            case ApiKey.JoinGroup:
            {
                var response = new JoinGroupRequest().ReadResponse(ref reader, version);
                foreach (var member in response.Members)
                {
                    try
                    {
                        ConsumerProtocol.ReadSubscription(member.Metadata); // the leader reads every member's
                    }
                    catch (KafkaProtocolException)
                    {
                        // GroupMembership logs a bad subscription and assigns that member nothing.
                    }
                }
                break;
            }
            case ApiKey.SyncGroup:
                ConsumerProtocol.ReadAssignment(new SyncGroupRequest().ReadResponse(ref reader, version).Assignment);
                break;
            case ApiKey.Heartbeat:
                new HeartbeatRequest().ReadResponse(ref reader, version);
                break;
            case ApiKey.LeaveGroup:
                new LeaveGroupRequest().ReadResponse(ref reader, version);
                break;
            case ApiKey.ConsumerGroupHeartbeat:
                new ConsumerGroupHeartbeatRequest().ReadResponse(ref reader, version);
                break;
            case ApiKey.ShareGroupHeartbeat:
                new ShareGroupHeartbeatRequest().ReadResponse(ref reader, version);
                break;
            case ApiKey.ShareFetch:
                new ShareFetchRequest().ReadResponse(ref reader, version);
                break;
            case ApiKey.ShareAcknowledge:
                new ShareAcknowledgeRequest().ReadResponse(ref reader, version);
                break;
            case ApiKey.Produce:
                new ProduceRequest().ReadResponse(ref reader, version);
                break;
            case ApiKey.InitProducerId:
                new InitProducerIdRequest().ReadResponse(ref reader, version);
                break;
            case ApiKey.SaslHandshake:
                new SaslHandshakeRequest().ReadResponse(ref reader, version);
                break;
            case ApiKey.SaslAuthenticate:
                new SaslAuthenticateRequest().ReadResponse(ref reader, version);
                break;
            case ApiKey.AddPartitionsToTxn:
                new AddPartitionsToTxnRequest().ReadResponse(ref reader, version);
                break;
            case ApiKey.AddOffsetsToTxn:
                new AddOffsetsToTxnRequest().ReadResponse(ref reader, version);
                break;
            case ApiKey.EndTxn:
                new EndTxnRequest().ReadResponse(ref reader, version);
                break;
            case ApiKey.TxnOffsetCommit:
                new TxnOffsetCommitRequest().ReadResponse(ref reader, version);
                break;
            case ApiKey.CreateTopics:
                new CreateTopicsRequest().ReadResponse(ref reader, version);
                break;
            case ApiKey.DeleteTopics:
                new DeleteTopicsRequest().ReadResponse(ref reader, version);
                break;
            case ApiKey.CreatePartitions:
                new CreatePartitionsRequest().ReadResponse(ref reader, version);
                break;
            case ApiKey.DescribeCluster:
                new DescribeClusterRequest().ReadResponse(ref reader, version);
                break;
            case ApiKey.DescribeConfigs:
                new DescribeConfigsRequest().ReadResponse(ref reader, version);
                break;
            case ApiKey.IncrementalAlterConfigs:
                new IncrementalAlterConfigsRequest().ReadResponse(ref reader, version);
                break;
            case ApiKey.ListGroups:
                new ListGroupsRequest().ReadResponse(ref reader, version);
                break;
            case ApiKey.DescribeGroups:
                foreach (var group in new DescribeGroupsRequest().ReadResponse(ref reader, version).Groups)
                {
                    foreach (var member in group.Members)
                    {
                        try
                        {
                            ConsumerProtocol.ReadAssignment(member.MemberAssignment); // as KafkaAdmin reads each member's
                        }
                        catch (KafkaProtocolException)
                        {
                            // KafkaAdmin shows such a member with no partitions.
                        }
                    }
                }
                break;
            case ApiKey.DeleteGroups:
                new DeleteGroupsRequest().ReadResponse(ref reader, version);
                break;
            case ApiKey.DeleteRecords:
                new DeleteRecordsRequest().ReadResponse(ref reader, version);
                break;
            default:
                throw new InvalidOperationException($"No fuzz target for {seed.Key}.");
        }
    }

    /// <summary>
    /// Decodes records as the consumer does (read-committed when the broker listed aborted transactions) and reads
    /// every message's fields. Corrupt data ends up in the result's error, a <see cref="KafkaConsumeException"/>;
    /// that error is rethrown here as its cause, so that <see cref="Run"/> sees what the record layer raised.
    /// </summary>
    public static void Consume(RecordSetReader reader, ReadOnlyMemory<byte> records, IReadOnlyList<AbortedTransaction>? aborted)
    {
        var chunk = new FetchChunk();
        try
        {
            var result = RecordDecoder.Decode(reader, records, "fuzz", 0, 0, aborted, readCommitted: aborted is not null, chunk);
            while (chunk.TryTake(out var record))
            {
                var message = new ConsumedMessage("fuzz", 0, in record, chunk);
                _ = message.Value.Length + message.PartitionKey.Length + message.Offset;
                _ = message.Timestamp;
                foreach (var header in message.Headers)
                {
                    _ = header.Key.Length + header.Value.Length;
                }
            }
            if (result.Error is { } error)
            {
                if (error.ErrorCode != KafkaErrorCode.CorruptMessage || error.InnerException is not KafkaProtocolException cause)
                {
                    throw new InvalidOperationException($"The consumer would surface an unexpected error: {error}", error);
                }
                throw cause;
            }
        }
        finally
        {
            chunk.Release();
        }
    }

    /// <summary>Reads every batch, record and header of a record set, as far as it is valid.</summary>
    public static void ReadRecordSet(RecordSetReader reader, ReadOnlyMemory<byte> records, bool verifyChecksums)
    {
        reader.VerifyChecksums = verifyChecksums;
        reader.Reset(records, "fuzz", 0);
        // Every batch and record takes input bytes or decompressed bytes; more steps than that is a loop.
        var steps = 0L;
        var limit = 2L * (records.Length + MaxBatchBytes);
        while (reader.TryReadBatch(out _))
        {
            while (reader.TryReadRecord(out var record))
            {
                foreach (var header in record.Headers)
                {
                    _ = header.Key.Length + header.Value.Length;
                }
                if (++steps > limit)
                {
                    throw new InvalidOperationException($"More than {limit} records from {records.Length} bytes: the reader does not advance.");
                }
            }
            if (++steps > limit)
            {
                throw new InvalidOperationException($"More than {limit} batches from {records.Length} bytes: the reader does not advance.");
            }
        }
    }

    /// <summary>
    /// Runs one decode and judges it: returning or throwing <see cref="KafkaProtocolException"/> is fine; anything
    /// else, a decode that used more CPU time than <see cref="SlowDecode"/>, or more allocation than <paramref name="allowedBytes"/> is
    /// a finding (returned as text). <paramref name="allocated"/> is what the decode allocated on this thread.
    /// </summary>
    public static string? Run(Action decode, long allowedBytes, out long allocated, out bool protocolError) =>
        Run(decode, allowedBytes, SlowDecode, out allocated, out protocolError);

    /// <summary>The same, with <paramref name="cpuLimit"/> in place of <see cref="SlowDecode"/>.</summary>
    public static string? Run(Action decode, long allowedBytes, TimeSpan cpuLimit, out long allocated, out bool protocolError)
    {
        Exception? error = null;
        var before = GC.GetAllocatedBytesForCurrentThread();
        var started = ThreadCpuClock.CurrentThread();
        try
        {
            decode();
        }
        catch (Exception e)
        {
            error = e;
        }
        var cpu = ThreadCpuClock.CurrentThread() - started;
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        protocolError = error is KafkaProtocolException;
        if (error is not null and not KafkaProtocolException)
        {
            return $"threw {error.GetType().FullName}: {error}";
        }
        if (cpu > cpuLimit)
        {
            return $"used {cpu.TotalMilliseconds:0} ms of CPU time (a hang)";
        }
        if (allocated > allowedBytes)
        {
            return $"allocated {allocated} bytes, more than the {allowedBytes} allowed" + (error is null ? "" : $" (then threw {error.Message})");
        }
        return null;
    }
}
