using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kafka.Client.Internal;

/// <summary>
/// A client's TLS material, read and checked once when the client is created, and the handshake each connection
/// runs with it: TLS 1.2 or 1.3; the broker's chain checked against <c>Ssl:CaFile</c> (or the system trust store);
/// the host name checked unless turned off; the client certificate offered when one is configured. Handshake
/// failures become errors that name the broker and say what was wrong.
/// </summary>
internal sealed partial class ClientTls : IDisposable
{
    public const string CaFileKey = nameof(KafkaClientOptions.Ssl) + ":" + nameof(SslConfig.CaFile);
    public const string CertFileKey = nameof(KafkaClientOptions.Ssl) + ":" + nameof(SslConfig.CertFile);
    public const string KeyFileKey = nameof(KafkaClientOptions.Ssl) + ":" + nameof(SslConfig.KeyFile);
    public const string PasswordKey = nameof(KafkaClientOptions.Ssl) + ":" + nameof(SslConfig.Password);
    public const string CheckHostnameKey = nameof(KafkaClientOptions.Ssl) + ":" + nameof(SslConfig.CheckHostname);

    private const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    private readonly X509ChainPolicy? _chainPolicy;
    private readonly SslStreamCertificateContext? _clientContext;
    private readonly X509Certificate2Collection _owned;
    private ILogger _logger = NullLogger.Instance;

    private ClientTls(string? caFile, X509ChainPolicy? chainPolicy, X509Certificate2? clientCertificate,
        SslStreamCertificateContext? clientContext, bool checkHostname, X509Certificate2Collection owned)
    {
        CaFile = caFile;
        _chainPolicy = chainPolicy;
        ClientCertificate = clientCertificate;
        _clientContext = clientContext;
        CheckHostname = checkHostname;
        _owned = owned;
    }

    /// <summary>The full path of the CA file, or null when the system trust store is used.</summary>
    public string? CaFile { get; }

    /// <summary>The client certificate (with its key) offered to brokers that ask for one.</summary>
    public X509Certificate2? ClientCertificate { get; }

    public bool CheckHostname { get; }

    /// <summary>
    /// Reads and checks the files of <paramref name="config"/>; null with the problems added to
    /// <paramref name="errors"/>, each prefixed with its configuration key.
    /// </summary>
    public static ClientTls? Load(SslConfig config, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(config);
        var firstError = errors.Count;
        var owned = new X509Certificate2Collection();
        X509ChainPolicy? policy = null;
        string? caFile = null;

        if (!string.IsNullOrWhiteSpace(config.CaFile) && PemFiles.ReadText(CaFileKey, config.CaFile, errors) is { } caText
            && PemFiles.ReadCertificates(CaFileKey, config.CaFile, caText, errors) is { } authorities)
        {
            owned.AddRange(authorities);
            caFile = Path.GetFullPath(config.CaFile);
            // Only the CA file's certificates are trusted, as OpenSSL's cafile; nothing is fetched from the network
            // and revocation is not checked (pykafka did not check it either).
            policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
                DisableCertificateDownloads = true,
            };
            foreach (var authority in authorities)
            {
                // Self-signed certificates are the roots; others may serve as intermediates.
                (authority.SubjectName.RawData.AsSpan().SequenceEqual(authority.IssuerName.RawData) ? policy.CustomTrustStore : policy.ExtraStore).Add(authority);
            }
            if (policy.CustomTrustStore.Count == 0)
            {
                errors.Add($"{CaFileKey}: '{caFile}' holds no root (self-signed) CA certificate, only intermediates; add the root they chain to.");
            }
        }

        var hasCert = !string.IsNullOrWhiteSpace(config.CertFile);
        var hasKey = !string.IsNullOrWhiteSpace(config.KeyFile);
        if (hasKey && !hasCert)
        {
            errors.Add($"{KeyFileKey}: is set but {CertFileKey} is not; mutual TLS needs the certificate too.");
        }
        if (!hasCert && !hasKey && !string.IsNullOrEmpty(config.Password))
        {
            errors.Add($"{PasswordKey}: is set but there is no private key to decrypt ({CertFileKey} and {KeyFileKey} are not set).");
        }

