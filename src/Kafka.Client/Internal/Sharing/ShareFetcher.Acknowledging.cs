using Kafka.Client.Protocol;
using Microsoft.Extensions.Logging;

namespace Kafka.Client.Internal.Sharing;

/// <summary>Sending acknowledgements in a ShareAcknowledge, and the brokers' refusals.</summary>
internal sealed partial class ShareFetcher
{
    private const int MaxFailuresKept = 1000;

    private void ReportRefused(SharePartition state, KafkaErrorCode error, string? message, long[] offsets)
    {
        var failure = new ShareAcknowledgementFailure(state.Topic, state.Partition, error, message ?? KafkaErrors.GetDescription(error), offsets);
        lock (_lock)
        {
            // Kept for the next CommitAsync; a consumer that never calls it keeps only the latest (each is logged too).
            if (_failures.Count == MaxFailuresKept)
            {
                _failures.RemoveAt(0);
            }
            _failures.Add(failure);
        }
        Log.AcknowledgementRefused(_logger, GroupId, state.Topic, state.Partition, offsets.Length, KafkaErrors.GetName(error));
    }

    /// <summary>Sends a session's pending acknowledgements with ShareAcknowledge; with <paramref name="close"/> also closes the session.</summary>
    private async Task AcknowledgeAsync(ShareSession session, bool close, CancellationToken token)
    {
        try
        {
            await session.Gate.WaitAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        try
        {
            if (session.Epoch > 0)
            {
                await SendAcknowledgementsAsync(session, close, only: null, token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is KafkaException or OperationCanceledException)
        {
            Log.AcknowledgeFailed(_logger, GroupId, session.Broker.ToString(), ex.Message);
        }
        finally
        {
            session.Gate.Release();
        }
    }

    /// <summary>One ShareAcknowledge on a session (the caller holds its gate; its epoch is above 0).</summary>
    private async Task SendAcknowledgementsAsync(ShareSession session, bool close, Func<SharePartition, bool>? only, CancellationToken token)
    {
        var sent = new List<(SharePartition Partition, List<ShareAcknowledgementBatch> Batches, long[] Offsets)>();
        lock (_lock)
        {
            foreach (var partition in _partitions.Values)
            {
                if (partition.SessionBrokerId == session.Broker.Id && partition.Pending.Count > 0 && (only is null || only(partition)))
                {
                    sent.Add((partition, partition.TakePending(out var offsets), offsets));
                }
            }
        }
        if (sent.Count == 0 && !close)
        {
            return;
        }
        var request = new ShareAcknowledgeRequest
        {
            GroupId = GroupId,
            MemberId = MemberId,
            ShareSessionEpoch = close ? ShareFetchRequest.CloseEpoch : session.Epoch,
            Topics = [.. sent.GroupBy(s => s.Partition.TopicId).Select(g => new ShareTopicAcknowledgements(g.Key,
                [.. g.Select(s => new SharePartitionAcknowledgements(s.Partition.Partition, s.Batches))]))],
        };
        ShareAcknowledgeResponse response;
        try
        {
            var connection = await session.Slot.GetAsync(token).ConfigureAwait(false);
            response = await connection.SendAsync(request, _cluster.Settings.SocketTimeout, token).ConfigureAwait(false);
        }
        catch
        {
            Restore(sent);
            session.Reset();
            throw;
        }
        if (response.ErrorCode != KafkaErrorCode.None)
        {
            Restore(sent);
            session.Reset();
            throw new KafkaBrokerException(response.ErrorCode,
                $"Share group '{GroupId}': {session.Broker} refused ShareAcknowledge with {KafkaErrors.GetName(response.ErrorCode)}: {response.ErrorMessage ?? KafkaErrors.GetDescription(response.ErrorCode)}");
        }
        lock (_lock)
        {
            if (close)
            {
                session.Reset();
            }
            else
            {
                session.Epoch++;
            }
        }
        foreach (var topic in response.Topics)
        {
            foreach (var partition in topic.Partitions)
            {
                if (partition.ErrorCode == KafkaErrorCode.None)
                {
                    continue;
                }
                var match = sent.FirstOrDefault(s => s.Partition.TopicId == topic.TopicId && s.Partition.Partition == partition.PartitionIndex);
                if (match.Partition is not null)
                {
                    ReportRefused(match.Partition, partition.ErrorCode, partition.ErrorMessage, match.Offsets);
                }
            }
        }
    }
}
