using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Kafka.Testing.Internal;

namespace Kafka.Testing;

/// <summary>
/// A TCP forwarding proxy on a loopback port, for tests that need to see or break the traffic between a client and
/// a broker: it records where each connection came from, counts them, and can cut every open connection at once.
/// Put it in front of a <see cref="MockKafkaCluster"/> broker with <c>SetBrokerHostPort</c> so the cluster
/// advertises the proxy's port.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable, IDisposable, IBrokerProxy
{
    private readonly LoopbackListener _listener;
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly ConcurrentQueue<IPEndPoint> _accepted = new();
    private readonly ConcurrentQueue<ProxiedRequest> _requests = new();
    private readonly bool _recordKafkaRequests;
    private readonly ConcurrentDictionary<IPAddress, bool> _isolated = new();
    private int _stallNext;
    private int _stalled;
    private int _turnedAway;

    /// <summary>Starts a proxy on 127.0.0.1 (a free port) that forwards to <paramref name="targetHost"/>:<paramref name="targetPort"/>.</summary>
    /// <param name="targetHost">The host to forward to.</param>
    /// <param name="targetPort">The port to forward to.</param>
    /// <param name="recordKafkaRequests">
    /// Read the client-to-broker bytes as Kafka request frames and record each request's API key and version
    /// (<see cref="Requests"/>); librdkafka's own request tracking does not record versions.
    /// </param>
    public TcpProxy(string targetHost, int targetPort, bool recordKafkaRequests = false)
    {
        _recordKafkaRequests = recordKafkaRequests;
        ArgumentException.ThrowIfNullOrEmpty(targetHost);
        _targetHost = targetHost;
        _targetPort = targetPort;
        _listener = new LoopbackListener(ForwardAsync);
    }

    /// <summary>The broker this proxy stands for, when it stands for one (-1 otherwise).</summary>
    public int BrokerId { get; init; } = -1;

    /// <summary>
    /// Reads each request (with <c>recordKafkaRequests</c>) and may answer it in the broker's place; its answers reach
    /// the client in request order, after the broker's answers to earlier requests.
    /// </summary>
    internal GroupProtocolGuard? Guard { get; init; }

    /// <summary>Watches transactional offset commits and stores a committed transaction's offsets (with <c>recordKafkaRequests</c>, without <see cref="Guard"/>).</summary>
    internal TransactionOffsetsKeeper? Transactions { get; init; }

    /// <summary>Translates transactions V2 requests for the mock and its answers back (with <c>recordKafkaRequests</c>, without <see cref="Guard"/>).</summary>
    internal TransactionsV2Bridge? TransactionsV2 { get; init; }

    /// <summary>The loopback port the proxy listens on.</summary>
    public int Port => _listener.Port;

    /// <summary>The proxy's address, <c>127.0.0.1:port</c>.</summary>
    public string Address => $"127.0.0.1:{Port}";

    /// <summary>The remote end points of the connections accepted so far, in order.</summary>
    public IReadOnlyList<IPEndPoint> AcceptedFrom => [.. _accepted];

    /// <summary>How many connections have been accepted.</summary>
    public int AcceptedCount => _accepted.Count;

    /// <summary>The Kafka requests forwarded so far, in order (only when created with <c>recordKafkaRequests</c>).</summary>
    public IReadOnlyList<ProxiedRequest> Requests => [.. _requests];

    /// <summary>Forgets the recorded requests.</summary>
    public void ClearRequests() => _requests.Clear();

    /// <summary>How many connections are open now.</summary>
    public int OpenCount => _listener.OpenCount;

    /// <summary>Closes every open connection (both sides), as a network failure would. New connections are still accepted.</summary>
    public void CutAllConnections() => _listener.CutAll();

    /// <summary>
    /// Cuts every open connection from <paramref name="source"/> and, from then on, closes each new connection from it
    /// as soon as it is accepted, as if that host had crashed or the network had cut it off, while clients on other
    /// addresses carry on. A client binds to such an address with its source address option (any of 127.0.0.0/8 on
    /// Linux).
    /// </summary>
    /// <param name="source">The client's address.</param>
    public void IsolateSource(IPAddress source)
    {
        ArgumentNullException.ThrowIfNull(source);
        _isolated[source] = true;
        _listener.CutWhere(source.Equals);
    }

    /// <summary>How many connections from an isolated address have been closed on arrival.</summary>
    public int TurnedAwayCount => Volatile.Read(ref _turnedAway);

    private bool IsIsolated(TcpClient client) =>
        !_isolated.IsEmpty && LoopbackListener.RemoteAddress(client) is { } from && _isolated.ContainsKey(from);

    /// <summary>
    /// Makes the next <paramref name="count"/> accepted connections stall: the proxy reads and discards what the
    /// client sends and answers nothing, until the client closes, <see cref="CutAllConnections"/> or disposal. This is
    /// a server that accepted a connection and then never served it (ZooKeeper 3.8 does this to connections that
    /// arrive while it is still starting). Zero stops stalling.
    /// </summary>
    public void StallNextConnections(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Volatile.Write(ref _stallNext, count);
    }

    /// <summary>How many connections have been stalled so far.</summary>
    public int StalledCount => Volatile.Read(ref _stalled);

    private bool TakeStall()
    {
        while (true)
        {
            var left = Volatile.Read(ref _stallNext);
            if (left == 0)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _stallNext, left - 1, left) == left)
            {
                return true;
            }
        }
    }

    private async Task ForwardAsync(TcpClient client, CancellationToken stopping)
    {
        _accepted.Enqueue((IPEndPoint)client.Client.RemoteEndPoint!);
        client.NoDelay = true;
        if (IsIsolated(client))
        {
            Interlocked.Increment(ref _turnedAway);
            return; // closed by the listener
        }
        if (TakeStall())
        {
            Interlocked.Increment(ref _stalled);
            using var stalled = _listener.Track(client, client);
            await client.GetStream().CopyToAsync(Stream.Null, stopping).ConfigureAwait(false);
            return;
        }
        using var upstream = new TcpClient { NoDelay = true };
        await upstream.ConnectAsync(_targetHost, _targetPort, stopping).ConfigureAwait(false);
        using var open = _listener.Track(client, upstream);
        if (IsIsolated(client))
        {
            return; // isolated while connecting: IsolateSource did not see this one yet
        }
        var answers = Guard is null ? null : new OrderedAnswers(client.GetStream());
        var watched = Transactions is null ? null : new TransactionOffsetsKeeper.Connection();
        var bridged = TransactionsV2 is null ? null : new TransactionsV2Bridge.Connection(_targetHost, _targetPort);
        var toTarget = _recordKafkaRequests
            ? ForwardKafkaRequestsAsync(client.GetStream(), upstream.GetStream(), answers, watched, bridged, stopping)
            : client.GetStream().CopyToAsync(upstream.GetStream(), stopping);
        var toClient = answers is not null
            ? answers.ForwardResponsesAsync(upstream.GetStream(), stopping)
            : watched is not null || bridged is not null
                ? ForwardWatchedResponsesAsync(upstream.GetStream(), client.GetStream(), watched, bridged, stopping)
                : upstream.GetStream().CopyToAsync(client.GetStream(), stopping);
        await Task.WhenAny(toTarget, toClient).ConfigureAwait(false);
    }

    /// <summary>
    /// Forwards whole request frames, noting each one's API key and version from its header; with a
    /// <see cref="Guard"/>, a request it answers is not forwarded and its answer is queued in request order.
    /// </summary>
    private async Task ForwardKafkaRequestsAsync(
        Stream from, Stream to, OrderedAnswers? answers, TransactionOffsetsKeeper.Connection? watched, TransactionsV2Bridge.Connection? bridged, CancellationToken token)
    {
        var size = new byte[4];
        while (await FillAsync(from, size, token).ConfigureAwait(false))
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(size);
            if (length < 8 || length > 256 * 1024 * 1024)
            {
                await to.WriteAsync(size, token).ConfigureAwait(false);
                await from.CopyToAsync(to, token).ConfigureAwait(false); // not Kafka: pass the rest through
                return;
            }
            var frame = new byte[length];
            if (!await FillAsync(from, frame, token).ConfigureAwait(false))
            {
                return;
            }
            var correlationId = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4));
            _requests.Enqueue(new ProxiedRequest(
                BinaryPrimitives.ReadInt16BigEndian(frame),
                BinaryPrimitives.ReadInt16BigEndian(frame.AsSpan(2)),
                correlationId,
                DateTimeOffset.UtcNow));
            if (bridged is not null)
            {
                // Recorded as the client sent it; the broker gets (and the keeper reads) the translation.
                frame = await TransactionsV2!.OnRequestAsync(bridged, frame, token).ConfigureAwait(false);
                size = new byte[4];
                BinaryPrimitives.WriteInt32BigEndian(size, frame.Length);
            }
            if (watched is not null)
            {
                Transactions!.OnRequest(watched, frame);
            }
            if (answers is not null)
            {
                if (Guard!.Inspect(answers, frame) is { } answer)
                {
                    await answers.AnswerAsync(correlationId, answer, token).ConfigureAwait(false);
                    continue;
                }
                await answers.ForwardedAsync(correlationId, token).ConfigureAwait(false);
            }
            await to.WriteAsync(size, token).ConfigureAwait(false);
            await to.WriteAsync(frame, token).ConfigureAwait(false);
        }
    }

    /// <summary>Forwards the broker's answers frame by frame, letting <see cref="Transactions"/> see each one first.</summary>
    private async Task ForwardWatchedResponsesAsync(
        Stream from, Stream to, TransactionOffsetsKeeper.Connection? watched, TransactionsV2Bridge.Connection? bridged, CancellationToken token)
    {
        var size = new byte[4];
        while (await FillAsync(from, size, token).ConfigureAwait(false))
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(size);
            if (length < 4 || length > 256 * 1024 * 1024)
            {
                await to.WriteAsync(size, token).ConfigureAwait(false);
                await from.CopyToAsync(to, token).ConfigureAwait(false);
                return;
            }
            var frame = new byte[length];
            if (!await FillAsync(from, frame, token).ConfigureAwait(false))
            {
                return;
            }
            if (watched is not null)
            {
                await Transactions!.OnResponseAsync(watched, frame, token).ConfigureAwait(false);
            }
            if (bridged is not null)
            {
                frame = await TransactionsV2!.OnResponseAsync(bridged, frame, token).ConfigureAwait(false);
                BinaryPrimitives.WriteInt32BigEndian(size, frame.Length);
            }
            await to.WriteAsync(size, token).ConfigureAwait(false);
            await to.WriteAsync(frame, token).ConfigureAwait(false);
        }
    }

    private static async Task<bool> FillAsync(Stream stream, byte[] buffer, CancellationToken token)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), token).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }
            read += n;
        }
        return true;
    }

    /// <summary>
    /// The client side of one guarded connection: the broker's responses, and the answers the proxy gives in the
    /// broker's place, written to the client in the order of the requests (Kafka clients match responses to requests
    /// by order). A request that gets no response (Produce with acks 0) ahead of a proxy's answer would hold that
    /// answer back; group requests and acks-0 produce requests do not share a connection in the clients tested here.
    /// </summary>
    private sealed class OrderedAnswers(Stream client)
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private readonly Queue<(int CorrelationId, byte[]? Answer)> _pending = new();

        /// <summary>A request went to the broker; its response comes from there.</summary>
        public async Task ForwardedAsync(int correlationId, CancellationToken token)
        {
            await _gate.WaitAsync(token).ConfigureAwait(false);
            _pending.Enqueue((correlationId, null));
            _gate.Release();
        }

        /// <summary>The proxy answers a request: now if nothing is awaited before it, else after what is.</summary>
        public async Task AnswerAsync(int correlationId, byte[] answer, CancellationToken token)
        {
            await _gate.WaitAsync(token).ConfigureAwait(false);
            try
            {
                if (_pending.Count == 0)
                {
                    await client.WriteAsync(answer, token).ConfigureAwait(false);
                }
                else
                {
                    _pending.Enqueue((correlationId, answer));
                }
            }
            finally
            {
                _gate.Release();
            }
        }

        /// <summary>Copies the broker's response frames to the client, each followed by the proxy's answers queued behind it.</summary>
        public async Task ForwardResponsesAsync(Stream broker, CancellationToken token)
        {
            var size = new byte[4];
            while (await FillAsync(broker, size, token).ConfigureAwait(false))
            {
                var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
                if (frame.Length < 4 || !await FillAsync(broker, frame, token).ConfigureAwait(false))
                {
                    return;
                }
                var correlationId = BinaryPrimitives.ReadInt32BigEndian(frame);
                await _gate.WaitAsync(token).ConfigureAwait(false);
                try
                {
                    await client.WriteAsync(size, token).ConfigureAwait(false);
                    await client.WriteAsync(frame, token).ConfigureAwait(false);
                    // Requests before this one that got no response (acks 0) are passed over with it.
                    while (_pending.TryDequeue(out var head) && head.CorrelationId != correlationId)
                    {
                    }
                    while (_pending.TryPeek(out var next) && next.Answer is not null)
                    {
                        await client.WriteAsync(_pending.Dequeue().Answer!, token).ConfigureAwait(false);
                    }
                }
                finally
                {
                    _gate.Release();
                }
            }
        }
    }

    /// <summary>Stops listening and closes every connection, without waiting for the accept loop to end.</summary>
    public void Dispose() => _listener.Stop();

    /// <summary>Stops listening and closes every connection.</summary>
    public async ValueTask DisposeAsync() => await _listener.StopAsync().ConfigureAwait(false);
}
