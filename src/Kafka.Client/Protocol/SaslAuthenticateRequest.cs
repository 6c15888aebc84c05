namespace Kafka.Client.Protocol;

/// <summary>
/// SaslAuthenticate (key 36): carries one SASL token from the client and the broker's answer. v0–v2: v1 adds the
/// session lifetime to the response (KIP-368, re-authentication), v2 is flexible.
/// </summary>
/// <remarks>
/// The token may hold a secret (PLAIN's password, a bearer token). The request keeps it only until it is written, and
/// nothing here logs or formats it.
/// </remarks>
internal sealed class SaslAuthenticateRequest : KafkaRequest<SaslAuthenticateResponse>
{
    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.SaslAuthenticate;

    /// <summary>The client's SASL token for this step.</summary>
    public ReadOnlyMemory<byte> AuthBytes { get; set; }

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        writer.WriteBytes(AuthBytes.Span, flexible);
        writer.WriteEmptyTaggedFieldsIf(flexible);
    }

    /// <inheritdoc/>
    public override SaslAuthenticateResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        var errorCode = (KafkaErrorCode)reader.ReadInt16();
        var errorMessage = reader.ReadNullableString(flexible);
        var authBytes = reader.ReadBytes(flexible).ToArray();
        var sessionLifetimeMs = version >= 1 ? reader.ReadInt64() : 0;
        reader.SkipTaggedFieldsIf(flexible);
        return new SaslAuthenticateResponse(errorCode, errorMessage, authBytes, sessionLifetimeMs);
    }
}

/// <summary>The broker's answer to <see cref="SaslAuthenticateRequest"/>.</summary>
/// <param name="ErrorCode">None, or SASL_AUTHENTICATION_FAILED (then the broker closes the connection).</param>
/// <param name="ErrorMessage">The broker's reason, when it failed.</param>
/// <param name="AuthBytes">The broker's SASL token for this step (a challenge, or the final server message).</param>
/// <param name="SessionLifetimeMs">
/// v1+: how long the authenticated session lasts before the connection must re-authenticate; 0 for no limit.
/// </param>
internal sealed record SaslAuthenticateResponse(KafkaErrorCode ErrorCode, string? ErrorMessage, byte[] AuthBytes, long SessionLifetimeMs);
