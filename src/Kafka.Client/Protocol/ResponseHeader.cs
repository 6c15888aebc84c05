namespace Kafka.Client.Protocol;

/// <summary>Reads the header that starts every response frame.</summary>
internal static class ResponseHeader
{
    /// <summary>
    /// Reads a response header and returns its correlation id. v1 (flexible versions, except ApiVersions; see
    /// <see cref="ApiInfo.ResponseHeaderVersion"/>) ends with tagged fields, which are skipped.
    /// </summary>
    public static int Read(ref KafkaReader r, short headerVersion)
    {
        if ((ushort)headerVersion > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(headerVersion), headerVersion, "Response header versions are 0 and 1.");
        }
        var correlationId = r.ReadInt32();
        if (headerVersion == 1)
        {
            r.SkipTaggedFields();
        }
        return correlationId;
    }
}
