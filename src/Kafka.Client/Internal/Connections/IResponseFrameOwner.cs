namespace Kafka.Client.Internal;

/// <summary>
/// A response that keeps the frame it was read from, so that it can hand out slices of it (fetched records) instead
/// of copies. The connection gives it the frame after decoding; the response disposes it when it is disposed.
/// </summary>
internal interface IResponseFrameOwner
{
    /// <summary>Takes ownership of <paramref name="frame"/>.</summary>
    void TakeFrame(ResponseFrame frame);
}
