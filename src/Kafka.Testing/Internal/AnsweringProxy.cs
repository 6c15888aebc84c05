using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Kafka.Testing.Internal;

/// <summary>An API the answering proxy adds to the broker's ApiVersions answer, and which it answers itself.</summary>
/// <param name="Key">The API key.</param>
/// <param name="MinVersion">The lowest version advertised.</param>
/// <param name="MaxVersion">The highest version advertised.</param>
/// <param name="FirstFlexibleVersion">The API's first flexible version (request header v2, response header v1).</param>
internal readonly record struct AnsweredApi(short Key, short MinVersion, short MaxVersion, short FirstFlexibleVersion);

/// <summary>A request the answering proxy read: its header fields and its body (after the header).</summary>
internal sealed record AnsweredRequest(short ApiKey, short ApiVersion, int CorrelationId, string? ClientId, bool Flexible, byte[] Body, byte[] Frame);

/// <summary>
/// A Kafka-aware proxy in front of one mock broker. It forwards every request and answer unchanged, except that it
/// adds <see cref="AnsweredApi"/> entries to ApiVersions answers and answers those APIs itself through a handler
/// (the broker never sees them). Answers keep request order on each connection, as Kafka requires. Every request is
/// recorded with its API version and bytes.
/// </summary>
internal sealed class AnsweringProxy : IBrokerProxy
{
    private const short ApiVersionsKey = 18;
    private const short MetadataKey = 3;
    private readonly LoopbackListener _listener;
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly IReadOnlyList<AnsweredApi> _apis;
    private readonly Func<AnsweredRequest, byte[]> _answer;
    private readonly ConcurrentQueue<ProxiedRequest> _requests = new();
    private readonly ConcurrentQueue<AnsweredRequest> _frames = new();

