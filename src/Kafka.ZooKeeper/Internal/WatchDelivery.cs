using Microsoft.Extensions.Logging;

namespace Kafka.ZooKeeper.Internal;

/// <summary>Runs the callbacks of one watch event on the dispatcher; one callback's failure does not stop the others.</summary>
internal sealed class WatchDelivery(WatchedEvent watchedEvent, Action<WatchedEvent>[] watchers) : DispatchItem
{
    public override void Dispatch(ILogger logger)
    {
        foreach (var watcher in watchers)
        {
            try
            {
                watcher(watchedEvent);
            }
#pragma warning disable CA1031 // A user callback must not take the event loop down.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                logger.WatcherFailed(watchedEvent.Path, ex);
            }
        }
    }
}
