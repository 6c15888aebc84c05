using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using Kafka.Client.Protocol;

namespace Kafka.Client.Tests.Producing;

/// <summary>
/// A single broker that speaks like Kafka 0.10.2 (ApiVersions v0, Metadata v0–v1, Produce v0–v2) for one topic it
/// leads, and keeps the records of every produce request as received. The mock cluster accepts only record batch v2,
/// so this is how the legacy message-set path is checked on the wire.
/// </summary>
internal sealed class LegacyBroker : Fixtures.LoopbackServer
{
    private readonly string _topic;
    private readonly int _partitions;
    private readonly long[] _nextOffset;

    public LegacyBroker(string topic, int partitions)
    {
        _topic = topic;
        _partitions = partitions;
        _nextOffset = new long[partitions];
        Start();
    }

    /// <summary>The log-append time Produce v2 answers carry: -1 (create time in use) unless a test sets another.</summary>
    public long LogAppendTime { get; init; } = -1;

    /// <summary>Each produce request's version and, per partition, the records bytes it carried.</summary>
    public ConcurrentQueue<(short Version, short Acks, int Partition, byte[] Records)> Produced { get; } = new();

    protected override async Task ServeAsync(TcpClient client)
    {
        var stream = client.GetStream();
        while (await ReadFrameAsync(stream) is { } frame)
        {
            if (Handle(frame) is { } reply)
            {
                await stream.WriteAsync(reply, Stopping);
            }
        }
    }

    private byte[]? Handle(byte[] frame)
    {
        var apiKey = BinaryPrimitives.ReadInt16BigEndian(frame);
        var version = BinaryPrimitives.ReadInt16BigEndian(frame.AsSpan(2));
        var correlationId = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4));
        var clientIdLength = BinaryPrimitives.ReadInt16BigEndian(frame.AsSpan(8));
        var body = frame.AsSpan(10 + Math.Max((short)0, clientIdLength));
        using var w = new KafkaWriter();
        var sizeAt = w.ReserveInt32();
        w.WriteInt32(correlationId);
        switch ((ApiKey)apiKey)
        {
            case ApiKey.ApiVersions:
                // 0.10.2 knows only v0: a newer request gets UNSUPPORTED_VERSION with the v0 list.
                w.WriteInt16(version > 0 ? (short)KafkaErrorCode.UnsupportedVersion : (short)0);
                var apis = version > 0 ? new (short, short)[] { (18, 0) } : [(0, 2), (3, 1), (18, 0)];
                w.WriteArrayLength(apis.Length, false);
                foreach (var (key, max) in apis)
                {
                    w.WriteInt16(key);
                    w.WriteInt16(0);
                    w.WriteInt16(max);
                }
                break;
            case ApiKey.Metadata:
                w.WriteArrayLength(1, false); // brokers
                w.WriteInt32(0);
                w.WriteString("127.0.0.1", false);
                w.WriteInt32(Port);
                if (version >= 1)
                {
                    w.WriteNullableString(null, false); // rack
                    w.WriteInt32(0);                    // controller
                }
                w.WriteArrayLength(1, false);
                w.WriteInt16(0);
                w.WriteString(_topic, false);
                if (version >= 1)
                {
                    w.WriteBoolean(false);
                }
                w.WriteArrayLength(_partitions, false);
                for (var p = 0; p < _partitions; p++)
                {
                    w.WriteInt16(0);
                    w.WriteInt32(p);
                    w.WriteInt32(0); // leader
                    w.WriteArrayLength(1, false);
                    w.WriteInt32(0);
                    w.WriteArrayLength(1, false);
                    w.WriteInt32(0);
                }
                break;
            case ApiKey.Produce:
                var reader = new KafkaReader(body);
                var acks = reader.ReadInt16();
                reader.ReadInt32(); // timeout
                var results = new List<(string, int, long)>();
                var topics = reader.ReadArrayCount(false);
                for (var t = 0; t < topics; t++)
                {
                    var name = reader.ReadString(false);
                    var partitions = reader.ReadArrayCount(false);
                    for (var i = 0; i < partitions; i++)
                    {
                        var partition = reader.ReadInt32();
                        var records = reader.ReadBytes(false).ToArray();
                        Produced.Enqueue((version, acks, partition, records));
                        var count = CountMessages(records);
                        long baseOffset;
                        lock (_nextOffset)
                        {
                            baseOffset = _nextOffset[partition];
                            _nextOffset[partition] += count;
                        }
                        results.Add((name, partition, baseOffset));
                    }
                }
                if (acks == 0)
                {
                    return null;
                }
                w.WriteArrayLength(1, false);
                w.WriteString(_topic, false);
                w.WriteArrayLength(results.Count, false);
                foreach (var (_, partition, baseOffset) in results)
                {
                    w.WriteInt32(partition);
                    w.WriteInt16(0);
                    w.WriteInt64(baseOffset);
                    if (version >= 2)
                    {
                        w.WriteInt64(LogAppendTime);
                    }
                }
                if (version >= 1)
                {
                    w.WriteInt32(0); // throttle
                }
                break;
            default:
                throw new IOException($"The legacy broker does not serve API {apiKey}.");
        }
        w.PatchInt32(sizeAt, w.Position - 4);
        return w.WrittenSpan.ToArray();
    }

    /// <summary>How many offsets a message set takes: a compressed wrapper holds several (its offset is the last inner one).</summary>
    private static long CountMessages(byte[] records)
    {
        using var reader = new Kafka.Client.Protocol.Records.RecordSetReader();
        reader.Reset(records, "legacy", 0);
        long count = 0;
        while (reader.TryReadBatch(out _))
        {
            while (reader.TryReadRecord(out _))
            {
                count++;
            }
        }
        return count;
    }
}
