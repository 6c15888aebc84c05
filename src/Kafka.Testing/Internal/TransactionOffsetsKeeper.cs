using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Kafka.Testing.Internal;

/// <summary>
/// Completes what librdkafka's mock leaves out of transactional offset commits: it answers TxnOffsetCommit without
/// storing the offsets, so a transaction's offsets never become the group's. Kafka stores them when the transaction
/// commits. The keeper, watching the traffic of the proxies in front of the brokers, remembers the offsets each
/// TxnOffsetCommit sends (per transactional id and group, with the member's generation and id) and, when the
/// coordinator answers an EndTxn that commits without error, commits them to the group itself (OffsetCommit v2 to
/// the broker that coordinates the group) before the client sees that answer. An aborted transaction's offsets are
/// forgotten. What it could not store is kept in <see cref="Failures"/>.
/// </summary>
internal sealed class TransactionOffsetsKeeper(Func<IReadOnlyCollection<(string Host, int Port)>> brokers)
{
    private const short EndTxnKey = 26;
    private const short TxnOffsetCommitKey = 28;
    private const short OffsetCommitKey = 8;
    private const short NotCoordinator = 16;
    private const short CoordinatorLoadInProgress = 14;
    private const short RebalanceInProgress = 27;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Dictionary<string, PendingOffsets>> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _failures = new();
    private int _correlation;

    /// <summary>Offsets of committed transactions that could not be stored, each with why.</summary>
    public IReadOnlyList<string> Failures => [.. _failures];

    /// <summary>The EndTxn requests of one connection waiting for their answers, by correlation id.</summary>
    public sealed class Connection
    {
        internal ConcurrentDictionary<int, (string TransactionalId, bool Committed, bool Flexible)> Ends { get; } = new();
    }

    /// <summary>Reads a request frame (without its length): remembers TxnOffsetCommit offsets and notes EndTxn requests.</summary>
    public void OnRequest(Connection connection, ReadOnlySpan<byte> frame)
    {
        var reader = new FrameReader(frame);
        var apiKey = reader.Int16();
        if (apiKey is not (TxnOffsetCommitKey or EndTxnKey))
        {
            return;
        }
        var version = reader.Int16();
        var correlationId = reader.Int32();
        reader.String(compact: false); // client id
        var flexible = version >= 3; // both are flexible from v3
        reader.SkipTags(flexible);
        if (apiKey == EndTxnKey)
        {
            var transactionalId = reader.String(flexible) ?? "";
            reader.Int64();
            reader.Int16();
            connection.Ends[correlationId] = (transactionalId, reader.Bool(), flexible);
            return;
        }
        ReadTxnOffsetCommit(ref reader, version, flexible);
    }

