using Kafka.Client;
using Kafka.Hosting.Internal;

namespace Kafka.Hosting;

/// <summary>
/// The background metadata refresh of one registered client, as seen from outside: a view of its
/// <see cref="KafkaClient.Status"/> (when it last succeeded, how it failed) and a way to ask for an early refresh.
/// Resolve it like the client (keyed by the client's name for a named client). It reads state only, never builds the
/// client for that, and never talks to the cluster.
/// </summary>
public sealed class KafkaClusterStatus
{
    private readonly KafkaClientRuntime _runtime;

    internal KafkaClusterStatus(KafkaClientRuntime runtime) => _runtime = runtime;

    /// <summary>The client's name (empty for the default client).</summary>
    public string ClientName => _runtime.Name;

    /// <summary>When a metadata refresh last succeeded; <see langword="null"/> until one has.</summary>
    public DateTimeOffset? LastSuccessfulRefresh => Status?.LastSuccessfulRefresh;

    /// <summary>When a metadata refresh last failed; <see langword="null"/> if none has.</summary>
    public DateTimeOffset? LastFailedRefresh => Status?.LastFailedRefresh;

    /// <summary>Why the latest refresh failed; <see langword="null"/> when it succeeded (or none has run).</summary>
    public Exception? LastError => Status?.LastError;

    /// <summary>How many refreshes in a row have failed (0 after a success).</summary>
    public int ConsecutiveFailures => Status?.ConsecutiveFailures ?? 0;

    /// <summary>How many refreshes have run, successful or not.</summary>
    public long RefreshCount => Status?.RefreshCount ?? 0;

    /// <summary>
    /// Asks the client for a refresh now rather than at the next interval (<see cref="KafkaClient.RequestRefresh"/>).
    /// Requests are coalesced, and two refreshes start at least <see cref="KafkaClientOptions.MinRefreshGap"/> apart.
    /// The client asks by itself when it meets a stale leader or an unknown broker.
    /// </summary>
    /// <param name="reason">Why, for the logs.</param>
    public void RequestRefresh(string? reason = null) => _runtime.Client.RequestRefresh(reason);

    /// <summary>
    /// Completes when the refresh running now, or else the next one, ends, whether it succeeds or fails. To wait for a
    /// condition on the status, call this first and look at the status after (see <see cref="KafkaClientStatus.WaitForNextRefreshAsync"/>).
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes after that refresh.</returns>
    public Task WaitForNextRefreshAsync(CancellationToken cancellationToken = default) =>
        _runtime.Client.Status.WaitForNextRefreshAsync(cancellationToken);

    private KafkaClientStatus? Status => _runtime.CreatedClient?.Status;
}
