using System.Buffers.Binary;
using System.Collections.Concurrent;

namespace Kafka.Testing.Internal;

/// <summary>
/// Makes librdkafka's mock brokers look like brokers with transactions V2 (KIP-890 part 2), which they do not
/// implement (they serve Produce up to v10, EndTxn v1, TxnOffsetCommit v3 and ApiVersions v2), while the mock still
/// keeps every record, checks producer ids and epochs, and writes the commit and abort markers. Watching the traffic
/// of the recording proxies in front of the brokers, it:
/// <list type="bullet">
/// <item>answers ApiVersions v3 (asking the broker at v2) with the finalized feature <c>transaction.version</c> 2 in
/// the tagged fields, and advertises Produce v12, EndTxn v5 and TxnOffsetCommit v5 in every ApiVersions answer;</item>
/// <item>passes Produce v11–v12 on as v10 and TxnOffsetCommit v4–v5 as v3 (the same bytes); before a transactional
/// Produce v12 it adds the request's partitions to the transaction (AddPartitionsToTxn v1 to the transaction
/// coordinator), and before a TxnOffsetCommit v5 the group (AddOffsetsToTxn v1), as a V2 broker does itself;</item>
/// <item>passes EndTxn v2–v5 on as v1 and, for v5, bumps the producer's epoch when the transaction ended
/// (InitProducerId with the current id and epoch) and answers the new epoch, as a V2 coordinator does.</item>
/// </list>
/// The client under test speaks the real wire versions; only this translation is the project's own.
/// </summary>
internal sealed class TransactionsV2Bridge(Func<int, (string Host, int Port)?> brokerAddress)
{
    private const short ProduceKey = 0;
    private const short FindCoordinatorKey = 10;
    private const short ApiVersionsKey = 18;
    private const short InitProducerIdKey = 22;
    private const short AddPartitionsToTxnKey = 24;
    private const short AddOffsetsToTxnKey = 25;
    private const short EndTxnKey = 26;
    private const short TxnOffsetCommitKey = 28;
    private const string ClientId = "transactions-v2-bridge";

