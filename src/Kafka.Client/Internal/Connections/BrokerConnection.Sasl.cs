using Kafka.Client.Internal.Sasl;
using Kafka.Client.Protocol;
using Microsoft.Extensions.Logging;

namespace Kafka.Client.Internal;

/// <summary>
/// SASL on a connection: authentication while it opens, and re-authentication (KIP-368) before the session the broker
/// granted ends, at a random point between 85% and 95% of it, counted from when the exchange began (the broker counts
/// from when it ended, so the client is never the later of the two). A re-authentication holds the write lock: requests already
/// written keep their place (the broker answers them before the handshake), later ones wait for it, so nothing in
/// flight fails and nothing is reordered. It runs from a timer, or before the next request when the timer is late.
/// </summary>
internal sealed partial class BrokerConnection
{
    private ITimer? _reauthenticationTimer;
    private volatile bool _opened;       // set once the connection is set up and handed out
    private bool _answeredSinceOpened;   // read loop only
    private long _reauthenticateAt = long.MaxValue; // a TimeProvider timestamp; MaxValue: not scheduled

    /// <summary>Whether the session must be renewed before anything else is written.</summary>
    private bool ReauthenticationDue
    {
        get
        {
            var at = Volatile.Read(ref _reauthenticateAt);
            return at != long.MaxValue && _settings.TimeProvider.GetTimestamp() >= at;
        }
    }

    /// <summary>
    /// A SASL listener closes a connection whose first request after ApiVersions is not SaslHandshake. When a client
    /// without SASL sees that, say what it most likely means (Kafka lists the SASL APIs on every listener, so only a hint).
    /// </summary>
    private string MissingSaslHint() =>
        _opened && !_answeredSinceOpened && _settings.Sasl is null && Versions.TryGetRange(ApiKey.SaslHandshake, out _)
            ? " It closed it before answering the first request after ApiVersions: if the listener requires SASL (SASL_PLAINTEXT or SASL_SSL), set Sasl."
            : string.Empty;

    /// <summary>Authenticates a new connection (nothing else uses it yet), within the connect timeout.</summary>
    private async Task AuthenticateAsync(CancellationToken cancellationToken)
    {
        var sasl = _settings.Sasl!;
        if (!Versions.TryNegotiate(KnownApis.SaslHandshake, out _) || !Versions.TryNegotiate(KnownApis.SaslAuthenticate, out _))
        {
            throw new KafkaAuthenticationException(Address.Host, Address.Port,
                $"Broker {DescribeBroker(BrokerId)} at {Address} does not offer SASL (its ApiVersions lists no SaslHandshake v1 and SaslAuthenticate): " +
                $"Sasl is set ({sasl.MechanismName}), so every broker port must be a SASL listener of Kafka 1.0 or later.", sasl.MechanismName);
        }
        var started = _settings.TimeProvider.GetTimestamp();
        var lifetime = await sasl.AuthenticateAsync(new SaslTransport(this, writeLockHeld: false, _settings.ConnectTimeout), Address, DescribeBroker(BrokerId),
            reauthenticating: false, cancellationToken).ConfigureAwait(false);
        ScheduleReauthentication(started, lifetime);
    }

    /// <summary>Renews the session; the caller holds the write lock. A failure closes the connection.</summary>
    private async Task ReauthenticateLockedAsync()
    {
        Volatile.Write(ref _reauthenticateAt, long.MaxValue);
        try
        {
            var started = _settings.TimeProvider.GetTimestamp();
            var lifetime = await _settings.Sasl!.AuthenticateAsync(new SaslTransport(this, writeLockHeld: true, _settings.SocketTimeout), Address, DescribeBroker(BrokerId),
                reauthenticating: true, _lifetime.Token).ConfigureAwait(false);
            ScheduleReauthentication(started, lifetime);
        }
        catch (Exception ex)
        {
            if (IsAlive)
            {
                Log.ReauthenticationFailed(_logger, ex, Kind, BrokerId, Address.ToString());
            }
            Fail(ex);
            ThrowIfFailed();
            throw;
        }
    }

    /// <summary>Schedules the next re-authentication between 85% and 95% of <paramref name="lifetime"/> after <paramref name="started"/>.</summary>
    private void ScheduleReauthentication(long started, TimeSpan lifetime)
    {
        if (lifetime <= TimeSpan.Zero || !IsAlive)
        {
            Volatile.Write(ref _reauthenticateAt, long.MaxValue);
            return;
        }
        var time = _settings.TimeProvider;
        var at = started + (long)(lifetime.TotalSeconds * (0.85 + (Random.Shared.NextDouble() * 0.10)) * time.TimestampFrequency);
        Volatile.Write(ref _reauthenticateAt, at);
        var delay = time.GetElapsedTime(time.GetTimestamp(), at);
        _reauthenticationTimer ??= time.CreateTimer(static s => ((BrokerConnection)s!).OnReauthenticationTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _reauthenticationTimer.Change(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private void OnReauthenticationTimer() => _ = ReauthenticateFromTimerAsync();

    private async Task ReauthenticateFromTimerAsync()
    {
        try
        {
            await _writeLock.WaitAsync(_lifetime.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return; // closed meanwhile
        }
        try
        {
            if (IsAlive && ReauthenticationDue)
            {
                await ReauthenticateLockedAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is KafkaException or OperationCanceledException or ObjectDisposedException)
        {
            // Logged, and the connection closed: the next request reconnects.
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>The requests of one SASL exchange, at the versions negotiated on this connection.</summary>
    private sealed class SaslTransport(BrokerConnection connection, bool writeLockHeld, TimeSpan timeout) : ISaslTransport
    {
        public Task<TResponse> SendAsync<TResponse>(KafkaRequest<TResponse> request, CancellationToken cancellationToken) =>
            connection.SendCoreAsync(request, connection.Versions.Negotiate(request.Api), timeout, runContinuationsInline: false, writeLockHeld, cancellationToken).AsTask();
    }

    private static partial class Log
    {
        [LoggerMessage(66, LogLevel.Warning, "Re-authenticating the {Kind} connection to broker {BrokerId} at {Address} failed; the connection was closed")]
        public static partial void ReauthenticationFailed(ILogger logger, Exception exception, string kind, int brokerId, string address);
    }
}
