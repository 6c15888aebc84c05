using Kafka.Client.Protocol;

namespace Kafka.Client.Internal.Consuming;

/// <summary>
/// A fetch response shared by the chunks cut from it: each chunk's messages may be slices of its frame, so the frame
/// goes back to the pool only when the last chunk (and the fetch loop itself) let go of it.
/// </summary>
internal sealed class SharedFetchResponse
{
    private readonly FetchResponse _response;
    private int _references = 1;

    public SharedFetchResponse(FetchResponse response) => _response = response;

    public FetchResponse Response => _response;

    public void AddReference() => Interlocked.Increment(ref _references);

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            _response.Dispose();
        }
    }
}
