namespace Kafka.Testing.Internal.Sasl;

/// <summary>What one step of a server-side SASL exchange gave.</summary>
internal enum SaslStepStatus
{
    /// <summary>The server sent a challenge and waits for the client's next token.</summary>
    Continue,

    /// <summary>The client is authenticated; the output (possibly empty) is the server's last message.</summary>
    Complete,

    /// <summary>The client is refused (wrong credentials, unknown user, a malformed token).</summary>
    Failed,
}

/// <summary>One step's result: the status, the server's token, and why it failed.</summary>
internal readonly record struct SaslStepResult(SaslStepStatus Status, byte[] Output, string? Failure = null)
{
    public static SaslStepResult Fail(string reason) => new(SaslStepStatus.Failed, [], reason);
}

/// <summary>The server side of one SASL exchange on one connection.</summary>
internal interface ISaslServerSession : IDisposable
{
    /// <summary>Feeds the client's next token (the first call gets the initial response).</summary>
    SaslStepResult Step(ReadOnlySpan<byte> clientToken);

    /// <summary>Who the client authenticated as, once the exchange is complete.</summary>
    string? Principal { get; }

    /// <summary>When the credential expires (an OAUTHBEARER token's <c>exp</c>), if it does.</summary>
    DateTimeOffset? CredentialExpiry { get; }

    /// <summary>The SASL extensions the client sent (OAUTHBEARER), if any.</summary>
    IReadOnlyDictionary<string, string> Extensions { get; }
}

/// <summary>A source of server sessions for the mechanisms one proxy enables.</summary>
internal interface ISaslServerFactory : IDisposable
{
    ISaslServerSession Start(string mechanism);
}
