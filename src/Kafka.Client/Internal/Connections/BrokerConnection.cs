using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Kafka.Client.Protocol;
using Microsoft.Extensions.Logging;

namespace Kafka.Client.Internal;

/// <summary>
/// One TCP connection to a broker. Requests are pipelined: several may be in flight, and responses are matched
/// to them in order by correlation id. Anything wrong with the connection (an I/O error, a timeout, a malformed
/// frame) closes it and fails every request in flight with a retriable <see cref="KafkaConnectionException"/>;
/// the next request on the same broker opens a new connection.
/// </summary>
internal sealed partial class BrokerConnection : IAsyncDisposable
{
    /// <summary>The first read buffer for a response; larger responses grow it as their bytes arrive.</summary>
    private const int InitialFrameBuffer = 64 * 1024;

    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly ConnectionSettings _settings;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly KafkaWriter _writer = new();
    private readonly ConcurrentQueue<PendingRequest> _inFlight = new();
    private readonly ConcurrentQueue<PendingRequest> _pendingPool = new();
    private readonly CancellationTokenSource _lifetime = new();
    private readonly byte[] _sizeBuffer = new byte[4];
    private readonly Lock _timeoutLock = new();
    private readonly ITimer? _timeoutTimer;
    private CancellationTokenSource _writeTimeout = new(); // only writers, under the write lock, touch it
    private long _timeoutArmedFor = long.MaxValue;
    private PendingRequest? _timedOut;
    private Task _readLoop = Task.CompletedTask;
    private Exception? _failure;
    private int _nextCorrelationId;
    private int _largestFrameReceived; // only the read loop touches it

    private BrokerConnection(Socket socket, Stream stream, HostAddress address, int brokerId, string kind, ConnectionSettings settings)
    {
        _socket = socket;
        _stream = stream;
        Address = address;
        BrokerId = brokerId;
        Kind = kind;
        _settings = settings;
        _logger = settings.LoggerFactory.CreateLogger("Kafka.Client.Connection");
        LocalEndPoint = socket.LocalEndPoint as IPEndPoint;
        _timeoutTimer = settings.TimeProvider.CreateTimer(static s => ((BrokerConnection)s!).OnTimeoutTimer(), this,
            System.Threading.Timeout.InfiniteTimeSpan, System.Threading.Timeout.InfiniteTimeSpan);
        ClientTelemetry.ConnectionCountChanged(1, kind, settings.ClientTag);
    }

    public HostAddress Address { get; }

    public int BrokerId { get; }

    /// <summary>The traffic class this connection serves (general, produce, fetch, group, offsets), for logs.</summary>
    public string Kind { get; }

    public IPEndPoint? LocalEndPoint { get; }

    /// <summary>The API versions negotiated with the broker when the connection was opened.</summary>
    public ApiVersionTable Versions { get; private set; } = null!;

    public bool IsAlive => Volatile.Read(ref _failure) is null;

    /// <summary>Whether the connection runs over TLS (its stream is an authenticated <see cref="System.Net.Security.SslStream"/>).</summary>
    public bool IsTls => _stream is System.Net.Security.SslStream { IsAuthenticated: true };

    /// <summary>Requests written and not yet answered.</summary>
    public int InFlightCount => _inFlight.Count;

    /// <summary>Opens a connection as <see cref="ConnectAsync(HostAddress, int, string, ConnectionSettings, ApiVersionsMemory?, Action{string}?, CancellationToken)"/>, asking for versions afresh.</summary>
    public static Task<BrokerConnection> ConnectAsync(
        HostAddress address, int brokerId, string kind, ConnectionSettings settings, CancellationToken cancellationToken) =>
        ConnectAsync(address, brokerId, kind, settings, versionsMemory: null, onStep: null, cancellationToken);

