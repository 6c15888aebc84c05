using Kafka.Client.Protocol;
using Microsoft.Extensions.Logging;

namespace Kafka.Client.Internal.Groups;

/// <summary>The heartbeat loop: keeps the session alive and tells the main loop what the coordinator says.</summary>
internal sealed partial class GroupMembership
{
    private async Task HeartbeatLoopAsync()
    {
        var token = Stopping;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.HeartbeatInterval, Time, token).ConfigureAwait(false);
                var target = _heartbeatTarget;
                if (target is null)
                {
                    continue;
                }
                if (PartitionCountsChanged())
                {
                    PostRejoin(target, lost: false, resetMemberId: false, "the partition count of a subscribed topic changed");
                }
                if (_coordinator is { } coordinator)
                {
                    await HeartbeatAsync(coordinator, target, token).ConfigureAwait(false);
                }
                CheckSessionExpiry(target);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                Log.HeartbeatLoopError(Logger, ex, GroupId);
            }
        }
    }

    private async Task HeartbeatAsync(CoordinatorConnection coordinator, HeartbeatTarget target, CancellationToken token)
    {
        HeartbeatResponse response;
        try
        {
            response = await SendAsync(coordinator, new HeartbeatRequest
            {
                GroupId = GroupId,
                GenerationId = target.GenerationId,
                MemberId = target.MemberId,
                GroupInstanceId = _options.GroupInstanceId,
            }, SocketTimeout, token).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            return; // The main loop replaced the coordinator meanwhile.
        }
        catch (KafkaException ex) when (!token.IsCancellationRequested)
        {
            if (IsFatal(ex))
            {
                PostFatal(ex);
                return;
            }
            Log.HeartbeatFailed(Logger, GroupId, coordinator.Broker.ToString(), ex.Message);
            PostCoordinatorInvalid(coordinator);
            return;
        }
        if (!ReferenceEquals(_heartbeatTarget, target))
        {
            return; // An answer about a generation the member has left.
        }
        var error = response.ErrorCode;
        if (error is KafkaErrorCode.None or KafkaErrorCode.RebalanceInProgress)
        {
            Interlocked.Exchange(ref _lastHeartbeatAcknowledged, Time.GetTimestamp());
        }
        switch (error)
        {
            case KafkaErrorCode.None:
            case KafkaErrorCode.CoordinatorLoadInProgress:
                break;
            case KafkaErrorCode.RebalanceInProgress:
                PostRejoin(target, lost: false, resetMemberId: false, "the group is rebalancing");
                break;
            case KafkaErrorCode.IllegalGeneration:
                PostRejoin(target, lost: true, resetMemberId: false, $"generation {target.GenerationId} is over");
                break;
            case KafkaErrorCode.UnknownMemberId or KafkaErrorCode.GroupIdNotFound:
                PostRejoin(target, lost: true, resetMemberId: true, "the coordinator does not know the member");
                break;
            case KafkaErrorCode.NotCoordinator or KafkaErrorCode.CoordinatorNotAvailable:
                Log.CoordinatorMoved(Logger, GroupId, coordinator.Broker.ToString(), KafkaErrors.GetName(error));
                PostCoordinatorInvalid(coordinator);
                break;
            default:
                var exception = GroupError(ApiKey.Heartbeat, error);
                if (IsFatal(exception))
                {
                    PostFatal(exception);
                }
                else
                {
                    PostRejoin(target, lost: false, resetMemberId: false, exception.Message);
                }
                break;
        }
    }

    /// <summary>No heartbeat acknowledged for a whole session: the coordinator has surely dropped the member.</summary>
    private void CheckSessionExpiry(HeartbeatTarget target)
    {
        if (target.Expired || !ReferenceEquals(_heartbeatTarget, target))
        {
            return;
        }
        if (Time.GetElapsedTime(Interlocked.Read(ref _lastHeartbeatAcknowledged)) > _options.SessionTimeout)
        {
            target.Expired = true;
            PostRejoin(target, lost: true, resetMemberId: false, "no heartbeat was acknowledged within the session timeout");
        }
    }

    private bool PartitionCountsChanged()
    {
        var counts = _leaderTopicCounts;
        if (counts is null)
        {
            return false;
        }
        var snapshot = Cluster.Snapshot;
        foreach (var (topic, count) in counts)
        {
            if (snapshot.Topics.TryGetValue(topic, out var metadata) && metadata.ErrorCode == KafkaErrorCode.None
                && metadata.Partitions.Count > 0 && metadata.Partitions.Count != count)
            {
                _leaderTopicCounts = null;
                return true;
            }
        }
        return false;
    }
}
