using System.Security.Cryptography;
using Kafka.Client.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kafka.Client.Internal.Sasl;

/// <summary>Sends one request of a SASL exchange on the connection being authenticated.</summary>
internal interface ISaslTransport
{
    Task<TResponse> SendAsync<TResponse>(KafkaRequest<TResponse> request, CancellationToken cancellationToken);
}

/// <summary>
/// A client's SASL settings, checked once when the client is created and shared by every connection, and the exchange
/// each connection runs with them: SaslHandshake, then SaslAuthenticate until the mechanism is satisfied. Failures become
/// <see cref="KafkaAuthenticationException"/>s naming the broker and the mechanism, never a secret.
/// </summary>
internal sealed partial class ClientSasl
{
    private readonly SaslConfig _config;
    private readonly ScramKeyCache _scramKeys = new();
    private readonly OAuthBearerTokenSource? _tokens;
    private ILogger _logger = NullLogger.Instance;

    private ClientSasl(SaslConfig config, TimeProvider time)
    {
        _config = config;
        Mechanism = config.Mechanism!.Value;
        MechanismName = NameOf(Mechanism);
        if (Mechanism == SaslMechanism.OAuthBearer)
        {
            _tokens = new OAuthBearerTokenSource(config.OAuthBearerTokenProvider!, time);
        }
    }

    public SaslMechanism Mechanism { get; }

    /// <summary>The mechanism as SASL names it on the wire.</summary>
    public string MechanismName { get; }

    /// <summary>The SASL settings of validated options (see <see cref="SaslValidation"/>), or null without SASL.</summary>
    public static ClientSasl? Create(KafkaClientOptions options, TimeProvider time) =>
        options.Sasl is { } config ? new ClientSasl(config.Clone(), time) : null;

    public static string NameOf(SaslMechanism mechanism) => SaslMechanismNames.ToKafkaName(mechanism);

    /// <summary>Logs how SASL is set up (once per client) and keeps the logger for authentications.</summary>
    public void UseLogger(ILoggerFactory loggerFactory, bool tls)
    {
        _logger = loggerFactory.CreateLogger("Kafka.Client.Sasl");
        _tokens?.UseLogger(_logger);
        Log.Configured(_logger, MechanismName, _config.Username ?? "(none)");
        if (!tls && Mechanism is SaslMechanism.Plain or SaslMechanism.OAuthBearer)
        {
            Log.SecretInClear(_logger, MechanismName);
        }
    }