    /// <summary>Reads a response frame (without its length) before it goes to the client; a successful commit stores its offsets first.</summary>
    public async Task OnResponseAsync(Connection connection, byte[] frame, CancellationToken cancellationToken)
    {
        if (frame.Length < 4 || !connection.Ends.TryRemove(BinaryPrimitives.ReadInt32BigEndian(frame), out var end))
        {
            return;
        }
        var error = ReadEndTxnError(frame, end.Flexible);
        if (error != 0)
        {
            return; // the client retries or aborts; the offsets stay with the open transaction
        }
        Dictionary<string, PendingOffsets>? groups;
        lock (_lock)
        {
            _pending.Remove(end.TransactionalId, out groups);
        }
        if (end.Committed && groups is not null)
        {
            foreach (var (group, offsets) in groups)
            {
                await StoreAsync(group, offsets, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static short ReadEndTxnError(byte[] frame, bool flexible)
    {
        var reader = new FrameReader(frame);
        reader.Int32(); // correlation id
        reader.SkipTags(flexible);
        reader.Int32(); // throttle time
        return reader.Int16();
    }

    private void ReadTxnOffsetCommit(ref FrameReader reader, short version, bool flexible)
    {
        var transactionalId = reader.String(flexible) ?? "";
        var group = reader.String(flexible) ?? "";
        reader.Int64();
        reader.Int16();
        var generation = -1;
        var member = "";
        if (version >= 3)
        {
            generation = reader.Int32();
            member = reader.String(flexible) ?? "";
            reader.String(flexible); // group instance id: OffsetCommit v2 has none
        }
        var offsets = new List<(string Topic, int Partition, long Offset)>();
        var topics = reader.ArrayLength(flexible);
        for (var t = 0; t < topics; t++)
        {
            var topic = reader.String(flexible) ?? "";
            var partitions = reader.ArrayLength(flexible);
            for (var p = 0; p < partitions; p++)
            {
                var partition = reader.Int32();
                var offset = reader.Int64();
                if (version >= 2)
                {
                    reader.Int32(); // leader epoch
                }
                reader.String(flexible); // metadata
                reader.SkipTags(flexible);
                offsets.Add((topic, partition, offset));
            }
            reader.SkipTags(flexible);
        }
        lock (_lock)
        {
            if (!_pending.TryGetValue(transactionalId, out var groups))
            {
                _pending[transactionalId] = groups = new(StringComparer.Ordinal);
            }
            if (!groups.TryGetValue(group, out var pending))
            {
                groups[group] = pending = new PendingOffsets();
            }
            pending.Generation = generation;
            pending.MemberId = member;
            foreach (var (topic, partition, offset) in offsets)
            {
                pending.Offsets[(topic, partition)] = offset;
            }
        }
    }

    /// <summary>OffsetCommit v2 to each broker until the group's coordinator takes it; a rebalance or loading coordinator is waited out a few times.</summary>
    private async Task StoreAsync(string group, PendingOffsets offsets, CancellationToken cancellationToken)
    {
        var request = OffsetCommit(group, offsets);
        string? last = null;
        for (var attempt = 0; attempt < 20; attempt++)
        {
            foreach (var (host, port) in brokers())
            {
                short[] errors;
                try
                {
                    errors = await SendAsync(host, port, request, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or SocketException or InvalidDataException)
                {
                    last = $"{host}:{port}: {ex.Message}";
                    continue;
                }
                if (errors.All(e => e == 0))
                {
                    return;
                }
                last = $"{host}:{port} answered error {errors.First(e => e != 0)}";
                if (errors.All(e => e is NotCoordinator))
                {
                    continue;
                }
                if (!errors.All(e => e is 0 or CoordinatorLoadInProgress or RebalanceInProgress))
                {
                    _failures.Enqueue($"Offsets of group {group} from a committed transaction: {last}.");
                    return;
                }
            }
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
        }
        _failures.Enqueue($"Offsets of group {group} from a committed transaction: {last ?? "no broker answered"}.");
    }

    private byte[] OffsetCommit(string group, PendingOffsets offsets)
    {
        var body = new FrameWriter()
            .Int16(OffsetCommitKey).Int16(2).Int32(Interlocked.Increment(ref _correlation)).String("transaction-offsets-keeper", compact: false)
            .String(group, compact: false).Int32(offsets.Generation).String(offsets.MemberId, compact: false).Int64(-1);
        var topics = offsets.Offsets.GroupBy(o => o.Key.Topic, StringComparer.Ordinal).ToList();
        body.ArrayLength(topics.Count, compact: false);
        foreach (var topic in topics)
        {
            body.String(topic.Key, compact: false).ArrayLength(topic.Count(), compact: false);
            foreach (var ((_, partition), offset) in topic)
            {
                body.Int32(partition).Int64(offset).String("", compact: false);
            }
        }
        return body.ToArray();
    }

    /// <summary>Sends one OffsetCommit v2 and returns every partition's error code.</summary>
    private static async Task<short[]> SendAsync(string host, int port, byte[] request, CancellationToken cancellationToken) =>
        ReadErrors(await SideRequest.SendAsync(host, port, request, cancellationToken).ConfigureAwait(false));

    private static short[] ReadErrors(byte[] frame)
    {
        var reader = new FrameReader(frame);
        reader.Int32(); // correlation id
        var errors = new List<short>();
        var topics = reader.ArrayLength(compact: false);
        for (var t = 0; t < topics; t++)
        {
            reader.String(compact: false);
            var partitions = reader.ArrayLength(compact: false);
            for (var p = 0; p < partitions; p++)
            {
                reader.Int32();
                errors.Add(reader.Int16());
            }
        }
        return [.. errors];
    }

    private sealed class PendingOffsets
    {
        public int Generation { get; set; } = -1;

        public string MemberId { get; set; } = "";

        public Dictionary<(string Topic, int Partition), long> Offsets { get; } = [];
    }
}
