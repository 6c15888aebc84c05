namespace Kafka.Client.Protocol;

/// <summary>
/// SaslHandshake (key 17): names the SASL mechanism the client wants; the broker answers with the mechanisms it
/// enables. v1 only: the tokens then travel in <see cref="SaslAuthenticateRequest"/>s (v0 sent them as raw frames, and
/// Kafka 1.0 and later speak v1). Never flexible.
/// </summary>
internal sealed class SaslHandshakeRequest : KafkaRequest<SaslHandshakeResponse>
{
    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.SaslHandshake;

    /// <summary>The mechanism, as SASL names it (<c>PLAIN</c>, <c>SCRAM-SHA-256</c>, <c>OAUTHBEARER</c>, <c>GSSAPI</c>).</summary>
    public string Mechanism { get; set; } = string.Empty;

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        writer.WriteString(Mechanism, compact: false);
    }

    /// <inheritdoc/>
    public override SaslHandshakeResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var errorCode = (KafkaErrorCode)reader.ReadInt16();
        var count = reader.ReadCount(compact: false, minElementSize: 2);
        var mechanisms = new string[count];
        for (var i = 0; i < mechanisms.Length; i++)
        {
            mechanisms[i] = reader.ReadString(compact: false);
        }
        return new SaslHandshakeResponse(errorCode, mechanisms);
    }
}

/// <summary>The broker's answer to <see cref="SaslHandshakeRequest"/>.</summary>
/// <param name="ErrorCode">None, or UNSUPPORTED_SASL_MECHANISM (then the broker closes the connection).</param>
/// <param name="Mechanisms">The mechanisms the broker enables on this listener.</param>
internal sealed record SaslHandshakeResponse(KafkaErrorCode ErrorCode, IReadOnlyList<string> Mechanisms);
