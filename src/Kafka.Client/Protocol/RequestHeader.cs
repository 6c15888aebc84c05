namespace Kafka.Client.Protocol;

/// <summary>Writes the header that starts every request (after the size prefix the connection adds).</summary>
internal static class RequestHeader
{
    /// <summary>
    /// Writes a request header. v0 has only key, version and correlation id; v1 adds the client id; v2 (used by
    /// flexible versions) adds an empty tagged-field section. The client id stays a classic int16-length string
    /// even in v2, so that a broker can read the header of any ApiVersions request, whatever its version.
    /// </summary>
    public static void Write(KafkaWriter w, ApiKey apiKey, short apiVersion, int correlationId, string? clientId, short headerVersion)
    {
        ArgumentNullException.ThrowIfNull(w);
        if ((ushort)headerVersion > 2)
        {
            throw new ArgumentOutOfRangeException(nameof(headerVersion), headerVersion, "Request header versions are 0, 1 and 2.");
        }
        w.WriteInt16((short)apiKey);
        w.WriteInt16(apiVersion);
        w.WriteInt32(correlationId);
        if (headerVersion >= 1)
        {
            w.WriteNullableString(clientId, compact: false);
        }
        if (headerVersion >= 2)
        {
            w.WriteEmptyTaggedFields();
        }
    }
}
