using System.Buffers.Binary;
using System.Text;

namespace Kafka.Testing.Internal;

/// <summary>
/// Keeps librdkafka's mock from aborting the process over a consumer group's protocols. When the mock elects a group's
/// leader it takes the leader's first assignment protocol and asserts (<c>rd_assert</c>, rdkafka_mock_cgrp.c) that every
/// member lists the same protocol first; a member that does not aborts the whole process. Reading the group requests
/// on their way to the brokers, the guard refuses a JoinGroup whose first protocol differs from that of a member still
/// in the group, answering it as Kafka answers a member whose protocols the group cannot use:
/// INCONSISTENT_GROUP_PROTOCOL. The mock never sees that member, and the refusal is kept for the test to read.
/// </summary>
/// <remarks>
/// A member counts as in the group from its JoinGroup until a LeaveGroup, or until its session timeout has passed
/// since the last group request of its connection (plus a margin: the mock checks every second), so that the guard
/// never forgets a member the mock still holds. Kafka itself accepts members whose lists share a protocol in any
/// order; the mock does not, so neither does the guard. JoinGroup v0-v5 and LeaveGroup v0-v2 are read (the mock cannot
/// serve the flexible versions, which the cluster stops it from advertising).
/// </remarks>
internal sealed class GroupProtocolGuard
{
    private const short JoinGroup = 11;
    private const short Heartbeat = 12;
    private const short LeaveGroup = 13;
    private const short SyncGroup = 14;
    private const short InconsistentGroupProtocol = 23;
    private static readonly TimeSpan ExpiryMargin = TimeSpan.FromSeconds(3);

    private readonly Lock _lock = new();
    private readonly List<Member> _members = [];
    private readonly List<string> _refusals = [];
    private readonly TimeProvider _time;

    public GroupProtocolGuard(TimeProvider time) => _time = time;

    /// <summary>Called with each refusal's description, on the proxy's thread.</summary>
    public Action<string>? Refused { get; init; }

    /// <summary>What was refused so far, one description each.</summary>
    public IReadOnlyList<string> Refusals
    {
        get
        {
            lock (_lock)
            {
                return [.. _refusals];
            }
        }
    }

    /// <summary>
    /// Reads one request frame (after its size field) from <paramref name="connection"/>: returns the response frame
    /// (size field included) to send the client instead of forwarding the request, or null to forward it.
    /// </summary>
    public byte[]? Inspect(object connection, ReadOnlySpan<byte> frame)
    {
        try
        {
            var header = new Reader(frame);
            var apiKey = header.Int16();
            var version = header.Int16();
            var correlationId = header.Int32();
            header.String(); // client id
            return apiKey switch
            {
                JoinGroup when version <= 5 => OnJoin(connection, header, version, correlationId),
                LeaveGroup when version <= 2 => OnLeave(connection, header),
                Heartbeat or SyncGroup when version <= 3 => OnActivity(connection, header),
                _ => null,
            };
        }
        catch (ArgumentOutOfRangeException)
        {
            return null; // not a request the guard can read: the broker judges it
        }
    }

    private byte[]? OnJoin(object connection, Reader body, short version, int correlationId)
    {
        var group = body.String() ?? string.Empty;
        var sessionTimeout = TimeSpan.FromMilliseconds(body.Int32());
        if (version >= 1)
        {
            body.Int32(); // rebalance timeout
        }
        var memberId = body.String() ?? string.Empty;
        if (version >= 5)
        {
            body.String(); // group instance id
        }
        body.String(); // protocol type
        var count = body.Int32();
        var protocols = new List<string>();
        for (var i = 0; i < count; i++)
        {
            protocols.Add(body.String() ?? string.Empty);
            body.Bytes(); // metadata
        }
        if (protocols.Count == 0)
        {
            return null;
        }

        var now = _time.GetUtcNow();
        lock (_lock)
        {
            _members.RemoveAll(m => m.ExpiresAt(now));
            var other = _members.Find(m => m.Group == group && m.Connection != connection
                && (memberId.Length == 0 || m.MemberId != memberId) && m.Protocols[0] != protocols[0]);
            if (other is not null)
            {
                var refusal =
                    $"Group '{group}': a member joining with protocols [{string.Join(", ", protocols)}] was refused with INCONSISTENT_GROUP_PROTOCOL, " +
                    $"because a member in the group lists [{string.Join(", ", other.Protocols)}]. librdkafka's mock aborts the whole process when a " +
                    "group's members do not all list the same assignment protocol first, so the cluster answered in its place.";
                _refusals.Add(refusal);
                Refused?.Invoke(refusal);
                return JoinGroupRefusal(version, correlationId, memberId);
            }
            _members.RemoveAll(m => m.Group == group && (m.Connection == connection || (memberId.Length > 0 && m.MemberId == memberId)));
            _members.Add(new Member(connection, group, memberId, [.. protocols], sessionTimeout) { LastActivity = now });
        }
        return null;
    }

