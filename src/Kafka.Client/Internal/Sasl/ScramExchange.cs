using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Kafka.Client.Internal.Sasl;

/// <summary>
/// SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka runs them: no channel binding (<c>n,,</c>), the password
/// as UTF-8 without SASLprep (as Kafka's own credentials are computed), a 32-byte nonce from the system's CSPRNG, PBKDF2
/// from <see cref="Rfc2898DeriveBytes"/>, and the server's signature verified: a broker that cannot prove it knows the
/// password is refused.
/// </summary>
internal sealed class ScramExchange : SaslExchange
{
    /// <summary>Kafka's (and RFC 7677's) minimum iteration count; Kafka's clients refuse fewer.</summary>
    public const int MinIterations = 4096;

    /// <summary>A hostile broker could ask for billions of iterations; more than this is refused.</summary>
    public const int MaxIterations = 1_000_000;

    private const string Gs2Header = "n,,";

    private readonly HashAlgorithmName _hash;
    private readonly string _username;
    private readonly string _password;
    private readonly ScramKeyCache _keys;
    private string? _clientFirstBare;
    private string? _clientNonce;
    private byte[]? _expectedServerSignature;
    private bool _done;

    /// <param name="hash">SHA-256 or SHA-512.</param>
    /// <param name="username">The user.</param>
    /// <param name="password">The password.</param>
    /// <param name="keys">The client's derived keys, shared by its connections.</param>
    /// <param name="clientNonce">For tests replaying a published exchange only; otherwise a fresh random nonce.</param>
    public ScramExchange(HashAlgorithmName hash, string username, string password, ScramKeyCache keys, string? clientNonce = null)
    {
        _hash = hash;
        _username = username;
        _password = password;
        _keys = keys;
        _clientNonce = clientNonce;
    }

    public override byte[] Start()
    {
        _clientNonce ??= Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        _clientFirstBare = "n=" + EscapeName(_username) + ",r=" + _clientNonce;
        return Encoding.UTF8.GetBytes(Gs2Header + _clientFirstBare);
    }

    public override byte[]? Next(ReadOnlySpan<byte> serverMessage)
    {
        if (_done)
        {
            throw new SaslExchangeException("the broker sent another SCRAM message after the final one");
        }
        return _expectedServerSignature is null ? ClientFinal(serverMessage) : CheckServerFinal(serverMessage);
    }

    private byte[] ClientFinal(ReadOnlySpan<byte> serverFirstBytes)
    {
        var serverFirst = Encoding.UTF8.GetString(serverFirstBytes);
        var attributes = Parse(serverFirst, "server-first-message");
        if (attributes.ContainsKey('m'))
        {
            throw new SaslExchangeException("the broker's server-first-message has a mandatory extension (m=) this client does not know");
        }
        if (!attributes.TryGetValue('r', out var nonce) || !nonce.StartsWith(_clientNonce!, StringComparison.Ordinal) || nonce.Length == _clientNonce!.Length)
        {
            throw new SaslExchangeException("the broker's nonce does not extend the client's (r=): not a SCRAM answer to this exchange");
        }
        if (!attributes.TryGetValue('s', out var saltText) || !TryBase64(saltText, out var salt) || salt.Length == 0)
        {
            throw new SaslExchangeException("the broker's server-first-message has no valid salt (s=)");
        }
        if (!attributes.TryGetValue('i', out var iterationsText)
            || !int.TryParse(iterationsText, NumberStyles.None, CultureInfo.InvariantCulture, out var iterations))
        {
            throw new SaslExchangeException("the broker's server-first-message has no valid iteration count (i=)");
        }
        if (iterations is < MinIterations or > MaxIterations)
        {
            throw new SaslExchangeException(string.Create(CultureInfo.InvariantCulture,
                $"the broker asked for {iterations} PBKDF2 iterations; this client accepts {MinIterations} to {MaxIterations}"));
        }

        var clientFinalWithoutProof = "c=" + Convert.ToBase64String(Encoding.ASCII.GetBytes(Gs2Header)) + ",r=" + nonce;
        var authMessage = Encoding.UTF8.GetBytes(_clientFirstBare + "," + serverFirst + "," + clientFinalWithoutProof);
        var (clientKey, serverKey) = _keys.Get(_hash, _password, salt, iterations);
        var storedKey = CryptographicOperations.HashData(_hash, clientKey);
        var clientSignature = CryptographicOperations.HmacData(_hash, storedKey, authMessage);
        var proof = new byte[clientKey.Length];
        for (var i = 0; i < proof.Length; i++)
        {
            proof[i] = (byte)(clientKey[i] ^ clientSignature[i]);
        }
        _expectedServerSignature = CryptographicOperations.HmacData(_hash, serverKey, authMessage);
        CryptographicOperations.ZeroMemory(storedKey);
        CryptographicOperations.ZeroMemory(clientSignature);
        var final = Encoding.UTF8.GetBytes(clientFinalWithoutProof + ",p=" + Convert.ToBase64String(proof));
        CryptographicOperations.ZeroMemory(proof);
        return final;
    }

