namespace Kafka.Client.Protocol;

/// <summary>
/// A request message and the codec of its response. One class serves every version the client speaks:
/// <see cref="Write"/> and <see cref="ReadResponse"/> take the negotiated version and write or read exactly the
/// fields that version has. The request header is written by the connection, not here.
/// </summary>
/// <typeparam name="TResponse">The decoded response.</typeparam>
internal abstract class KafkaRequest<TResponse>
{
    /// <summary>The API this request belongs to, with the versions the client implements.</summary>
    public abstract ApiInfo Api { get; }

    /// <summary>False for requests the broker does not answer (Produce with acks = 0).</summary>
    public virtual bool ExpectsResponse => true;

    /// <summary>Writes the request body (everything after the request header) at <paramref name="version"/>.</summary>
    public abstract void Write(KafkaWriter writer, short version);

    /// <summary>Reads the response body (everything after the response header) at <paramref name="version"/>.</summary>
    public abstract TResponse ReadResponse(ref KafkaReader reader, short version);
}