    private byte[]? OnLeave(object connection, Reader body)
    {
        var group = body.String() ?? string.Empty;
        var memberId = body.String() ?? string.Empty;
        lock (_lock)
        {
            _members.RemoveAll(m => m.Group == group && (m.Connection == connection || m.MemberId == memberId));
        }
        return null;
    }

    private byte[]? OnActivity(object connection, Reader body)
    {
        var group = body.String() ?? string.Empty;
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            foreach (var member in _members)
            {
                if (member.Group == group && member.Connection == connection)
                {
                    member.LastActivity = now;
                }
            }
        }
        return null;
    }

    /// <summary>A JoinGroup response (v0-v5) with INCONSISTENT_GROUP_PROTOCOL, as a broker sends it, size field first.</summary>
    private static byte[] JoinGroupRefusal(short version, int correlationId, string memberId)
    {
        var member = Encoding.UTF8.GetBytes(memberId);
        var size = 4 + (version >= 2 ? 4 : 0) + 2 + 4 + 2 + 2 + 2 + member.Length + 4;
        var frame = new byte[4 + size];
        var span = frame.AsSpan();
        var at = 0;
        Write32(span, ref at, size);
        Write32(span, ref at, correlationId);
        if (version >= 2)
        {
            Write32(span, ref at, 0); // throttle time
        }
        Write16(span, ref at, InconsistentGroupProtocol);
        Write32(span, ref at, -1); // generation id
        Write16(span, ref at, 0); // protocol name ""
        Write16(span, ref at, 0); // leader ""
        Write16(span, ref at, (short)member.Length);
        member.CopyTo(span[at..]);
        at += member.Length;
        Write32(span, ref at, 0); // no members
        return frame;

        static void Write16(Span<byte> s, ref int at, short value)
        {
            BinaryPrimitives.WriteInt16BigEndian(s[at..], value);
            at += 2;
        }

        static void Write32(Span<byte> s, ref int at, int value)
        {
            BinaryPrimitives.WriteInt32BigEndian(s[at..], value);
            at += 4;
        }
    }

    private sealed record Member(object Connection, string Group, string MemberId, string[] Protocols, TimeSpan SessionTimeout)
    {
        public DateTimeOffset LastActivity { get; set; }

        public bool ExpiresAt(DateTimeOffset now) => now > LastActivity + SessionTimeout + ExpiryMargin;
    }

    /// <summary>Big-endian reads of the classic (non-flexible) encoding; out of range past the end.</summary>
    private ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private ReadOnlySpan<byte> _rest = bytes;

        public short Int16()
        {
            var value = BinaryPrimitives.ReadInt16BigEndian(_rest);
            _rest = _rest[2..];
            return value;
        }

        public int Int32()
        {
            var value = BinaryPrimitives.ReadInt32BigEndian(_rest);
            _rest = _rest[4..];
            return value;
        }

        public string? String()
        {
            var length = Int16();
            if (length < 0)
            {
                return null;
            }
            var value = Encoding.UTF8.GetString(_rest[..length]);
            _rest = _rest[length..];
            return value;
        }

        public void Bytes()
        {
            var length = Int32();
            if (length > 0)
            {
                _rest = _rest[length..];
            }
        }
    }
}
