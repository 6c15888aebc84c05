using System.Collections.Concurrent;

namespace Kafka.Testing.Internal.Sasl;

/// <summary>
/// One client connection through a <see cref="SaslProxy"/>, run as Kafka's SaslServerAuthenticator and SocketServer run
/// it: before authentication only ApiVersions (answered with the broker's list plus the SASL APIs), SaslHandshake and
/// SaslAuthenticate are accepted; anything else closes the connection. Once authenticated, requests are relayed to the
/// broker and its responses back, unchanged. A SaslHandshake on an authenticated connection starts re-authentication
/// (KIP-368), answered after every response the broker still owes; a request sent after the session expired closes the
/// connection.
/// </summary>
internal sealed class SaslProxyConnection
{
    private enum State
    {
        Handshake,
        Authenticating,
        Authenticated,
    }

    private readonly SaslProxy _proxy;
    private readonly Stream _client;
    private readonly Stream _broker;
    private readonly SemaphoreSlim _clientWrite = new(1, 1);
    private readonly SemaphoreSlim _drained = new(0);
    private readonly ConcurrentQueue<(int CorrelationId, short ApiKey, short ApiVersion)> _owed = new();
    private readonly byte[] _sizeBuffer = new byte[4];
    private State _state = State.Handshake;
    private ISaslServerSession? _session;
    private string? _mechanism;
    private string? _principal;
    private bool _reauthenticating;
    private string? _badReauthenticationMechanism;
    private bool _rawTokens; // after SaslHandshake v0 the tokens travel as bare frames, without Kafka headers

    public SaslProxyConnection(SaslProxy proxy, int id, Stream client, Stream broker)
    {
        _proxy = proxy;
        Id = id;
        _client = client;
        _broker = broker;
    }

    public int Id { get; }

    /// <summary>When the current session ends; null before authentication or when sessions do not expire.</summary>
    public DateTimeOffset? SessionExpiry { get; private set; }

