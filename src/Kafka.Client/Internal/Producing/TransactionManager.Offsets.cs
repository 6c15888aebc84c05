using Kafka.Client.Protocol;

namespace Kafka.Client.Internal.Producing;

/// <summary>
/// The transaction manager's SendOffsetsToTransaction: the group joins the transaction (AddOffsetsToTxn, or implicitly
/// in transactions V2) and its offsets are committed in it (TxnOffsetCommit).
/// </summary>
internal sealed partial class TransactionManager
{
    public async Task SendOffsetsAsync(IReadOnlyDictionary<TopicAndPartition, long> offsets, ConsumerGroupMetadata group, CancellationToken cancellationToken)
    {
        bool addGroup;
        lock (_lock)
        {
            ThrowIfFenced();
            if (_state == TransactionState.AbortableError)
            {
                throw MustAbort("cannot take offsets");
            }
            if (_state != TransactionState.InTransaction)
            {
                throw new InvalidOperationException($"Transactional producer '{TransactionalId}': no transaction is open; call BeginTransaction before sending offsets.");
            }
            addGroup = !_groupsAdded.Contains(group.GroupId);
        }
        try
        {
            // In transactions V2, TxnOffsetCommit v5 adds the group itself; a group coordinator without v5 still needs AddOffsetsToTxn.
            var implicitGroup = _v2 && addGroup && await GroupCoordinatorServesV2Async(group.GroupId, cancellationToken).ConfigureAwait(false);
            if (implicitGroup)
            {
                lock (_lock)
                {
                    _groupsAdded.Add(group.GroupId);
                    _registered = true;
                }
            }
            else if (addGroup)
            {
                await CoordinatorCallAsync($"adding the offsets of group '{group.GroupId}' to the transaction", async (broker, token) =>
                {
                    var (pid, epoch) = ProducerId!.Value;
                    var response = await broker.SendAsync(ConnectionKind.General, new AddOffsetsToTxnRequest
                    {
                        TransactionalId = TransactionalId, ProducerId = pid, ProducerEpoch = epoch, GroupId = group.GroupId,
                    }, token).ConfigureAwait(false);
                    return response.ErrorCode;
                }, cancellationToken).ConfigureAwait(false);
                lock (_lock)
                {
                    _groupsAdded.Add(group.GroupId);
                    _registered = true;
                }
            }
            await CommitOffsetsAsync(offsets, group, cancellationToken).ConfigureAwait(false);
        }
        catch (KafkaTransactionException ex) when (ex.RequiresAbort)
        {
            OnMessagesFailed(ex);
            throw;
        }
    }

    private async Task CommitOffsetsAsync(IReadOnlyDictionary<TopicAndPartition, long> offsets, ConsumerGroupMetadata group, CancellationToken cancellationToken)
    {
        var topics = offsets.GroupBy(o => o.Key.Topic, StringComparer.Ordinal)
            .Select(g => (g.Key, (IReadOnlyList<(int, long, int, string?)>)[.. g.Select(o => (o.Key.Partition, o.Value, -1, (string?)null))]))
            .ToList();
        Broker? coordinator = null;
        await RetryAsync($"committing offsets of group '{group.GroupId}' in the transaction", async token =>
        {
            coordinator ??= await GroupCoordinatorAsync(group.GroupId, token).ConfigureAwait(false);
            var (pid, epoch) = ProducerId!.Value;
            TxnOffsetCommitResponse response;
            try
            {
                var connection = await coordinator.GetConnectionAsync(ConnectionKind.General, token).ConfigureAwait(false);
                var version = connection.Versions.Negotiate(KnownApis.TxnOffsetCommit);
                if (!_v2)
                {
                    version = Math.Min(version, MaxTxnOffsetCommitVersionV1);
                }
                response = await connection.SendAsync(new TxnOffsetCommitRequest
                {
                    TransactionalId = TransactionalId, GroupId = group.GroupId, ProducerId = pid, ProducerEpoch = epoch,
                    GenerationId = group.GenerationId, MemberId = group.MemberId, GroupInstanceId = group.GroupInstanceId, Topics = topics,
                }, (short)version, coordinator.TimeoutFor(ConnectionKind.General), token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or KafkaException { IsRetriable: true })
            {
                ForgetGroupCoordinator(group.GroupId);
                coordinator = null;
                throw;
            }
            var failed = response.Results.FirstOrDefault(r => r.ErrorCode != KafkaErrorCode.None);
            var code = failed?.ErrorCode ?? KafkaErrorCode.None;
            if (code is KafkaErrorCode.NotCoordinator or KafkaErrorCode.CoordinatorNotAvailable)
            {
                ForgetGroupCoordinator(group.GroupId);
                coordinator = null;
            }
            return code;
        }, cancellationToken).ConfigureAwait(false);
    }
}
