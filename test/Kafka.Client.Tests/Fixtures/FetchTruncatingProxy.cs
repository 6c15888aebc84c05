using System.Buffers.Binary;

namespace Kafka.Client.Tests.Fixtures;

/// <summary>
/// A TCP proxy in front of one broker that, once armed, cuts the next Fetch response carrying records in the middle
/// and closes the connection: a truncated response as a network failure produces it.
/// </summary>
internal sealed class FetchTruncatingProxy : InterceptingProxy
{
    private const short FetchKey = 1;
    private int _armed;

    public FetchTruncatingProxy(string host, int port)
        : base(host, port) => Start();

    public int Truncated { get; private set; }

    /// <summary>The next Fetch response larger than <paramref name="minimumSize"/> bytes is cut.</summary>
    public void Arm() => Volatile.Write(ref _armed, 1);

    protected override async Task ForwardResponseAsync(short apiKey, byte[] frame, Stream client)
    {
        if (apiKey == FetchKey && frame.Length > 200 && Interlocked.CompareExchange(ref _armed, 0, 1) == 1)
        {
            Truncated++;
            var size = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(size, frame.Length);
            await client.WriteAsync(size, Stopping);
            await client.WriteAsync(frame.AsMemory(0, frame.Length / 2), Stopping);
            await client.FlushAsync(Stopping);
            throw new IOException("truncated on purpose");
        }
        await WriteFrameAsync(client, frame);
    }
}