        X509Certificate2? clientCertificate = null;
        SslStreamCertificateContext? clientContext = null;
        var certText = hasCert ? PemFiles.ReadText(CertFileKey, config.CertFile!, errors) : null;
        var certificates = certText is null ? null : PemFiles.ReadCertificates(CertFileKey, config.CertFile!, certText, errors);
        if (certificates is null && hasCert && hasKey
            && PemFiles.ReadText(KeyFileKey, config.KeyFile!, errors) is { } keyFileText && !PemFiles.HasPrivateKey(keyFileText))
        {
            // The certificate is unusable, but the key file gets checked too, so that every problem is reported at once.
            errors.Add($"{KeyFileKey}: '{Path.GetFullPath(config.KeyFile!)}' holds no PEM private key (PRIVATE KEY, ENCRYPTED PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY).");
        }
        if (certText is not null && certificates is not null)
        {
            owned.AddRange(certificates);
            string? keyText;
            string keyPath;
            if (hasKey)
            {
                keyPath = config.KeyFile!;
                keyText = PemFiles.ReadText(KeyFileKey, keyPath, errors);
            }
            else
            {
                // As OpenSSL's load_cert_chain: without a key file the key is looked for in the certificate file.
                keyPath = config.CertFile!;
                keyText = certText;
                if (!PemFiles.HasPrivateKey(certText))
                {
                    errors.Add($"{KeyFileKey}: is not set and '{Path.GetFullPath(config.CertFile!)}' ({CertFileKey}) holds no private key.");
                    keyText = null;
                }
            }
            if (keyText is not null)
            {
                clientCertificate = PemFiles.Pair(certificates[0], CertFileKey, config.CertFile!, keyText, KeyFileKey, keyPath,
                    config.Password, PasswordKey, errors);
            }
            if (clientCertificate is not null)
            {
                if (OperatingSystem.IsWindows())
                {
                    // SChannel cannot use the ephemeral key CopyWithPrivateKey makes; a PKCS#12 round trip
                    // persists it. OpenSSL (Linux, macOS) uses it as it is.
                    using var ephemeral = clientCertificate;
                    clientCertificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), password: null);
                }
                owned.Add(clientCertificate);
                var intermediates = new X509Certificate2Collection();
                for (var i = 1; i < certificates.Count; i++)
                {
                    intermediates.Add(certificates[i]);
                }
                // Built once: every connection of the client shares it (and the chain it sends).
                clientContext = SslStreamCertificateContext.Create(clientCertificate, intermediates, offline: true);
            }
        }

        if (errors.Count > firstError)
        {
            Dispose(owned);
            return null;
        }
        return new ClientTls(caFile, policy, clientCertificate, clientContext, config.CheckHostname, owned);
    }

    /// <summary>Logs how TLS is set up (once per client, an expired client certificate by the client's clock) and keeps the logger for handshakes.</summary>
    public void UseLogger(ILoggerFactory loggerFactory, TimeProvider timeProvider)
    {
        _logger = loggerFactory.CreateLogger("Kafka.Client.Tls");
        Log.Configured(_logger, CaFile ?? "the system trust store", ClientCertificate?.Subject ?? "none", CheckHostname);
        if (!CheckHostname)
        {
            Log.HostnameCheckOff(_logger, CheckHostnameKey);
        }
        if (ClientCertificate is { } certificate && certificate.NotAfter.ToUniversalTime() < timeProvider.GetUtcNow().UtcDateTime)
        {
            Log.ClientCertificateExpired(_logger, certificate.Subject, certificate.NotAfter.ToUniversalTime());
        }
    }

    /// <summary>
    /// Runs the TLS handshake over <paramref name="transport"/> (which the returned stream then owns). Cancellation
    /// (the connect timeout) passes through as <see cref="OperationCanceledException"/>; any other failure is a
    /// <see cref="KafkaAuthenticationException"/> or a <see cref="KafkaConnectionException"/> naming the broker.
    /// </summary>
    public async Task<SslStream> AuthenticateAsync(Stream transport, HostAddress address, string broker, CancellationToken cancellationToken)
    {
        var check = new PeerCheck(CheckHostname);
        var stream = new SslStream(transport, leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = address.Host,
            EnabledSslProtocols = Protocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = _chainPolicy?.Clone(),
            ClientCertificateContext = _clientContext,
            RemoteCertificateValidationCallback = check.Validate,
        };
        try
        {
            await stream.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw HandshakeFailure(ex, check, address, broker);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        Log.HandshakeCompleted(_logger, broker, address.ToString(), stream.SslProtocol, stream.NegotiatedCipherSuite);
        return stream;
    }

    private KafkaException HandshakeFailure(Exception ex, PeerCheck check, HostAddress address, string broker)
    {
        if (check.Errors != SslPolicyErrors.None)
        {
            return new KafkaAuthenticationException(address.Host, address.Port,
                $"TLS handshake with broker {broker} at {address} failed: {check.Describe(address.Host, CaFile)}.",
                check.Errors, check.ChainStatus, ex);
        }
        if (IsTlsLayerError(ex))
        {
            return new KafkaAuthenticationException(address.Host, address.Port,
                $"TLS handshake with broker {broker} at {address} failed: {Innermost(ex).Message}.{ClientCertificateHint()}",
                innerException: ex);
        }
        if (ex is IOException or SocketException)
        {
            return new KafkaConnectionException(address.Host, address.Port,
                $"Broker {broker} at {address} closed the connection during the TLS handshake ({Innermost(ex).Message}). " +
                $"With Ssl set every broker port must be a TLS listener: is {address} one?", ex);
        }
        return new KafkaConnectionException(address.Host, address.Port,
            $"TLS handshake with broker {broker} at {address} failed: {ex.Message}", ex);
    }

    /// <summary>
    /// Explains a failure of the first exchange after a completed handshake. A broker checks the client's
    /// certificate after the client has finished its side of the handshake (always in TLS 1.3), so a refusal
    /// arrives here: as a TLS alert, or as the connection closing. Null when <paramref name="ex"/> is something
    /// else (a timeout, an error answer).
    /// </summary>
    public KafkaAuthenticationException? RejectedAfterHandshake(Exception ex, HostAddress address, string broker)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is KafkaTimeoutException or KafkaBrokerException or KafkaProtocolException or KafkaVersionException)
            {
                return null;
            }
            if (IsTlsLayerError(e))
            {
                return new KafkaAuthenticationException(address.Host, address.Port,
                    $"Broker {broker} at {address} ended the TLS session right after the handshake: {Innermost(e).Message}.{ClientCertificateHint()}",
                    innerException: ex);
            }
            if (e is KafkaConnectionException { InnerException: null } or SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted })
            {
                var likely = ClientCertificate is null
                    ? $"it most likely requires a client certificate and none is configured (set {CertFileKey} and {KeyFileKey})"
                    : $"it most likely rejected the client certificate '{ClientCertificate.Subject}' (not signed by a CA the broker trusts, expired, or not allowed)";
                return new KafkaAuthenticationException(address.Host, address.Port,
                    $"Broker {broker} at {address} closed the connection right after the TLS handshake, before answering its first request: {likely}.",
                    innerException: ex);
            }
        }
        return null;
    }

    private string ClientCertificateHint() => ClientCertificate is null
        ? $" If the broker requires client certificates, set {CertFileKey} and {KeyFileKey}."
        : string.Empty;

    /// <summary>An error of the TLS layer itself (an alert, a refused handshake), as opposed to the transport's.</summary>
    private static bool IsTlsLayerError(Exception e) =>
        e is AuthenticationException
        || (e is IOException { InnerException: { } inner } && inner is not (IOException or SocketException or ObjectDisposedException or OperationCanceledException));

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }
        return e;
    }

    public void Dispose() => Dispose(_owned);

    private static void Dispose(X509Certificate2Collection certificates)
    {
        foreach (var certificate in certificates)
        {
            certificate.Dispose();
        }
    }

    /// <summary>One connection's check of the broker's certificate; remembers what was wrong for the error message.</summary>
    private sealed class PeerCheck(bool checkHostname)
    {
        private X509Certificate2? _certificate;

        public SslPolicyErrors Errors { get; private set; }

        public X509ChainStatusFlags ChainStatus { get; private set; }

        public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            if (!checkHostname)
            {
                errors &= ~SslPolicyErrors.RemoteCertificateNameMismatch;
            }
            Errors = errors;
            if (errors == SslPolicyErrors.None)
            {
                return true;
            }
            if (chain is not null)
            {
                foreach (var status in chain.ChainStatus)
                {
                    ChainStatus |= status.Status;
                }
            }
            _certificate = certificate is null ? null : new X509Certificate2(certificate);
            return false;
        }

        public string Describe(string host, string? caFile)
        {
            var reasons = new List<string>();
            var subject = _certificate is null ? "its certificate" : $"its certificate '{_certificate.Subject}'";
            if (Errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            {
                reasons.Add("the broker sent no certificate");
            }
            if (Errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            {
                reasons.Add($"{subject} is not for host '{host}' (it names {Names()}); " +
                            $"{CheckHostnameKey} = false turns this check off");
            }
            if (Errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
            {
                var remaining = ChainStatus;
                if (remaining.HasFlag(X509ChainStatusFlags.NotTimeValid))
                {
                    reasons.Add(_certificate is null
                        ? $"{subject} has expired or is not yet valid"
                        : string.Create(CultureInfo.InvariantCulture,
                            $"{subject} has expired or is not yet valid (valid from {_certificate.NotBefore.ToUniversalTime():u} to {_certificate.NotAfter.ToUniversalTime():u})"));
                    remaining &= ~X509ChainStatusFlags.NotTimeValid;
                }
                if ((remaining & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0)
                {
                    reasons.Add($"{subject} is not signed by a trusted CA ({(caFile is null ? "the system trust store" : $"the CAs in {CaFileKey} '{caFile}'")})");
                    remaining &= ~(X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain);
                }
                if (remaining != X509ChainStatusFlags.NoError)
                {
                    reasons.Add($"{subject} failed the chain check ({remaining})");
                }
                if (ChainStatus == X509ChainStatusFlags.NoError)
                {
                    reasons.Add($"{subject} failed the chain check");
                }
            }
            return string.Join("; ", reasons);
        }

        private string Names()
        {
            var names = new List<string>();
            if (_certificate is not null)
            {
                foreach (var extension in _certificate.Extensions)
                {
                    if (extension is X509SubjectAlternativeNameExtension san)
                    {
                        names.AddRange(san.EnumerateDnsNames());
                        names.AddRange(san.EnumerateIPAddresses().Select(ip => ip.ToString()));
                    }
                }
                if (names.Count == 0)
                {
                    names.Add(_certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
                }
            }
            return names.Count == 0 ? "no host" : string.Join(", ", names);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(30, LogLevel.Information, "TLS is on: broker certificates are checked against {Trust}; client certificate: {ClientCertificate}; host-name check: {CheckHostname}")]
        public static partial void Configured(ILogger logger, string trust, string clientCertificate, bool checkHostname);

        [LoggerMessage(31, LogLevel.Warning, "Host-name checking is off ({Key} = false): any certificate a trusted CA signed is accepted for any broker")]
        public static partial void HostnameCheckOff(ILogger logger, string key);

        [LoggerMessage(32, LogLevel.Warning, "The client certificate {Subject} expired on {NotAfter:u}; brokers will refuse it")]
        public static partial void ClientCertificateExpired(ILogger logger, string subject, DateTime notAfter);

        [LoggerMessage(33, LogLevel.Debug, "TLS with broker {Broker} at {Address}: {Protocol}, {CipherSuite}")]
        public static partial void HandshakeCompleted(ILogger logger, string broker, string address, SslProtocols protocol, TlsCipherSuite cipherSuite);
    }
}