    public AnsweringProxy(string targetHost, int targetPort, int brokerId, IReadOnlyList<AnsweredApi> apis, Func<AnsweredRequest, byte[]> answer)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        BrokerId = brokerId;
        _apis = apis;
        _answer = answer;
        _listener = new LoopbackListener(ServeAsync);
    }

    public int BrokerId { get; }

    public int Port => _listener.Port;

    public string Address => $"127.0.0.1:{Port}";

    public IReadOnlyList<ProxiedRequest> Requests => [.. _requests];

    /// <summary>Every request with its bytes, in the order read.</summary>
    public IReadOnlyList<AnsweredRequest> Frames => [.. _frames];

    public void ClearRequests()
    {
        _requests.Clear();
        _frames.Clear();
    }

    public void Dispose() => _listener.Stop();

    private async Task ServeAsync(TcpClient client, CancellationToken stopping)
    {
        client.NoDelay = true;
        using var upstream = new TcpClient { NoDelay = true };
        await upstream.ConnectAsync(_targetHost, _targetPort, stopping).ConfigureAwait(false);
        using var open = _listener.Track(client, upstream);
        var slots = new ConcurrentQueue<(int CorrelationId, short ApiKey, TaskCompletionSource<byte[]> Answer)>();
        var waiting = new ConcurrentDictionary<int, (short ApiKey, short Version, TaskCompletionSource<byte[]> Answer)>();
        var ready = new SemaphoreSlim(0);
        var requests = ReadRequestsAsync(client.GetStream(), upstream.GetStream(), slots, waiting, ready, stopping);
        var answers = ReadAnswersAsync(upstream.GetStream(), waiting, stopping);
        var writes = WriteAnswersAsync(client.GetStream(), slots, ready, stopping);
        await Task.WhenAny(requests, answers, writes).ConfigureAwait(false);
    }

    private async Task ReadRequestsAsync(
        Stream from, Stream to, ConcurrentQueue<(int, short, TaskCompletionSource<byte[]>)> slots,
        ConcurrentDictionary<int, (short, short, TaskCompletionSource<byte[]>)> waiting, SemaphoreSlim ready, CancellationToken stopping)
    {
        while (await ReadFrameAsync(from, stopping).ConfigureAwait(false) is { } frame)
        {
            var key = BinaryPrimitives.ReadInt16BigEndian(frame);
            var version = BinaryPrimitives.ReadInt16BigEndian(frame.AsSpan(2));
            var correlationId = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4));
            _requests.Enqueue(new ProxiedRequest(key, version, correlationId, DateTimeOffset.UtcNow));
            var answer = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_apis.Any(a => a.Key == key))
            {
                var api = _apis.First(a => a.Key == key);
                var flexible = version >= api.FirstFlexibleVersion;
                var request = Parse(frame, key, version, correlationId, flexible);
                _frames.Enqueue(request);
                var header = new FrameWriter().Int32(correlationId).Tags(flexible);
                answer.SetResult([.. header.ToArray(), .. _answer(request)]);
            }
            else
            {
                _frames.Enqueue(new AnsweredRequest(key, version, correlationId, null, false, [], frame));
                waiting[correlationId] = (key, version, answer);
                await WriteFrameAsync(to, frame, stopping).ConfigureAwait(false);
            }
            slots.Enqueue((correlationId, key, answer));
            ready.Release();
        }
    }

    private static AnsweredRequest Parse(byte[] frame, short key, short version, int correlationId, bool flexible)
    {
        var reader = new FrameReader(frame.AsSpan(8));
        var clientId = reader.String(compact: false); // the client id stays a classic string in header v2
        reader.SkipTags(flexible);
        return new AnsweredRequest(key, version, correlationId, clientId, flexible, reader.Rest().ToArray(), frame);
    }

    private async Task ReadAnswersAsync(Stream from, ConcurrentDictionary<int, (short ApiKey, short Version, TaskCompletionSource<byte[]> Answer)> waiting, CancellationToken stopping)
    {
        while (await ReadFrameAsync(from, stopping).ConfigureAwait(false) is { } frame)
        {
            if (frame.Length >= 4 && waiting.TryRemove(BinaryPrimitives.ReadInt32BigEndian(frame), out var pending))
            {
                pending.Answer.SetResult(pending.ApiKey switch
                {
                    ApiVersionsKey => AddApis(frame, pending.Version),
                    MetadataKey when pending.Version >= 1 => NameController(frame, pending.Version),
                    _ => frame,
                });
            }
        }
    }

    private static async Task WriteAnswersAsync(Stream to, ConcurrentQueue<(int, short, TaskCompletionSource<byte[]> Answer)> slots, SemaphoreSlim ready, CancellationToken stopping)
    {
        while (true)
        {
            await ready.WaitAsync(stopping).ConfigureAwait(false);
            slots.TryDequeue(out var slot);
            var answer = await slot.Answer.Task.WaitAsync(stopping).ConfigureAwait(false);
            await WriteFrameAsync(to, answer, stopping).ConfigureAwait(false);
        }
    }

    /// <summary>Adds the answered APIs to an ApiVersions answer (header v0, then the body of <paramref name="version"/>).</summary>
    private byte[] AddApis(byte[] frame, short version) =>
        ApiVersionsAnswer.WithApis(frame, version, _apis.Select(a => (a.Key, a.MinVersion, a.MaxVersion)));

    /// <summary>
    /// The mock names no controller (its Metadata answers controller id 0, which is no broker), and clients send
    /// CreateTopics and DeleteTopics to the controller: name the lowest broker listed instead. The answer is patched
    /// in place; nothing else changes.
    /// </summary>
    private static byte[] NameController(byte[] frame, short version)
    {
        var flexible = version >= 9;
        var reader = new FrameReader(frame.AsSpan(4));
        reader.SkipTags(flexible);
        if (version >= 3)
        {
            reader.Int32(); // throttle
        }
        var ids = new List<int>();
        var count = reader.ArrayLength(flexible);
        for (var i = 0; i < count; i++)
        {
            ids.Add(reader.Int32());
            reader.String(flexible);
            reader.Int32();
            reader.String(flexible); // rack (v1+)
            reader.SkipTags(flexible);
        }
        if (version >= 2)
        {
            reader.String(flexible); // cluster id
        }
        var at = 4 + reader.Position;
        var controller = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(at));
        if (ids.Count > 0 && !ids.Contains(controller))
        {
            BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(at), ids.Min());
        }
        return frame;
    }

    private static async Task<byte[]?> ReadFrameAsync(Stream stream, CancellationToken stopping)
    {
        var size = new byte[4];
        if (!await FillAsync(stream, size, stopping).ConfigureAwait(false))
        {
            return null;
        }
        var length = BinaryPrimitives.ReadInt32BigEndian(size);
        if (length < 4 || length > 64 * 1024 * 1024)
        {
            throw new InvalidDataException($"A Kafka frame of {length} bytes.");
        }
        var frame = new byte[length];
        return await FillAsync(stream, frame, stopping).ConfigureAwait(false) ? frame : null;
    }

    private static async Task WriteFrameAsync(Stream to, byte[] frame, CancellationToken stopping)
    {
        var sized = new byte[4 + frame.Length];
        BinaryPrimitives.WriteInt32BigEndian(sized, frame.Length);
        frame.CopyTo(sized, 4);
        await to.WriteAsync(sized, stopping).ConfigureAwait(false);
    }

    private static async Task<bool> FillAsync(Stream stream, byte[] buffer, CancellationToken stopping)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), stopping).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }
            read += n;
        }
        return true;
    }
}
