using System.Security.Cryptography;
using System.Text;

namespace Kafka.Client.Internal.Sasl;

/// <summary>PLAIN (RFC 4616): one message, <c>authzid NUL authcid NUL password</c>, with an empty authzid as Kafka's clients send.</summary>
internal sealed class PlainExchange(string username, string password) : SaslExchange
{
    private byte[]? _message;

    public override byte[] Start()
    {
        var user = Encoding.UTF8.GetBytes(username);
        var secret = Encoding.UTF8.GetBytes(password);
        _message = new byte[2 + user.Length + secret.Length];
        user.CopyTo(_message, 1);
        secret.CopyTo(_message, 2 + user.Length);
        CryptographicOperations.ZeroMemory(secret);
        return _message;
    }

    // The broker answers PLAIN with success or an error, nothing to check.
    public override byte[]? Next(ReadOnlySpan<byte> serverMessage) => null;

    public override void Dispose()
    {
        if (_message is not null)
        {
            CryptographicOperations.ZeroMemory(_message);
        }
    }
}
