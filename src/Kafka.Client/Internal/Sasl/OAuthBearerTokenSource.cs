using Microsoft.Extensions.Logging;

namespace Kafka.Client.Internal.Sasl;

/// <summary>
/// Holds the client's current OAUTHBEARER token and asks the provider for a new one when none is held, or when the held
/// one has passed 80% of its life (as Kafka's login refresh does), so that every connection authenticating or
/// re-authenticating after that point sends a fresh token. Concurrent connections share one call to the provider. When a
/// refresh fails and the held token has not expired, it goes on being used (and the failure is logged).
/// </summary>
internal sealed partial class OAuthBearerTokenSource
{
    private const double RefreshAt = 0.8;

    /// <summary>How long one call to the provider may take before it is cancelled.</summary>
    public static readonly TimeSpan ProviderTimeout = TimeSpan.FromMinutes(1);

    private readonly Func<CancellationToken, ValueTask<OAuthBearerToken>> _provider;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private ILogger _logger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    private Held? _held;
    private Task<OAuthBearerToken>? _fetching;

    public OAuthBearerTokenSource(Func<CancellationToken, ValueTask<OAuthBearerToken>> provider, TimeProvider time)
    {
        _provider = provider;
        _time = time;
    }

    public void UseLogger(ILogger logger) => _logger = logger;

    /// <summary>A token to authenticate with now.</summary>
    /// <exception cref="KafkaException">The provider failed (or returned an expired token) and no valid token is held.</exception>
    public async Task<OAuthBearerToken> GetAsync(CancellationToken cancellationToken)
    {
        Task<OAuthBearerToken> fetch;
        Held? held;
        lock (_gate)
        {
            held = _held;
            var now = _time.GetUtcNow();
            if (held is not null && now < held.RefreshAfter)
            {
                return held.Token;
            }
            fetch = _fetching ??= FetchAsync();
        }
        try
        {
            return await fetch.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && held is not null && _time.GetUtcNow() < held.Token.Expiration)
        {
            Log.RefreshFailed(_logger, ex, held.Token.Principal ?? "(unknown)", held.Token.Expiration);
            return held.Token;
        }
    }

    private async Task<OAuthBearerToken> FetchAsync()
    {
        await Task.Yield();
        try
        {
            OAuthBearerToken token;
            // Not a caller's token: a shared fetch must not be cancelled by the first caller giving up. Bounded, so that a
            // provider that never answers does not hold every later authentication.
            using var limit = new CancellationTokenSource(ProviderTimeout, _time);
            try
            {
                token = await _provider(limit.Token).ConfigureAwait(false)
                    ?? throw new KafkaException("The OAUTHBEARER token provider (Sasl:OAuthBearerTokenProvider) returned no token.", isRetriable: true);
            }
            catch (OperationCanceledException ex) when (limit.IsCancellationRequested)
            {
                throw new KafkaException(
                    $"The OAUTHBEARER token provider (Sasl:OAuthBearerTokenProvider) did not return a token within {ProviderTimeout.TotalSeconds:0} s.", isRetriable: true, ex);
            }
            catch (Exception ex) when (ex is not KafkaException)
            {
                throw new KafkaException($"The OAUTHBEARER token provider (Sasl:OAuthBearerTokenProvider) failed: {ex.Message}", isRetriable: true, ex);
            }
            var now = _time.GetUtcNow();
            if (token.Expiration <= now)
            {
                throw new KafkaException(
                    $"The OAUTHBEARER token provider returned a token that expired at {token.Expiration:O} (now {now:O}).", isRetriable: true);
            }
            var held = new Held(token, now + ((token.Expiration - now) * RefreshAt));
            lock (_gate)
            {
                _held = held;
            }
            Log.TokenFetched(_logger, token.Principal ?? "(unknown)", token.Expiration);
            return token;
        }
        finally
        {
            lock (_gate)
            {
                _fetching = null;
            }
        }
    }

    private sealed record Held(OAuthBearerToken Token, DateTimeOffset RefreshAfter);

    private static partial class Log
    {
        [LoggerMessage(60, LogLevel.Debug, "OAUTHBEARER: new token for {Principal}, expiring at {Expiration:O}")]
        public static partial void TokenFetched(ILogger logger, string principal, DateTimeOffset expiration);

        [LoggerMessage(61, LogLevel.Warning, "OAUTHBEARER: fetching a new token failed; the current one for {Principal} is used until it expires at {Expiration:O}")]
        public static partial void RefreshFailed(ILogger logger, Exception exception, string principal, DateTimeOffset expiration);
    }
}