    private byte[]? CheckServerFinal(ReadOnlySpan<byte> serverFinalBytes)
    {
        var attributes = Parse(Encoding.UTF8.GetString(serverFinalBytes), "server-final-message");
        if (attributes.TryGetValue('e', out var error))
        {
            throw new SaslExchangeException($"the broker refused the proof: {error}");
        }
        if (!attributes.TryGetValue('v', out var verifier) || !TryBase64(verifier, out var signature))
        {
            throw new SaslExchangeException("the broker's server-final-message has no server signature (v=)");
        }
        if (!CryptographicOperations.FixedTimeEquals(signature, _expectedServerSignature))
        {
            throw new SaslExchangeException(
                "the broker's server signature is wrong: it could not prove it knows the password (a broker impersonated, or credentials that differ on the broker)");
        }
        _done = true;
        return null;
    }

    /// <summary>SCRAM's saslname: '=' and ',' escaped as =3D and =2C.</summary>
    private static string EscapeName(string name) => name.Replace("=", "=3D", StringComparison.Ordinal).Replace(",", "=2C", StringComparison.Ordinal);

    private static Dictionary<char, string> Parse(string message, string what)
    {
        var attributes = new Dictionary<char, string>();
        foreach (var part in message.Split(','))
        {
            if (part.Length < 2 || part[1] != '=' || !char.IsAsciiLetter(part[0]))
            {
                throw new SaslExchangeException($"the broker's {what} is malformed");
            }
            attributes.TryAdd(part[0], part[2..]);
        }
        return attributes;
    }

    private static bool TryBase64(string text, out byte[] bytes)
    {
        bytes = new byte[(text.Length * 3 / 4) + 3];
        if (Convert.TryFromBase64String(text, bytes, out var written))
        {
            bytes = bytes[..written];
            return true;
        }
        bytes = [];
        return false;
    }

    public override void Dispose()
    {
        if (_expectedServerSignature is not null)
        {
            CryptographicOperations.ZeroMemory(_expectedServerSignature);
        }
    }
}

/// <summary>
/// The SCRAM keys a client derived last (ClientKey, ServerKey), by salt and iteration count: a broker keeps one salt per
/// user, so every connection after the first skips PBKDF2. Kept in memory only, never logged.
/// </summary>
internal sealed class ScramKeyCache
{
    private readonly Lock _gate = new();
    private Entry? _entry;

    public (byte[] ClientKey, byte[] ServerKey) Get(HashAlgorithmName hash, string password, byte[] salt, int iterations)
    {
        lock (_gate)
        {
            if (_entry is { } e && e.Hash == hash && e.Iterations == iterations && e.Salt.AsSpan().SequenceEqual(salt))
            {
                return (e.ClientKey, e.ServerKey);
            }
        }
        var length = hash == HashAlgorithmName.SHA512 ? 64 : 32;
        var secret = Encoding.UTF8.GetBytes(password);
        var salted = Rfc2898DeriveBytes.Pbkdf2(secret, salt, iterations, hash, length);
        CryptographicOperations.ZeroMemory(secret);
        var clientKey = CryptographicOperations.HmacData(hash, salted, "Client Key"u8);
        var serverKey = CryptographicOperations.HmacData(hash, salted, "Server Key"u8);
        CryptographicOperations.ZeroMemory(salted);
        lock (_gate)
        {
            _entry = new Entry(hash, salt, iterations, clientKey, serverKey);
        }
        return (clientKey, serverKey);
    }

    private sealed record Entry(HashAlgorithmName Hash, byte[] Salt, int Iterations, byte[] ClientKey, byte[] ServerKey);
}