    /// <summary>
    /// Authenticates the connection: SaslHandshake, then the mechanism's tokens in SaslAuthenticate requests.
    /// Returns the session lifetime the broker granted (zero: no limit).
    /// </summary>
    public async Task<TimeSpan> AuthenticateAsync(ISaslTransport transport, HostAddress address, string broker, bool reauthenticating, CancellationToken cancellationToken)
    {
        var handshake = await transport.SendAsync(new SaslHandshakeRequest { Mechanism = MechanismName }, cancellationToken).ConfigureAwait(false);
        if (handshake.ErrorCode == KafkaErrorCode.UnsupportedSaslMechanism)
        {
            throw Failure(address,
                $"Broker {broker} at {address} does not enable SASL mechanism {MechanismName} (Sasl:Mechanism = {Mechanism}); it enables: " +
                (handshake.Mechanisms.Count == 0 ? "none" : string.Join(", ", handshake.Mechanisms)) + ".");
        }
        if (handshake.ErrorCode != KafkaErrorCode.None)
        {
            throw Failure(address, $"Broker {broker} at {address} refused the SASL handshake for {MechanismName}: {KafkaErrors.GetName(handshake.ErrorCode)}.");
        }

        using var exchange = await CreateExchangeAsync(address, cancellationToken).ConfigureAwait(false);
        var what = reauthenticating ? "re-authenticate" : "authenticate";
        byte[]? token;
        try
        {
            token = exchange.Start();
        }
        catch (SaslExchangeException ex)
        {
            throw Failure(address, $"Could not {what} to broker {broker} at {address} with {MechanismName}: {ex.Message}.", ex);
        }
        while (true)
        {
            SaslAuthenticateResponse response;
            try
            {
                response = await transport.SendAsync(new SaslAuthenticateRequest { AuthBytes = token }, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(token);
            }
            if (response.ErrorCode != KafkaErrorCode.None)
            {
                var reason = string.IsNullOrEmpty(response.ErrorMessage) ? KafkaErrors.GetName(response.ErrorCode) : response.ErrorMessage;
                var refusal = exchange.RefusalDetail is { } detail ? $" (it answered the token with {detail})" : string.Empty;
                throw Failure(address,
                    $"Broker {broker} at {address} refused to {what} {Who()} with {MechanismName}: {reason}{refusal}. " +
                    "The client does not retry this in a loop; fix the credentials or the broker's configuration.");
            }
            try
            {
                token = exchange.Next(response.AuthBytes);
            }
            catch (SaslExchangeException ex)
            {
                throw Failure(address, $"Could not {what} to broker {broker} at {address} with {MechanismName}: {ex.Message}.", ex);
            }
            if (token is null)
            {
                var lifetime = TimeSpan.FromMilliseconds(Math.Max(0, response.SessionLifetimeMs));
                if (reauthenticating)
                {
                    Log.Reauthenticated(_logger, broker, address.ToString(), MechanismName, (long)lifetime.TotalMilliseconds);
                }
                else
                {
                    Log.Authenticated(_logger, broker, address.ToString(), MechanismName, Who(), (long)lifetime.TotalMilliseconds);
                }
                return lifetime;
            }
        }
    }

    private async Task<SaslExchange> CreateExchangeAsync(HostAddress address, CancellationToken cancellationToken)
    {
        switch (Mechanism)
        {
            case SaslMechanism.Plain:
                return new PlainExchange(_config.Username!, _config.Password!);
            case SaslMechanism.ScramSha256:
                return new ScramExchange(HashAlgorithmName.SHA256, _config.Username!, _config.Password!, _scramKeys);
            case SaslMechanism.ScramSha512:
                return new ScramExchange(HashAlgorithmName.SHA512, _config.Username!, _config.Password!, _scramKeys);
            case SaslMechanism.OAuthBearer:
                OAuthBearerToken token;
                try
                {
                    token = await _tokens!.GetAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (KafkaException ex) when (ex is not KafkaAuthenticationException)
                {
                    throw new KafkaAuthenticationException(address.Host, address.Port,
                        $"Could not authenticate to {address} with OAUTHBEARER: {ex.Message}", MechanismName, ex);
                }
                return OAuthBearerMechanism.CreateExchange(token);
            default:
                try
                {
                    return new GssapiExchange(_config.KerberosServiceName, address.Host, _config.Username, _config.Password);
                }
                catch (Exception ex) when (ex is PlatformNotSupportedException or DllNotFoundException or TypeInitializationException)
                {
                    throw Failure(address, $"Kerberos (GSSAPI) is not available on this machine: {ex.Message}", ex);
                }
        }
    }

    private string Who() => _config.Username is { Length: > 0 } user ? $"as '{user}'" : "the client";

    private KafkaAuthenticationException Failure(HostAddress address, string message, Exception? inner = null) =>
        new(address.Host, address.Port, message, MechanismName, inner);

    private static partial class Log
    {
        [LoggerMessage(62, LogLevel.Information, "SASL is on: mechanism {Mechanism}, user {User}")]
        public static partial void Configured(ILogger logger, string mechanism, string user);

        [LoggerMessage(63, LogLevel.Warning, "SASL {Mechanism} without TLS: the broker and anyone on the network path can read the credentials; set Ssl")]
        public static partial void SecretInClear(ILogger logger, string mechanism);

        [LoggerMessage(64, LogLevel.Debug, "Authenticated to broker {Broker} at {Address} with {Mechanism} {Who}; session lifetime {LifetimeMs} ms (0: none)")]
        public static partial void Authenticated(ILogger logger, string broker, string address, string mechanism, string who, long lifetimeMs);

        [LoggerMessage(65, LogLevel.Debug, "Re-authenticated to broker {Broker} at {Address} with {Mechanism}; session lifetime {LifetimeMs} ms")]
        public static partial void Reauthenticated(ILogger logger, string broker, string address, string mechanism, long lifetimeMs);
    }
}