    private readonly ConcurrentDictionary<string, int> _timeouts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string TransactionalId, long ProducerId, short Epoch, string Name, int Partition), byte> _added = new();
    private readonly ConcurrentQueue<string> _failures = new();
    private int _correlation;

    /// <summary>What the bridge could not do for a client (a partition or group the mock refused to add, a failed bump).</summary>
    public IReadOnlyList<string> Failures => [.. _failures];

    /// <summary>The requests of one client connection whose answers must be translated back, by correlation id.</summary>
    public sealed class Connection(string host, int port)
    {
        internal string Host { get; } = host;

        internal int Port { get; } = port;

        internal ConcurrentDictionary<int, (short ApiKey, short Version, string? TransactionalId, long ProducerId, short Epoch)> Pending { get; } = new();
    }

    /// <summary>Translates a client's request frame (without its length) into what the mock broker understands.</summary>
    public async Task<byte[]> OnRequestAsync(Connection connection, byte[] frame, CancellationToken cancellationToken)
    {
        var key = BinaryPrimitives.ReadInt16BigEndian(frame);
        var version = BinaryPrimitives.ReadInt16BigEndian(frame.AsSpan(2));
        var correlationId = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4));
        switch (key)
        {
            case ApiVersionsKey:
                connection.Pending[correlationId] = (key, version, null, -1, -1);
                return version >= 3 ? ApiVersionsV2Request(frame) : frame;
            case InitProducerIdKey:
                RememberTimeout(frame, version);
                return frame;
            case ProduceKey when version >= 11:
                if (version >= 12)
                {
                    await AddPartitionsAsync(connection, frame, cancellationToken).ConfigureAwait(false);
                }
                return WithVersion(frame, 10);
            case TxnOffsetCommitKey when version >= 4:
                if (version >= 5)
                {
                    await AddGroupAsync(connection, frame, cancellationToken).ConfigureAwait(false);
                }
                return WithVersion(frame, 3);
            case EndTxnKey when version >= 2:
                return EndTxnV1Request(connection, frame, version, correlationId);
            default:
                return frame;
        }
    }

    /// <summary>Translates the mock's answer (without its length) back into the version the client asked for.</summary>
    public async Task<byte[]> OnResponseAsync(Connection connection, byte[] frame, CancellationToken cancellationToken)
    {
        if (frame.Length < 4 || !connection.Pending.TryRemove(BinaryPrimitives.ReadInt32BigEndian(frame), out var pending))
        {
            return frame;
        }
        return pending.ApiKey == ApiVersionsKey
            ? ApiVersionsAnswerAt(frame, pending.Version)
            : await EndTxnAnswerAsync(connection, frame, pending, cancellationToken).ConfigureAwait(false);
    }

    private static byte[] WithVersion(byte[] frame, short version)
    {
        var copy = (byte[])frame.Clone();
        BinaryPrimitives.WriteInt16BigEndian(copy.AsSpan(2), version);
        return copy;
    }

    /// <summary>Header fields of a request: where its body starts.</summary>
    private static (string? ClientId, int BodyStart) Header(byte[] frame, bool flexible)
    {
        var reader = new FrameReader(frame.AsSpan(8));
        var clientId = reader.String(compact: false);
        reader.SkipTags(flexible);
        return (clientId, 8 + reader.Position);
    }

    private static byte[] ApiVersionsV2Request(byte[] frame)
    {
        var (clientId, _) = Header(frame, flexible: true);
        return new FrameWriter().Int16(ApiVersionsKey).Int16(2).Raw(frame.AsSpan(4, 4)).String(clientId, compact: false).ToArray();
    }

    /// <summary>The mock's v2 answer at <paramref name="version"/>, with the V2 APIs raised and, from v3, the feature.</summary>
    private static byte[] ApiVersionsAnswerAt(byte[] frame, short version)
    {
        var reader = new FrameReader(frame.AsSpan(4));
        var error = reader.Int16();
        if (error != 0)
        {
            return frame;
        }
        var entries = new List<(short Key, short Min, short Max)>();
        var count = reader.ArrayLength(compact: false);
        for (var i = 0; i < count; i++)
        {
            var (key, min, max) = (reader.Int16(), reader.Int16(), reader.Int16());
            entries.Add((key, min, key switch
            {
                ProduceKey => Math.Max(max, (short)12),
                EndTxnKey => Math.Max(max, (short)5),
                TxnOffsetCommitKey => Math.Max(max, (short)5),
                _ => max,
            }));
        }
        var throttle = version >= 1 ? reader.Int32() : 0;
        var flexible = version >= 3;
        var writer = new FrameWriter().Raw(frame.AsSpan(0, 4)).Int16(0).ArrayLength(entries.Count, flexible);
        foreach (var (key, min, max) in entries)
        {
            writer.Int16(key).Int16(min).Int16(max).Tags(flexible);
        }
        if (version >= 1)
        {
            writer.Int32(throttle);
        }
        if (flexible)
        {
            // Tag 0: SupportedFeatures [transaction.version 0-2]; tag 1: FinalizedFeaturesEpoch 1; tag 2:
            // FinalizedFeatures [transaction.version max level 2, min level 2].
            var supported = new FrameWriter().ArrayLength(1, compact: true).String("transaction.version", compact: true).Int16(0).Int16(2).Tags(true).ToArray();
            var finalized = new FrameWriter().ArrayLength(1, compact: true).String("transaction.version", compact: true).Int16(2).Int16(2).Tags(true).ToArray();
            writer.UVarInt(3)
                .UVarInt(0).UVarInt((uint)supported.Length).Raw(supported)
                .UVarInt(1).UVarInt(8).Int64(1)
                .UVarInt(2).UVarInt((uint)finalized.Length).Raw(finalized);
        }
        return writer.ToArray();
    }

    private void RememberTimeout(byte[] frame, short version)
    {
        var flexible = version >= 2;
        var (_, start) = Header(frame, flexible);
        var reader = new FrameReader(frame.AsSpan(start));
        if (reader.String(flexible) is { } transactionalId)
        {
            _timeouts[transactionalId] = reader.Int32();
        }
    }

    private byte[] EndTxnV1Request(Connection connection, byte[] frame, short version, int correlationId)
    {
        var flexible = version >= 3;
        var (clientId, start) = Header(frame, flexible);
        var reader = new FrameReader(frame.AsSpan(start));
        var transactionalId = reader.String(flexible) ?? "";
        var producerId = reader.Int64();
        var epoch = reader.Int16();
        var committed = reader.Bool();
        connection.Pending[correlationId] = (EndTxnKey, version, transactionalId, producerId, epoch);
        return new FrameWriter().Int16(EndTxnKey).Int16(1).Int32(correlationId).String(clientId, compact: false)
            .String(transactionalId, compact: false).Int64(producerId).Int16(epoch).Bool(committed).ToArray();
    }

    /// <summary>The mock's EndTxn v1 answer at the client's version; for v5 after a successful end, with the bumped epoch.</summary>
    private async Task<byte[]> EndTxnAnswerAsync(
        Connection connection, byte[] frame, (short ApiKey, short Version, string? TransactionalId, long ProducerId, short Epoch) pending, CancellationToken cancellationToken)
    {
        var reader = new FrameReader(frame.AsSpan(4));
        var throttle = reader.Int32();
        var error = reader.Int16();
        var flexible = pending.Version >= 3;
        var writer = new FrameWriter().Raw(frame.AsSpan(0, 4)).Tags(flexible);
        if (pending.Version < 5)
        {
            return writer.Int32(throttle).Int16(error).Tags(flexible).ToArray();
        }
        long producerId = -1;
        short epoch = -1;
        if (error == 0)
        {
            (error, producerId, epoch) = await BumpAsync(connection, pending.TransactionalId!, pending.ProducerId, pending.Epoch, cancellationToken).ConfigureAwait(false);
        }
        return writer.Int32(throttle).Int16(error).Int64(producerId).Int16(epoch).Tags(true).ToArray();
    }

    /// <summary>InitProducerId v4 with the current id and epoch on the coordinator: the epoch after it.</summary>
    private async Task<(short Error, long ProducerId, short Epoch)> BumpAsync(Connection connection, string transactionalId, long producerId, short epoch, CancellationToken cancellationToken)
    {
        var timeout = _timeouts.GetValueOrDefault(transactionalId, 60_000);
        for (var attempt = 0; ; attempt++)
        {
            var request = Request(InitProducerIdKey, 4, flexible: true)
                .String(transactionalId, compact: true).Int32(timeout).Int64(producerId).Int16(epoch).Tags(true);
            var answer = await SendAsync(connection.Host, connection.Port, request, cancellationToken).ConfigureAwait(false);
            var reader = new FrameReader(answer.AsSpan(4));
            reader.SkipTags(true);
            reader.Int32(); // throttle
            var error = reader.Int16();
            var newId = reader.Int64();
            var newEpoch = reader.Int16();
            if (error is 51 or 14 && attempt < 50) // CONCURRENT_TRANSACTIONS, COORDINATOR_LOAD_IN_PROGRESS: the markers are still being written
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (error != 0)
            {
                _failures.Enqueue($"Bumping the epoch of '{transactionalId}' after EndTxn v5: error {error}.");
            }
            return (error, newId, newEpoch);
        }
    }

    /// <summary>Before a transactional Produce v12: AddPartitionsToTxn v1 for its partitions not yet in the transaction.</summary>
    private async Task AddPartitionsAsync(Connection connection, byte[] frame, CancellationToken cancellationToken)
    {
        var (_, start) = Header(frame, flexible: true);
        var reader = new FrameReader(frame.AsSpan(start));
        if (reader.String(compact: true) is not { } transactionalId)
        {
            return;
        }
        reader.Int16(); // acks
        reader.Int32(); // timeout
        long producerId = -1;
        short epoch = -1;
        var partitions = new List<(string Name, int Partition)>();
        var topics = reader.ArrayLength(compact: true);
        for (var t = 0; t < topics; t++)
        {
            var name = reader.String(compact: true) ?? "";
            var count = reader.ArrayLength(compact: true);
            for (var p = 0; p < count; p++)
            {
                var partition = reader.Int32();
                var records = reader.Bytes(compact: true);
                if (records.Length >= 53)
                {
                    // Record batch v2: producer id at byte 43, epoch at 51.
                    producerId = BinaryPrimitives.ReadInt64BigEndian(records[43..]);
                    epoch = BinaryPrimitives.ReadInt16BigEndian(records[51..]);
                }
                reader.SkipTags(true);
                partitions.Add((name, partition));
            }
            reader.SkipTags(true);
        }
        var missing = partitions.Where(p => !_added.ContainsKey((transactionalId, producerId, epoch, p.Name, p.Partition))).ToList();
        if (missing.Count == 0)
        {
            return;
        }
        var request = Request(AddPartitionsToTxnKey, 1, flexible: false)
            .String(transactionalId, compact: false).Int64(producerId).Int16(epoch);
        var byTopic = missing.GroupBy(p => p.Name, StringComparer.Ordinal).ToList();
        request.ArrayLength(byTopic.Count, compact: false);
        foreach (var topic in byTopic)
        {
            request.String(topic.Key, compact: false).ArrayLength(topic.Count(), compact: false);
            foreach (var (_, partition) in topic)
            {
                request.Int32(partition);
            }
        }
        var answer = await SendToCoordinatorAsync(connection, transactionalId, request, cancellationToken).ConfigureAwait(false);
        var result = new FrameReader(answer.AsSpan(4));
        result.Int32(); // throttle
        var resultTopics = result.ArrayLength(compact: false);
        for (var t = 0; t < resultTopics; t++)
        {
            var name = result.String(compact: false) ?? "";
            var count = result.ArrayLength(compact: false);
            for (var p = 0; p < count; p++)
            {
                var partition = result.Int32();
                var error = result.Int16();
                if (error == 0)
                {
                    _added[(transactionalId, producerId, epoch, name, partition)] = 0;
                }
                else
                {
                    // The produce goes on to the mock, which refuses a partition outside the transaction itself.
                    _failures.Enqueue($"Adding {name}/{partition} to the transaction of '{transactionalId}': error {error}.");
                }
            }
        }
    }

    /// <summary>Before a TxnOffsetCommit v5: AddOffsetsToTxn v1 for its group.</summary>
    private async Task AddGroupAsync(Connection connection, byte[] frame, CancellationToken cancellationToken)
    {
        var (_, start) = Header(frame, flexible: true);
        var reader = new FrameReader(frame.AsSpan(start));
        var transactionalId = reader.String(compact: true) ?? "";
        var group = reader.String(compact: true) ?? "";
        var producerId = reader.Int64();
        var epoch = reader.Int16();
        if (_added.ContainsKey((transactionalId, producerId, epoch, group, -1)))
        {
            return;
        }
        var request = Request(AddOffsetsToTxnKey, 1, flexible: false)
            .String(transactionalId, compact: false).Int64(producerId).Int16(epoch).String(group, compact: false);
        var answer = await SendToCoordinatorAsync(connection, transactionalId, request, cancellationToken).ConfigureAwait(false);
        var error = BinaryPrimitives.ReadInt16BigEndian(answer.AsSpan(8));
        if (error == 0)
        {
            _added[(transactionalId, producerId, epoch, group, -1)] = 0;
        }
        else
        {
            _failures.Enqueue($"Adding group {group} to the transaction of '{transactionalId}': error {error}.");
        }
    }

    /// <summary>FindCoordinator v1 (transaction key) through the broker this connection fronts, then the request to the coordinator.</summary>
    private async Task<byte[]> SendToCoordinatorAsync(Connection connection, string transactionalId, FrameWriter request, CancellationToken cancellationToken)
    {
        var find = Request(FindCoordinatorKey, 1, flexible: false).String(transactionalId, compact: false).Int8(1);
        var found = await SendAsync(connection.Host, connection.Port, find, cancellationToken).ConfigureAwait(false);
        var reader = new FrameReader(found.AsSpan(4));
        reader.Int32(); // throttle
        var error = reader.Int16();
        reader.String(compact: false); // error message
        var nodeId = reader.Int32();
        var (host, port) = error == 0 && brokerAddress(nodeId) is { } address ? address : (connection.Host, connection.Port);
        return await SendAsync(host, port, request, cancellationToken).ConfigureAwait(false);
    }

    private FrameWriter Request(short apiKey, short version, bool flexible) =>
        new FrameWriter().Int16(apiKey).Int16(version).Int32(Interlocked.Increment(ref _correlation)).String(ClientId, compact: false).Tags(flexible);

    private static Task<byte[]> SendAsync(string host, int port, FrameWriter request, CancellationToken cancellationToken) =>
        SideRequest.SendAsync(host, port, request.ToArray(), cancellationToken);
}
