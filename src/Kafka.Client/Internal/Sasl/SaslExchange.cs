namespace Kafka.Client.Internal.Sasl;

/// <summary>
/// The client side of one SASL exchange on one connection: the first token, then an answer to each of the broker's
/// messages until the client is satisfied. Secrets it holds are cleared on <see cref="Dispose"/>.
/// </summary>
internal abstract class SaslExchange : IDisposable
{
    /// <summary>The client's first token (SASL's initial response).</summary>
    public abstract byte[] Start();

    /// <summary>
    /// Reads the broker's message: returns the client's next token, or <see langword="null"/> when the exchange is complete
    /// on the client's side.
    /// </summary>
    /// <exception cref="SaslExchangeException">The broker's message is malformed, or fails the client's checks (a SCRAM
    /// server signature that does not prove the broker knows the password).</exception>
    public abstract byte[]? Next(ReadOnlySpan<byte> serverMessage);

    /// <summary>What the broker said before it refused the client (OAUTHBEARER's error status), for the error message.</summary>
    public virtual string? RefusalDetail => null;

    public virtual void Dispose()
    {
    }
}

/// <summary>The client refuses to go on with a SASL exchange; the message says why and never holds a secret.</summary>
internal sealed class SaslExchangeException(string message, Exception? innerException = null) : Exception(message, innerException);