    public async Task RunAsync(CancellationToken stopping)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var relay = RelayResponsesAsync(done.Token);
        try
        {
            while (true)
            {
                var frame = await ProxyFrames.ReadAsync(_client, _sizeBuffer, done.Token).ConfigureAwait(false);
                if (frame is not { } request)
                {
                    return;
                }
                using (request)
                {
                    if (_rawTokens && _state == State.Authenticating)
                    {
                        if (!await RawTokenAsync(request, done.Token).ConfigureAwait(false))
                        {
                            return;
                        }
                        continue;
                    }
                    if (!await HandleAsync(request, done.Token).ConfigureAwait(false))
                    {
                        return;
                    }
                }
            }
        }
        finally
        {
            SessionExpiry = null;
            _session?.Dispose();
            await done.CancelAsync().ConfigureAwait(false);
            try
            {
                await relay.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or InvalidDataException or System.Net.Sockets.SocketException)
            {
                // The broker side went away with the client's.
            }
        }
    }

    /// <summary>Handles one request from the client; false closes the connection.</summary>
    private async Task<bool> HandleAsync(Frame request, CancellationToken cancellationToken)
    {
        var header = ProxyFrames.ReadRequestHeader(request.Span, ProxyFrames.IsFlexible);
        switch (_state)
        {
            case State.Handshake:
                if (header.ApiKey == ProxyFrames.ApiVersions)
                {
                    await ForwardAsync(request, header, cancellationToken).ConfigureAwait(false);
                    return true;
                }
                if (header.ApiKey == ProxyFrames.SaslHandshake)
                {
                    return await HandshakeAsync(request, header, cancellationToken).ConfigureAwait(false);
                }
                _proxy.RecordFailure(Id, $"request {header.ApiKey} v{header.ApiVersion} before SASL authentication: connection closed");
                return false;

            case State.Authenticating:
                if (header.ApiKey != ProxyFrames.SaslAuthenticate)
                {
                    _proxy.RecordFailure(Id, $"request {header.ApiKey} v{header.ApiVersion} during SASL authentication: connection closed");
                    return false;
                }
                return await AuthenticateAsync(request, header, cancellationToken).ConfigureAwait(false);

            default:
                if (header.ApiKey == ProxyFrames.SaslHandshake)
                {
                    return await HandshakeAsync(request, header, cancellationToken).ConfigureAwait(false);
                }
                if (SessionExpiry is { } expiry && _proxy.Options.TimeProvider.GetUtcNow() >= expiry)
                {
                    _proxy.RecordExpiredSession(Id, $"request {header.ApiKey} v{header.ApiVersion} after the session expired at {expiry:O}: connection closed");
                    return false;
                }
                await ForwardAsync(request, header, cancellationToken).ConfigureAwait(false);
                return true;
        }
    }

    private async Task ForwardAsync(Frame request, RequestHeaderInfo header, CancellationToken cancellationToken)
    {
        if (ProxyFrames.ExpectsResponse(request.Span, header))
        {
            _owed.Enqueue((header.CorrelationId, header.ApiKey, header.ApiVersion));
        }
        var size = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(size, request.Length);
        await _broker.WriteAsync(size, cancellationToken).ConfigureAwait(false);
        await _broker.WriteAsync(request.Memory, cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> HandshakeAsync(Frame request, RequestHeaderInfo header, CancellationToken cancellationToken)
    {
        await DrainAsync(cancellationToken).ConfigureAwait(false);
        if (header.ApiVersion is not (0 or 1) || (header.ApiVersion == 0 && _state == State.Authenticated))
        {
            _proxy.RecordFailure(Id, $"SaslHandshake v{header.ApiVersion} {(_state == State.Authenticated ? "to re-authenticate" : "")}: not served; connection closed");
            return false;
        }
        var mechanism = ProxyFrames.ReadMechanism(request.Span, header);
        var enabled = _proxy.Options.Mechanisms;
        var authenticated = _state == State.Authenticated;
        if (authenticated && SessionExpiry is null)
        {
            // Without session expiry there is no re-authentication: Kafka answers a handshake as an illegal request.
            await WriteAsync(ProxyFrames.HandshakeResponse(header.CorrelationId, ProxyFrames.IllegalSaslState, enabled), cancellationToken).ConfigureAwait(false);
            return true;
        }
        if (!enabled.Contains(mechanism))
        {
            await WriteAsync(ProxyFrames.HandshakeResponse(header.CorrelationId, ProxyFrames.UnsupportedSaslMechanism, enabled), cancellationToken).ConfigureAwait(false);
            _proxy.RecordFailure(Id, $"SaslHandshake for '{mechanism}', which is not enabled: connection closed");
            return false;
        }
        _reauthenticating = authenticated;
        _badReauthenticationMechanism = authenticated && mechanism != _mechanism
            ? $"SASL mechanism '{mechanism}' requested by client is not supported for re-authentication of mechanism '{_mechanism}'"
            : null;
        _session?.Dispose();
        _session = _proxy.StartSession(mechanism);
        if (!authenticated)
        {
            _mechanism = mechanism;
        }
        _state = State.Authenticating;
        _rawTokens = header.ApiVersion == 0;
        await WriteAsync(ProxyFrames.HandshakeResponse(header.CorrelationId, 0, enabled), cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>One token of a SaslHandshake v0 exchange: a bare frame each way; a failure just closes the connection.</summary>
    private async Task<bool> RawTokenAsync(Frame token, CancellationToken cancellationToken)
    {
        var step = _session!.Step(token.Span);
        if (step.Status == SaslStepStatus.Failed)
        {
            _proxy.RecordFailure(Id, step.Failure ?? "authentication failed");
            return false;
        }
        if (step.Status == SaslStepStatus.Complete)
        {
            Complete(0);
        }
        // As Kafka's broker: every step is answered with a frame, an empty one when the server has nothing to say.
        await WriteAsync(ProxyFrames.RawToken(step.Output), cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task<bool> AuthenticateAsync(Frame request, RequestHeaderInfo header, CancellationToken cancellationToken)
    {
        if (header.ApiVersion > _proxy.Options.MaxSaslAuthenticateVersion)
        {
            _proxy.RecordFailure(Id, $"SaslAuthenticate v{header.ApiVersion}, above the advertised v{_proxy.Options.MaxSaslAuthenticateVersion}: connection closed");
            return false;
        }
        var what = _reauthenticating ? "re-authentication" : "authentication";
        if (_badReauthenticationMechanism is { } bad)
        {
            return await FailAsync(header, bad, bad, cancellationToken).ConfigureAwait(false);
        }
        var step = _session!.Step(ProxyFrames.ReadAuthBytes(request.Span, header));
        switch (step.Status)
        {
            case SaslStepStatus.Continue:
                await WriteAsync(ProxyFrames.AuthenticateResponse(header.CorrelationId, header.ApiVersion, 0, null, step.Output, 0), cancellationToken).ConfigureAwait(false);
                return true;
            case SaslStepStatus.Failed:
                // Kafka passes PLAIN's and OAUTHBEARER's own refusals on, and keeps the others' details to itself (they may
                // say whether the user exists).
                var message = _mechanism switch
                {
                    "PLAIN" => "Authentication failed: Invalid username or password",
                    "OAUTHBEARER" when step.Failure is { } failure && failure.StartsWith("Authentication failed", StringComparison.Ordinal) => failure,
                    "OAUTHBEARER" => step.Failure?.Contains("insufficient_scope", StringComparison.Ordinal) == true ? "{\"status\":\"insufficient_scope\"}" : "{\"status\":\"invalid_token\"}",
                    _ => $"Authentication failed during {what} due to invalid credentials with SASL mechanism {_mechanism}",
                };
                return await FailAsync(header, message, step.Failure ?? message, cancellationToken).ConfigureAwait(false);
        }
        var principal = _session.Principal ?? "(unknown)";
        if (_reauthenticating && principal != _principal)
        {
            var changed = $"Cannot change principals during re-authentication from User:{_principal}: User:{principal}";
            return await FailAsync(header, changed, changed, cancellationToken).ConfigureAwait(false);
        }
        var lifetimeMs = Complete(header.ApiVersion);
        await WriteAsync(ProxyFrames.AuthenticateResponse(header.CorrelationId, header.ApiVersion, 0, null, step.Output, lifetimeMs), cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Starts the authenticated session; returns its lifetime in milliseconds (0: none).</summary>
    private long Complete(short authenticateVersion)
    {
        var principal = _session!.Principal ?? "(unknown)";
        var now = _proxy.Options.TimeProvider.GetUtcNow();
        TimeSpan? lifetime = _proxy.Options.SessionLifetime;
        if (_session.CredentialExpiry is { } credentialExpiry)
        {
            var remaining = credentialExpiry - now;
            lifetime = lifetime is { } max && max < remaining ? max : remaining;
        }
        if (lifetime is { } l && l < TimeSpan.Zero)
        {
            lifetime = TimeSpan.Zero;
        }
        SessionExpiry = lifetime is { } length ? now + length : null;
        _principal = principal;
        _state = State.Authenticated;
        _proxy.RecordAuthentication(new SaslProxyAuthentication(_mechanism!, principal, _reauthenticating, lifetime, authenticateVersion,
            _session.Extensions, Id, now));
        return lifetime is { } ms ? (long)ms.TotalMilliseconds : 0;
    }

    private async Task<bool> FailAsync(RequestHeaderInfo header, string toClient, string reason, CancellationToken cancellationToken)
    {
        _proxy.RecordFailure(Id, reason);
        await WriteAsync(ProxyFrames.AuthenticateResponse(header.CorrelationId, header.ApiVersion, ProxyFrames.SaslAuthenticationFailed, toClient, [], 0),
            cancellationToken).ConfigureAwait(false);
        return false;
    }

    /// <summary>Waits until the broker has answered every request relayed so far, so the proxy's own answer comes after them.</summary>
    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        while (!_owed.IsEmpty)
        {
            await _drained.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WriteAsync(byte[] frame, CancellationToken cancellationToken)
    {
        await _clientWrite.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _client.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _clientWrite.Release();
        }
    }

    /// <summary>Relays the broker's responses to the client, adding the SASL APIs to ApiVersions answers.</summary>
    private async Task RelayResponsesAsync(CancellationToken cancellationToken)
    {
        var sizeBuffer = new byte[4];
        var size = new byte[4];
        while (true)
        {
            var frame = await ProxyFrames.ReadAsync(_broker, sizeBuffer, cancellationToken).ConfigureAwait(false);
            if (frame is not { } response)
            {
                // The broker closed: so does the client's connection.
                _client.Dispose();
                return;
            }
            using (response)
            {
                _owed.TryPeek(out var owed);
                byte[]? rewritten = null;
                if (owed.ApiKey == ProxyFrames.ApiVersions)
                {
                    try
                    {
                        rewritten = ProxyFrames.AddSaslApis(response.Span, owed.ApiVersion, _proxy.Options.MaxSaslAuthenticateVersion);
                    }
                    catch (InvalidDataException)
                    {
                        // Not an ApiVersions answer the proxy can read: pass it on as it is.
                    }
                }
                await _clientWrite.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    if (rewritten is not null)
                    {
                        await _client.WriteAsync(rewritten, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(size, response.Length);
                        await _client.WriteAsync(size, cancellationToken).ConfigureAwait(false);
                        await _client.WriteAsync(response.Memory, cancellationToken).ConfigureAwait(false);
                    }
                }
                finally
                {
                    _clientWrite.Release();
                }
                _owed.TryDequeue(out _);
                if (_owed.IsEmpty)
                {
                    _drained.Release();
                }
            }
        }
    }
}
