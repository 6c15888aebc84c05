using Kafka.Client.Protocol;

namespace Kafka.Client.Internal;

/// <summary>
/// A request written to a connection and waiting for its response. Continuations run asynchronously so that a
/// caller's code never runs on (and stalls) the connection's read loop.
/// </summary>
internal sealed class PendingRequest : TaskCompletionSource<ResponseFrame>
{
    public PendingRequest(ApiKey apiKey, short version)
        : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        ApiKey = apiKey;
        Version = version;
    }

    public ApiKey ApiKey { get; }

    public short Version { get; }

    public int CorrelationId { get; set; }

    /// <summary>
    /// Called when the caller stopped waiting (cancelled): the response may still arrive, and its pooled
    /// buffer must then go back to the pool.
    /// </summary>
    public void Abandon() =>
        Task.ContinueWith(
            static t => t.Result.Dispose(),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
}
