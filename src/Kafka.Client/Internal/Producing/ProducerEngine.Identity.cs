using Kafka.Client.Protocol;

namespace Kafka.Client.Internal.Producing;

internal sealed partial class ProducerEngine
{
    private readonly AsyncSignal _requestDone = new();
    private volatile bool _idempotent;
    private volatile ProducerIdentity _identity;
    private volatile bool _resetting;
    private int _resetRequested;
    private int _generation;
    private Task _identityTask = Task.CompletedTask;

    /// <summary>The producer id, epoch and generation batches are stamped with now.</summary>
    internal ProducerIdentity Identity => _identity;

    /// <summary>
    /// Asks for a new epoch (or a new producer id) after the broker lost track of this producer's sequences
    /// (OUT_OF_ORDER_SEQUENCE_NUMBER with nothing missing before it, UNKNOWN_PRODUCER_ID, a fenced epoch): sending
    /// pauses, requests in flight finish, then every partition's unsent batches are renumbered from 0 under the new
    /// epoch (KIP-360). Requests from batches stamped before the latest identity are ignored: that reset covers them.
    /// </summary>
    private void RequestIdentityReset(int seenGeneration, string reason)
    {
        if (!_idempotent || seenGeneration != _identity.Generation || Interlocked.CompareExchange(ref _resetRequested, 1, 0) != 0)
        {
            return;
        }
        _resetting = true;
        ProducerLog.IdentityReset(_logger, TopicName, reason);
        var previous = _identity;
        _identityTask = Task.Run(async () =>
        {
            while (Volatile.Read(ref _inFlightRequests) > 0 && !_lifetime.IsCancellationRequested)
            {
                await _requestDone.WaitAsync().ConfigureAwait(false);
            }
            await InitIdentityAsync(previous, reason).ConfigureAwait(false);
        });
    }

    /// <summary>
    /// Gets a producer id (or bumps <paramref name="previous"/>'s epoch) from any broker, retrying with backoff until it
    /// succeeds or the producer stops; then stamps every queued batch. A cluster without InitProducerId turns
    /// idempotence off instead.
    /// </summary>
    private async Task InitIdentityAsync(ProducerIdentity? previous, string reason)
    {
        var attempt = 0;
        var token = _lifetime.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                // Any broker answers InitProducerId for a producer outside transactions; try them in turn.
                var brokers = _cluster.Snapshot.Brokers.Values.ToArray();
                if (brokers.Length == 0)
                {
                    await _cluster.EnsureMetadataAsync(token).ConfigureAwait(false);
                    brokers = _cluster.Snapshot.Brokers.Values.ToArray();
                    if (brokers.Length == 0)
                    {
                        throw new NoBrokersAvailableException([]);
                    }
                }
                var broker = brokers[attempt % brokers.Length];
                var connection = await broker.GetConnectionAsync(ConnectionKind.General, token).ConfigureAwait(false);
                var version = connection.Versions.Negotiate(KnownApis.InitProducerId);
                var request = new InitProducerIdRequest();
                if (previous is { IsIdempotent: true } && version >= 3 && previous.Epoch < short.MaxValue - 1)
                {
                    request.ProducerId = previous.Id;
                    request.ProducerEpoch = previous.Epoch;
                }
                var response = await connection.SendAsync(request, version, RequestTimeout, token).ConfigureAwait(false);
                if (response.ErrorCode == KafkaErrorCode.None)
                {
                    ApplyIdentity(new ProducerIdentity(response.ProducerId, response.ProducerEpoch, Interlocked.Increment(ref _generation)));
                    ProducerLog.IdentityAcquired(_logger, TopicName, response.ProducerId, response.ProducerEpoch);
                    return;
                }
                if (request.ProducerId >= 0 && response.ErrorCode is KafkaErrorCode.InvalidProducerEpoch or KafkaErrorCode.UnknownProducerId
                        or KafkaErrorCode.InvalidProducerIdMapping or KafkaErrorCode.ProducerFenced)
                {
                    // The broker no longer knows that id or epoch: start afresh with a new id.
                    previous = null;
                    continue;
                }
                ProducerLog.IdentityFailed(_logger, TopicName, $"{KafkaErrors.GetName(response.ErrorCode)} ({reason})");
            }
            catch (KafkaVersionException ex)
            {
                DisableIdempotence(ex.Message);
                return;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is KafkaException or IOException)
            {
                ProducerLog.IdentityFailed(_logger, TopicName, ex.Message);
            }
            catch (Exception ex)
            {
                ProducerLog.LoopError(_logger, ex, "producer id", TopicName);
            }
            try
            {
                await Task.Delay(Backoff(++attempt), _time, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Takes the producer id and epoch of the transactional producer this engine belongs to (after InitTransactions or
    /// an abort that bumped the epoch); unsent batches are renumbered from 0. Call only while nothing is in flight.
    /// </summary>
    public void AdoptIdentity(long producerId, short epoch) =>
        ApplyIdentity(new ProducerIdentity(producerId, epoch, Interlocked.Increment(ref _generation)));

    /// <summary>Fails every message not yet sent (a transaction being aborted, a fenced producer); returns how many.</summary>
    public int FailUnsent(Func<string, int, ProducerBatch, KafkaException> error)
    {
        var failed = 0;
        foreach (var queue in _queues)
        {
            failed += FailQueued(queue, batch => error(TopicName, queue.Id, batch));
        }
        return failed;
    }

    /// <summary>Fails the unsent messages of one partition (it could not join the transaction).</summary>
    public void FailUnsent(PartitionQueue queue, KafkaException error) => FailQueued(queue, _ => error);

    private void DisableIdempotence(string reason)
    {
        ProducerLog.IdempotenceDisabled(_logger, TopicName, reason);
        _idempotent = false;
        ApplyIdentity(ProducerIdentity.None(Interlocked.Increment(ref _generation)));
    }

    /// <summary>
    /// Makes <paramref name="identity"/> current and renumbers every partition's unsent batches from sequence 0, in
    /// order. Runs only while nothing is in flight (at start, or after a reset waited for it).
    /// </summary>
    private void ApplyIdentity(ProducerIdentity identity)
    {
        _resetting = true;
        _identity = identity;
        foreach (var queue in _queues)
        {
            lock (queue.Lock)
            {
                var sequence = 0;
                foreach (var batch in queue.Ready)
                {
                    batch.Restamp(identity.Id, identity.Epoch, identity.IsIdempotent ? sequence : -1, identity.Generation);
                    sequence = NextSequence(sequence, batch.Count);
                }
                queue.Open?.Restamp(identity.Id, identity.Epoch, identity.IsIdempotent ? sequence : -1, identity.Generation);
                queue.NextSequence = sequence;
            }
        }
        _resetting = false;
        Volatile.Write(ref _resetRequested, 0);
        WakeAllSenders();
    }
}