    /// <summary>
    /// Opens a connection and sets it up, all within one budget, the connect timeout: resolving the host, binding the
    /// source address if one is set, TCP connect, the TLS handshake when TLS is on, then the setup exchanges on the
    /// open connection (<see cref="SetUpAsync"/>: versions, then SASL when it is on). Whatever the steps take, the attempt ends by the budget's end with a
    /// <see cref="KafkaTimeoutException"/>; the caller's token only stops it earlier. <paramref name="versionsMemory"/> is
    /// the broker's <see cref="ApiVersionsMemory"/>, shared by its connections (<see langword="null"/> to always ask);
    /// <paramref name="onStep"/> hears each step as it begins, so that a caller can say what an attempt is waiting on.
    /// </summary>
    public static async Task<BrokerConnection> ConnectAsync(
        HostAddress address, int brokerId, string kind, ConnectionSettings settings, ApiVersionsMemory? versionsMemory,
        Action<string>? onStep, CancellationToken cancellationToken)
    {
        if (InvalidAddress(address) is { } problem)
        {
            throw new KafkaConnectionException(address.Host, address.Port,
                $"Could not connect to broker {DescribeBroker(brokerId)} at {address}: not a valid broker address ({problem}).");
        }
        // The one budget of the whole setup, on the client's clock.
        using var budget = new CancellationTokenSource(settings.ConnectTimeout, settings.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(budget.Token, cancellationToken);
        Socket? socket = null;
        var step = string.Empty;
        void Begin(string name)
        {
            step = name;
            onStep?.Invoke(name);
        }
        try
        {
            Begin("TCP connect");
            socket = await OpenSocketAsync(address, settings.SourceAddress, linked.Token).ConfigureAwait(false);
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (settings.Tls is { } tls)
            {
                Begin("TLS handshake");
                stream = await tls.AuthenticateAsync(stream, address, DescribeBroker(brokerId), linked.Token).ConfigureAwait(false);
            }
            var connection = new BrokerConnection(socket, stream, address, brokerId, kind, settings);
            socket = null; // owned by the connection now
            connection.Start();
            try
            {
                await connection.SetUpAsync(versionsMemory, Begin, linked.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                if (!linked.IsCancellationRequested && settings.Tls?.RejectedAfterHandshake(ex, address, DescribeBroker(brokerId)) is { } rejected)
                {
                    throw rejected;
                }
                throw;
            }
            connection._opened = true;
            Log.Connected(connection._logger, kind, brokerId, address.ToString(), connection.LocalEndPoint?.ToString());
            return connection;
        }
        catch (OperationCanceledException) when (budget.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new KafkaTimeoutException(
                $"Connecting to broker {DescribeBroker(brokerId)} at {address} did not complete within the connect timeout of " +
                $"{settings.ConnectTimeout.TotalMilliseconds:0} ms (TCP, TLS, ApiVersions and SASL share it; it ran out during the {step})" +
                (step == "TLS handshake" ? ": the TLS handshake got no answer: with Ssl set every broker port must be a TLS listener."
                    : step.StartsWith("SASL", StringComparison.Ordinal) ? ": the authentication got no answer." : "."),
                settings.ConnectTimeout);
        }
        catch (SocketException ex)
        {
            throw new KafkaConnectionException(address.Host, address.Port,
                $"Could not connect to broker {DescribeBroker(brokerId)} at {address}: {ex.Message}", ex);
        }
        finally
        {
            socket?.Dispose();
        }
    }

    /// <summary>
    /// The exchanges that make an open connection usable, in order, within what remains of the connect budget
    /// (<paramref name="budget"/>): version negotiation, then, when SASL is on, authentication (SaslHandshake and
    /// SaslAuthenticate, whose versions come from the negotiated table), naming each to <paramref name="step"/> so a
    /// timeout says where the budget ran out.
    /// </summary>
    private async Task SetUpAsync(ApiVersionsMemory? versionsMemory, Action<string> step, CancellationToken budget)
    {
        step("ApiVersions");
        await NegotiateVersionsAsync(versionsMemory, budget).ConfigureAwait(false);
        if (_settings.Sasl is { } sasl)
        {
            step($"SASL {sasl.MechanismName} authentication");
            await AuthenticateAsync(budget).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Why no socket can reach <paramref name="address"/>, or <see langword="null"/>. Broker addresses come from Metadata
    /// answers, which can carry any int32 port and any string host; sockets and DNS would throw argument errors.
    /// </summary>
    private static string? InvalidAddress(HostAddress address) =>
        address.Port is < 1 or > IPEndPoint.MaxPort ? $"port {address.Port} is not a TCP port"
        : address.Host.Length == 0 ? "the host is empty"
        : address.Host.Length > 255 ? $"a host name of {address.Host.Length} characters, where DNS allows 255"
        : null;

    private static string DescribeBroker(int brokerId) => brokerId >= 0 ? brokerId.ToString(System.Globalization.CultureInfo.InvariantCulture) : "(seed)";

    private static async Task<Socket> OpenSocketAsync(HostAddress address, HostAddress? source, CancellationToken cancellationToken)
    {
        IPAddress[] candidates = IPAddress.TryParse(address.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(address.Host, cancellationToken).ConfigureAwait(false);
        IPAddress? sourceIp = null;
        if (source is { } s)
        {
            sourceIp = IPAddress.TryParse(s.Host, out var ip)
                ? ip
                : (await Dns.GetHostAddressesAsync(s.Host, cancellationToken).ConfigureAwait(false)).FirstOrDefault()
                  ?? throw new SocketException((int)SocketError.HostNotFound);
            // Only addresses of the source's family can be reached from it.
            candidates = Array.FindAll(candidates, c => c.AddressFamily == sourceIp.AddressFamily);
        }
        if (candidates.Length == 0)
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }

        SocketException? last = null;
        foreach (var ip in candidates)
        {
            var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                if (sourceIp is not null)
                {
                    socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                    socket.Bind(new IPEndPoint(sourceIp, source!.Port));
                }
                await socket.ConnectAsync(new IPEndPoint(ip, address.Port), cancellationToken).ConfigureAwait(false);
                return socket;
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw last!;
    }

    private void Start() => _readLoop = Task.Run(ReadLoopAsync);

    /// <summary>
    /// Asks the broker which versions it speaks. A broker that does not know the ApiVersions version we sent
    /// answers UNSUPPORTED_VERSION with a v0 body listing what it does support; we then ask again at that version.
    /// With <paramref name="memory"/>, a table another live connection to the broker negotiated is used without
    /// asking, and otherwise the broker is asked at the version it accepted before.
    /// </summary>
    private async Task NegotiateVersionsAsync(ApiVersionsMemory? memory, CancellationToken cancellationToken)
    {
        var policy = _settings.Versions;
        if (!policy.AskBroker)
        {
            Versions = policy.FromRelease();
            return;
        }
        if (memory is not null && memory.TryGetLiveTable(Address, out var known))
        {
            Versions = known;
            return;
        }
        var request = new ApiVersionsRequest();
        var version = memory?.RequestVersion(Address) ?? KnownApis.ApiVersions.MaxVersion;
        for (var attempt = 0; ; attempt++)
        {
            ApiVersionsResponse response;
            try
            {
                response = await SendAsync(request, version, _settings.ConnectTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (KafkaConnectionException ex) when (attempt == 0 && ex.InnerException is null or IOException { InnerException: SocketException })
            {
                throw new KafkaConnectionException(Address.Host, Address.Port,
                    $"Broker {DescribeBroker(BrokerId)} at {Address} closed the connection when asked for its API versions. " +
                    "Brokers before Kafka 0.10 cannot be asked: set BrokerVersion to their release (for example \"0.9.0\")." +
                    (_settings.Tls is null ? " A TLS listener also closes a plaintext connection: if the port is one, set Ssl." : string.Empty), ex);
            }
            if (response.ErrorCode == KafkaErrorCode.UnsupportedVersion && response.TryGetRetryVersion(version, out var retryVersion))
            {
                version = retryVersion;
                Log.ApiVersionsFallback(_logger, BrokerId, Address.ToString(), version);
                continue;
            }
            if (response.ErrorCode != KafkaErrorCode.None)
            {
                throw new KafkaBrokerException(response.ErrorCode,
                    $"Broker {DescribeBroker(BrokerId)} at {Address} refused the ApiVersions request: {KafkaErrors.GetName(response.ErrorCode)}.");
            }
            Versions = policy.FromBroker(response);
            memory?.Remember(Address, version, Versions, this);
            return;
        }
    }

    /// <summary>Sends a request at the highest version both sides speak and waits for its response.</summary>
    public Task<TResponse> SendAsync<TResponse>(KafkaRequest<TResponse> request, TimeSpan timeout, CancellationToken cancellationToken) =>
        SendAsync(request, Versions.Negotiate(request.Api), timeout, cancellationToken);

    /// <summary>
    /// Sends a request at <paramref name="version"/> and waits up to <paramref name="timeout"/> for its response.
    /// A timeout closes the connection (a late answer must not be taken for a later request's); cancelling only
    /// stops waiting. For requests that expect no response the result is <see langword="default"/>.
    /// </summary>
    public Task<TResponse> SendAsync<TResponse>(KafkaRequest<TResponse> request, short version, TimeSpan timeout, CancellationToken cancellationToken) =>
        SendValueAsync(request, version, timeout, runContinuationsInline: false, cancellationToken).AsTask();

    /// <summary>
    /// <see cref="SendAsync{TResponse}(KafkaRequest{TResponse}, short, TimeSpan, CancellationToken)"/> without the
    /// allocations of a <see cref="Task"/>: the exchange runs on pooled state, so the result must be awaited exactly once.
    /// With <paramref name="runContinuationsInline"/> the response is decoded, and the caller's continuation runs, on the
    /// connection's read loop, saving a thread hop: only for callers whose continuation is short and never blocks (the
    /// producer's response handling).
    /// </summary>
    public ValueTask<TResponse> SendValueAsync<TResponse>(KafkaRequest<TResponse> request, short version, TimeSpan timeout,
        bool runContinuationsInline, CancellationToken cancellationToken) =>
        SendCoreAsync(request, version, timeout, runContinuationsInline, writeLockHeld: false, cancellationToken);

    /// <summary>
    /// As <see cref="SendValueAsync{TResponse}(KafkaRequest{TResponse}, short, TimeSpan, bool, CancellationToken)"/>; with
    /// <paramref name="writeLockHeld"/> the caller already holds the write lock (a re-authentication, which keeps other
    /// requests from being written until it is done).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<TResponse> SendCoreAsync<TResponse>(KafkaRequest<TResponse> request, short version, TimeSpan timeout,
        bool runContinuationsInline, bool writeLockHeld, CancellationToken cancellationToken)
    {
        // With nobody listening, telemetry costs this one check.
        var observed = ClientTelemetry.IsRequestObserved;
        var started = observed ? _settings.TimeProvider.GetTimestamp() : 0;
        var activity = observed && (_settings.TraceRequests || ClientTelemetry.IsUnderClientSpan) ? ClientTelemetry.StartRequest(request.Api.Key, version, BrokerId, Address, _settings.ClientTag) : null;
        Exception? error = null;
        try
        {
            ThrowIfFailed();
            var api = request.Api;
            var pending = request.ExpectsResponse ? PendingRequest.Rent(_pendingPool, api.Key, version, timeout, runContinuationsInline) : null;

            if (!writeLockHeld)
            {
                try
                {
                    await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    pending?.Abandon(ex);
                    throw;
                }
            }
            try
            {
                if (Volatile.Read(ref _failure) is { } failure)
                {
                    var failed = ToConnectionException(failure);
                    pending?.Abandon(failed);
                    throw failed;
                }
                if (!writeLockHeld && ReauthenticationDue)
                {
                    // The timer is late (a busy machine): renew the session before this request, not after it.
                    try
                    {
                        await ReauthenticateLockedAsync().ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        pending?.Abandon(ex);
                        throw;
                    }
                }
                var correlationId = unchecked(++_nextCorrelationId) & int.MaxValue;
                _writer.Reset();
                var sizePosition = _writer.ReserveInt32();
                try
                {
                    RequestHeader.Write(_writer, api.Key, version, correlationId, _settings.ClientId, api.RequestHeaderVersion(version));
                    request.Write(_writer, version); // a codec error here has sent nothing: the connection stays usable
                }
                catch (Exception ex)
                {
                    pending?.Abandon(ex);
                    throw;
                }
                _writer.PatchInt32(sizePosition, _writer.Position - 4);

                if (pending is not null)
                {
                    pending.CorrelationId = correlationId;
                    pending.Deadline = _settings.TimeProvider.GetTimestamp() + TimeoutTicks(timeout);
                    _inFlight.Enqueue(pending);
                    ArmTimeout(pending.Deadline);
                }
                try
                {
                    // A write cannot be abandoned halfway without corrupting the stream, so it runs under the request
                    // timeout only (and the socket's closing, when the connection fails), not the caller's token. One
                    // source serves every write: the write lock makes them one at a time.
                    _writeTimeout.CancelAfter(timeout);
                    await _stream.WriteAsync(_writer.WrittenMemory, _writeTimeout.Token).ConfigureAwait(false);
                    if (!_writeTimeout.TryReset())
                    {
                        _writeTimeout.Dispose();
                        _writeTimeout = new CancellationTokenSource();
                    }
                }
                catch (Exception ex)
                {
                    Fail(ex is OperationCanceledException && !_lifetime.IsCancellationRequested
                        ? new KafkaTimeoutException($"Writing a {api.Key} request to broker {DescribeBroker(BrokerId)} at {Address} did not complete within {timeout.TotalMilliseconds:0} ms.", timeout)
                        : ex);
                    if (pending is null)
                    {
                        ThrowIfFailed();
                    }
                }
            }
            finally
            {
                if (!writeLockHeld)
                {
                    _writeLock.Release();
                }
            }

            if (pending is null)
            {
                return default!;
            }
            if (!IsAlive)
            {
                // The connection failed between our check and the enqueue: make sure our request is failed too.
                DrainInFlight();
            }

            var frame = await pending.WaitAsync(cancellationToken).ConfigureAwait(false);
            var frameKept = false;
            try
            {
                var reader = new KafkaReader(frame.Buffer.AsSpan(0, frame.Length));
                ResponseHeader.Read(ref reader, api.ResponseHeaderVersion(version));
                var response = request.ReadResponse(ref reader, version);
                if (response is IResponseFrameOwner owner)
                {
                    // Fetch responses hand out slices of the frame (records) rather than copies: they keep it.
                    owner.TakeFrame(new ResponseFrame(frame.Buffer, frame.Length));
                    frameKept = true;
                }
                return response;
            }
            catch (KafkaProtocolException ex)
            {
                var described = new KafkaProtocolException(
                    $"Broker {DescribeBroker(BrokerId)} at {Address} sent a malformed {api.Key} v{version} response: {ex.Message}", ex);
                Fail(described);
                throw described;
            }
            finally
            {
                if (!frameKept)
                {
                    FrameBufferPool.Instance.Return(frame.Buffer);
                }
            }
        }
        catch (Exception ex) when (observed)
        {
            error = ex;
            throw;
        }
        finally
        {
            if (observed)
            {
                ClientTelemetry.RequestCompleted(activity, request.Api.Key, BrokerId, _settings.TimeProvider.GetElapsedTime(started), error, _settings.ClientTag);
            }
        }
    }

    private long TimeoutTicks(TimeSpan timeout) => (long)(timeout.TotalSeconds * _settings.TimeProvider.TimestampFrequency);

    /// <summary>
    /// Makes the timeout timer fire by <paramref name="deadline"/>. One timer serves every request in flight: when it
    /// fires it fails the connection if one is overdue, else re-arms for the earliest deadline left.
    /// </summary>
    private void ArmTimeout(long deadline)
    {
        lock (_timeoutLock)
        {
            if (deadline >= _timeoutArmedFor || _timeoutTimer is null || !IsAlive)
            {
                return;
            }
            _timeoutArmedFor = deadline;
            var due = _settings.TimeProvider.GetElapsedTime(_settings.TimeProvider.GetTimestamp(), deadline);
            try
            {
                _timeoutTimer.Change(due > TimeSpan.Zero ? due : TimeSpan.Zero, System.Threading.Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // Closed meanwhile: its requests are failed already.
            }
        }
    }

    private void OnTimeoutTimer()
    {
        // Forget the armed deadline before looking, so that a request enqueued meanwhile arms the timer itself.
        lock (_timeoutLock)
        {
            _timeoutArmedFor = long.MaxValue;
        }
        var now = _settings.TimeProvider.GetTimestamp();
        PendingRequest? overdue = null;
        var earliest = long.MaxValue;
        foreach (var pending in _inFlight)
        {
            if (pending.Deadline <= now)
            {
                overdue ??= pending;
            }
            else
            {
                earliest = Math.Min(earliest, pending.Deadline);
            }
        }
        if (overdue is not null)
        {
            var timedOut = new KafkaTimeoutException(
                $"Broker {DescribeBroker(BrokerId)} at {Address} did not answer a {overdue.ApiKey} v{overdue.Version} request within {overdue.Timeout.TotalMilliseconds:0} ms; the connection was closed.",
                overdue.Timeout);
            // The overdue request's caller hears of the timeout itself; Fail gives the others a connection error.
            Fail(timedOut, overdue);
            return;
        }
        if (earliest != long.MaxValue)
        {
            ArmTimeout(earliest);
        }
    }

    private void ThrowIfFailed()
    {
        var failure = Volatile.Read(ref _failure);
        if (failure is not null)
        {
            throw ToConnectionException(failure);
        }
    }

    private KafkaConnectionException ToConnectionException(Exception failure) =>
        failure as KafkaConnectionException
        ?? (failure is ClosedByClientException ? new KafkaConnectionException(Address.Host, Address.Port, failure.Message) : null)
        ?? new KafkaConnectionException(Address.Host, Address.Port,
            $"The {Kind} connection to broker {DescribeBroker(BrokerId)} at {Address} was closed: {failure.Message}", failure);

    private async Task ReadLoopAsync()
    {
        var token = _lifetime.Token;
        try
        {
            while (true)
            {
                if (!await ReadExactAsync(_sizeBuffer, 0, 4, token).ConfigureAwait(false))
                {
                    Fail(new KafkaConnectionException(Address.Host, Address.Port,
                        $"Broker {DescribeBroker(BrokerId)} at {Address} closed the {Kind} connection.{MissingSaslHint()}"));
                    return;
                }
                var size = BinaryPrimitives.ReadInt32BigEndian(_sizeBuffer);
                if (size < 4 || size > _settings.MaxResponseSize)
                {
                    // A TLS record (alert 0x15 or handshake 0x16, version 3.x) read as a size: plaintext to a TLS port.
                    var tlsRecord = _settings.Tls is null && _sizeBuffer[0] is 0x15 or 0x16 && _sizeBuffer[1] == 0x03;
                    throw new KafkaProtocolException(
                        $"Broker {DescribeBroker(BrokerId)} at {Address} sent a response size of {size} bytes; expected 4 to {_settings.MaxResponseSize} (MaxResponseSize)." +
                        (tlsRecord ? " The bytes are a TLS record: the port is a TLS listener; set Ssl." : string.Empty));
                }
                var frame = await ReadFrameAsync(size, token).ConfigureAwait(false);
                var correlationId = BinaryPrimitives.ReadInt32BigEndian(frame);
                if (!_inFlight.TryDequeue(out var pending))
                {
                    FrameBufferPool.Instance.Return(frame);
                    throw new KafkaProtocolException(
                        $"Broker {DescribeBroker(BrokerId)} at {Address} sent a response with correlation id {correlationId} while no request was in flight.");
                }
                if (pending.CorrelationId != correlationId)
                {
                    FrameBufferPool.Instance.Return(frame);
                    var mismatch = new KafkaProtocolException(
                        $"Broker {DescribeBroker(BrokerId)} at {Address} answered correlation id {correlationId} where {pending.CorrelationId} ({pending.ApiKey}) was expected.");
                    pending.SetFailure(ToConnectionException(mismatch));
                    throw mismatch;
                }
                _answeredSinceOpened |= _opened;
                // The caller takes the buffer, or it goes back to the pool if the caller stopped waiting.
                pending.SetResponse(frame, size);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Closed by Fail or DisposeAsync.
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
    }

    /// <summary>
    /// Reads a whole frame. Its buffer starts at the size of the largest frame this connection has already received in
    /// full (64 KiB at first) and otherwise grows only as bytes arrive, so a false size allocates no more than what the
    /// broker has really sent, while a steady stream of large fetch responses is read without growing (and copying).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<byte[]> ReadFrameAsync(int size, CancellationToken token)
    {
        var buffer = FrameBufferPool.Instance.Rent(Math.Min(size, Math.Max(InitialFrameBuffer, _largestFrameReceived)));
        var read = 0;
        try
        {
            while (read < size)
            {
                if (read == buffer.Length)
                {
                    var larger = FrameBufferPool.Instance.Rent((int)Math.Min(size, buffer.Length * 2L));
                    buffer.AsSpan(0, read).CopyTo(larger);
                    FrameBufferPool.Instance.Return(buffer);
                    buffer = larger;
                }
                var n = await _stream.ReadAsync(buffer.AsMemory(read, Math.Min(buffer.Length, size) - read), token).ConfigureAwait(false);
                if (n == 0)
                {
                    throw new KafkaProtocolException(
                        $"Broker {DescribeBroker(BrokerId)} at {Address} closed the connection after {read} of the {size} bytes of a response (truncated frame).");
                }
                read += n;
            }
            var frame = buffer;
            buffer = null;
            _largestFrameReceived = Math.Max(_largestFrameReceived, size);
            return frame;
        }
        finally
        {
            if (buffer is not null)
            {
                FrameBufferPool.Instance.Return(buffer);
            }
        }
    }

    /// <summary>Fills <paramref name="buffer"/>; false when the stream ended before any byte was read.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ReadExactAsync(byte[] buffer, int offset, int count, CancellationToken token)
    {
        var read = 0;
        while (read < count)
        {
            var n = await _stream.ReadAsync(buffer.AsMemory(offset + read, count - read), token).ConfigureAwait(false);
            if (n == 0)
            {
                if (read == 0)
                {
                    return false;
                }
                throw new KafkaProtocolException(
                    $"Broker {DescribeBroker(BrokerId)} at {Address} closed the connection inside a response size field (truncated frame).");
            }
            read += n;
        }
        return true;
    }

    /// <summary>Closes the connection once, failing every request in flight with a retriable connection error.</summary>
    /// <summary>
    /// Closes the connection once, failing every request in flight with a retriable connection error;
    /// <paramref name="timedOut"/>, the request whose timeout closed it, fails with the timeout itself.
    /// </summary>
    private void Fail(Exception reason, PendingRequest? timedOut = null)
    {
        Volatile.Write(ref _timedOut, timedOut);
        if (Interlocked.CompareExchange(ref _failure, reason, null) is not null)
        {
            return;
        }
        if (reason is KafkaProtocolException)
        {
            Log.ProtocolError(_logger, reason, Kind, BrokerId, Address.ToString());
        }
        else if (reason is ClosedByClientException)
        {
            Log.ClosedByClient(_logger, Kind, BrokerId, Address.ToString());
        }
        else
        {
            Log.ConnectionClosed(_logger, Kind, BrokerId, Address.ToString(), reason.Message);
        }
        _reauthenticationTimer?.Dispose();
        _lifetime.Cancel();
        _socket.Dispose();
        _timeoutTimer?.Dispose();
        ClientTelemetry.ConnectionCountChanged(-1, Kind, _settings.ClientTag);
        DrainInFlight();
    }

    private void DrainInFlight()
    {
        var failure = Volatile.Read(ref _failure);
        if (failure is null)
        {
            return;
        }
        var error = ToConnectionException(failure);
        var timedOut = Volatile.Read(ref _timedOut);
        while (_inFlight.TryDequeue(out var pending))
        {
            pending.SetFailure(ReferenceEquals(pending, timedOut) ? failure : error);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Fail(new ClosedByClientException($"The {Kind} connection to broker {DescribeBroker(BrokerId)} at {Address} was closed by the client."));
        try
        {
            await _readLoop.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The read loop reports through Fail; nothing more to do here.
        }
        await _stream.DisposeAsync().ConfigureAwait(false);
        // A writer may still hold the lock, about to find the connection closed: wait for it before freeing.
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _writer.Dispose();
            _writeTimeout.Dispose();
        }
        finally
        {
            _writeLock.Release();
        }
        _lifetime.Dispose();
    }

    /// <summary>The reason recorded when the client itself closes a connection (disposal, broker moved).</summary>
    private sealed class ClosedByClientException(string message) : Exception(message);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Opened {Kind} connection to broker {BrokerId} at {Address} from {LocalEndPoint}")]
        public static partial void Connected(ILogger logger, string kind, int brokerId, string address, string? localEndPoint);

        [LoggerMessage(2, LogLevel.Information, "The {Kind} connection to broker {BrokerId} at {Address} closed: {Reason}")]
        public static partial void ConnectionClosed(ILogger logger, string kind, int brokerId, string address, string reason);

        [LoggerMessage(3, LogLevel.Warning, "Protocol error on the {Kind} connection to broker {BrokerId} at {Address}; the connection was closed")]
        public static partial void ProtocolError(ILogger logger, Exception exception, string kind, int brokerId, string address);

        [LoggerMessage(5, LogLevel.Debug, "Closed the {Kind} connection to broker {BrokerId} at {Address}")]
        public static partial void ClosedByClient(ILogger logger, string kind, int brokerId, string address);

        [LoggerMessage(4, LogLevel.Debug, "Broker {BrokerId} at {Address} does not speak our ApiVersions version; asking again at v{Version}")]
        public static partial void ApiVersionsFallback(ILogger logger, int brokerId, string address, short version);
    }
}
