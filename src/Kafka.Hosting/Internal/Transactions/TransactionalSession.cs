using Kafka.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Kafka.Hosting.Internal;

/// <summary>
/// One life of a transactional consumer: a <see cref="TransactionalProducer"/> (initialized first, which fences older
/// instances with the same transactional id) and a <see cref="BalancedConsumer"/> that stores and commits nothing by
/// itself. Each consume call's messages are one transaction: split by partition, each partition's run handed to the
/// handler (partitions side by side, up to <see cref="HostedConsumerOptions.MaxConcurrency"/>), then the runs' next
/// offsets sent to the transaction with the member's group metadata and the transaction committed. When a handler
/// throws or the transaction cannot commit, it is aborted and the consumer is moved back to the runs' first offsets,
/// so the same messages come again in a later transaction.
/// </summary>
/// <remarks>
/// A revocation waits for the transaction in progress to end (commit or abort), so partitions are given up only
/// between transactions; a member that lost its partitions (or its generation) cannot commit offsets over their new
/// owner, because the group coordinator checks the generation sent with the offsets (KIP-447).
/// </remarks>
internal sealed class TransactionalSession
{
    private readonly TransactionalConsumerContext _context;
    private readonly TransactionalConsumerOptions _options;
    private readonly CancellationToken _abortHandling;
    private readonly SemaphoreSlim _round = new(1, 1);
    private readonly Lock _lock = new();
    private readonly HashSet<TopicAndPartition> _owned = [];
    private readonly Dictionary<TopicAndPartition, long> _stopped = [];
    private readonly Dictionary<TopicAndPartition, Suspect> _failures = [];
    private readonly TaskCompletionSource<BalancedConsumer> _consumerReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _committed;
    private long _aborted;
    private bool _failing;

    public TransactionalSession(TransactionalConsumerContext context, CancellationToken abortHandling)
    {
        _context = context;
        _options = context.Options;
        _abortHandling = abortHandling;
    }

    /// <summary>The session's member, once created.</summary>
    public BalancedConsumer? Consumer => _consumerReady.Task.IsCompletedSuccessfully ? _consumerReady.Task.Result : null;

    /// <summary>Transactions committed so far.</summary>
    public long Committed => Interlocked.Read(ref _committed);

    /// <summary>Transactions aborted so far.</summary>
    public long Aborted => Interlocked.Read(ref _aborted);

    /// <summary>The partitions owned now.</summary>
    public IReadOnlyList<TopicAndPartition> Partitions
    {
        get
        {
            lock (_lock)
            {
                return [.. _owned.Order()];
            }
        }
    }

    /// <summary>Partitions stopped because their handler kept failing, with the offset they stopped at.</summary>
    public IReadOnlyDictionary<TopicAndPartition, long> Stopped
    {
        get
        {
            lock (_lock)
            {
                return new Dictionary<TopicAndPartition, long>(_stopped);
            }
        }
    }

    /// <summary>
    /// Runs until <paramref name="stopping"/> or a failure (thrown after cleaning up): a transaction in progress
    /// finishes (its handlers until the host's shutdown timeout), then the consumer leaves the group and the producer
    /// is disposed, which aborts a transaction still open.
    /// </summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        var client = _context.Runtime.Client;
        var producer = client.GetTransactionalProducer(ProducerOptions());
        await using (producer.ConfigureAwait(false))
        {
            await producer.InitTransactionsAsync(stopping).ConfigureAwait(false);
            var consumer = client.Cluster.GetBalancedConsumer(_context.Topics, _context.Group, ConsumerOptions());
            _consumerReady.SetResult(consumer);
            TransactionalConsumerLog.Started(_context.Logger, _context.TopicsText, _context.Group, _context.TransactionalId);
            try
            {
                await ConsumeAsync(consumer, producer, stopping).ConfigureAwait(false);
            }
            finally
            {
                try
                {
                    await consumer.DisposeAsync().ConfigureAwait(false); // commits nothing: nothing is stored
                }
                catch (Exception ex) when (ex is KafkaException or ObjectDisposedException)
                {
                    HostedConsumerLog.CloseFailed(_context.Logger, ex, _context.TopicsText, _context.Group);
                }
            }
        }
    }

    private ProducerOptions ProducerOptions()
    {
        var options = _options.Producer.Clone();
        options.TransactionalId = _context.TransactionalId;
        return options;
    }

    /// <summary>The member's options: the user's, committing nothing by itself, with the session's partition callbacks first.</summary>
    private BalancedConsumerOptions ConsumerOptions() =>
        HostedMemberOptions.Create(_options.Consumer, OnAssignedAsync, p => GiveUpAsync(p, waitForTransaction: true), p => GiveUpAsync(p, waitForTransaction: false));

    private Task OnAssignedAsync(IReadOnlyList<TopicAndPartition> partitions)
    {
        lock (_lock)
        {
            _owned.UnionWith(partitions);
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// Partitions are given up: a revocation first lets the transaction in progress end (waiting at most
    /// <see cref="HostedConsumerOptions.DrainTimeout"/>), so that its offsets commit while the member still owns them; lost partitions (another member may own them already) are dropped at once,
    /// and the transaction in progress cannot commit their offsets (the coordinator refuses the old generation).
    /// </summary>
    private async Task GiveUpAsync(IReadOnlyList<TopicAndPartition> partitions, bool waitForTransaction)
    {
        // At most DrainTimeout: a transaction stuck longer (a handler that ignores its token, a coordinator that does
        // not answer) must not hold the group's rebalance; its commit then fails on the old generation and aborts.
        var gate = waitForTransaction && await _round.WaitAsync(_options.DrainTimeout, CancellationToken.None).ConfigureAwait(false);
        try
        {
            lock (_lock)
            {
                foreach (var partition in partitions)
                {
                    _owned.Remove(partition);
                    _stopped.Remove(partition);
                    _failures.Remove(partition);
                }
            }
        }
        finally
        {
            if (gate)
            {
                _round.Release();
            }
        }
    }

    private async Task ConsumeAsync(BalancedConsumer consumer, TransactionalProducer producer, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            MessageBatch batch;
            try
            {
                batch = await consumer.ConsumeBatchAsync(_options.MaxBatchSize, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (KafkaConsumeException ex)
            {
                HostedConsumerLog.PartitionError(_context.Logger, _context.TopicsText, _context.Group, ex.Message);
                continue;
            }
            if (batch.Count == 0)
            {
                continue;
            }
            await _round.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            TimeSpan backoff;
            try
            {
                backoff = await TransactAsync(consumer, producer, batch).ConfigureAwait(false);
            }
            finally
            {
                _round.Release();
            }
            if (backoff > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(backoff, _context.Time, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }

    /// <summary>One transaction over one consume call's messages; returns how long to wait before the next when it was aborted.</summary>
    private async Task<TimeSpan> TransactAsync(BalancedConsumer consumer, TransactionalProducer producer, MessageBatch batch)
    {
        var runs = Split(batch);
        try
        {
            if (runs.Count == 0)
            {
                return TimeSpan.Zero;
            }
            producer.BeginTransaction();
            var failures = await HandleAsync(producer, runs).ConfigureAwait(false);
            if (failures.Count > 0)
            {
                if (failures.Select(f => f.Error).OfType<ProducerFencedException>().FirstOrDefault() is { } fenced)
                {
                    throw fenced;
                }
                await AbortAsync(consumer, producer, runs).ConfigureAwait(false);
                TransactionalConsumerLog.HandlerFailed(_context.Logger, failures[0].Error, batch.Count, _context.TopicsText, _context.Group,
                    Describe(runs), string.Join(", ", failures.Select(f => f.Partition)));
                return Blame(consumer, runs, failures);
            }
            var offsets = new Dictionary<TopicAndPartition, long>(runs.Count);
            foreach (var (partition, run) in runs)
            {
                offsets[partition] = run[run.Count - 1].Offset + 1;
            }
            try
            {
                await producer.SendOffsetsToTransactionAsync(offsets, consumer.GroupMetadata, _abortHandling).ConfigureAwait(false);
                await producer.CommitTransactionAsync(_abortHandling).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is KafkaTransactionException or KafkaTimeoutException or ProduceFailureException)
            {
                await AbortAsync(consumer, producer, runs).ConfigureAwait(false);
                if (!_failing)
                {
                    _failing = true;
                    TransactionalConsumerLog.CommitFailed(_context.Logger, ex, batch.Count, _context.TopicsText, _context.Group, Describe(runs));
                }
                return _options.HandlerRetryDelay;
            }
            Interlocked.Increment(ref _committed);
            lock (_lock)
            {
                foreach (var (partition, next) in offsets)
                {
                    Acquit(partition, next);
                }
            }
            if (_failing)
            {
                _failing = false;
                TransactionalConsumerLog.Recovered(_context.Logger, _context.TopicsText, _context.Group);
            }
            return TimeSpan.Zero;
        }
        finally
        {
            foreach (var (_, run) in runs)
            {
                run.Dispose();
            }
        }
    }

    /// <summary>
    /// The batch's messages of partitions this member owns and has not stopped: one retained run per partition, in
    /// offset order. A consume call can take a partition's messages in several runs (one per fetched chunk, between
    /// other partitions' runs); they are joined, so that the handler gets all of a partition's messages of the
    /// transaction at once, and a failure is counted against, and the abort moves the partition back to, its first.
    /// </summary>
    private List<(TopicAndPartition Partition, MessageBatch Run)> Split(MessageBatch batch)
    {
        var slices = new List<(TopicAndPartition Partition, int Start, int Count)>();
        var start = 0;
        for (var i = 1; i <= batch.Count; i++)
        {
            if (i < batch.Count && batch[i].PartitionId == batch[start].PartitionId && string.Equals(batch[i].Topic, batch[start].Topic, StringComparison.Ordinal))
            {
                continue;
            }
            var partition = new TopicAndPartition(batch[start].Topic, batch[start].PartitionId);
            bool take;
            lock (_lock)
            {
                take = _owned.Contains(partition) && !_stopped.ContainsKey(partition);
            }
            if (take)
            {
                slices.Add((partition, start, i - start));
            }
            start = i;
        }
        var runs = new List<(TopicAndPartition, MessageBatch)>(slices.Count);
        for (var i = 0; i < slices.Count; i++)
        {
            var (partition, first, count) = slices[i];
            if (slices.FindIndex(s => s.Partition == partition) < i)
            {
                continue; // joined to the partition's first slice
            }
            var more = slices.Skip(i + 1).Where(s => s.Partition == partition).ToList();
            runs.Add((partition, more.Count == 0 ? batch.Retain(first, count) : Join(batch, [(partition, first, count), .. more])));
        }
        return runs;
    }

    /// <summary>One retained batch of a partition's slices of <paramref name="batch"/>, in their order.</summary>
    private static MessageBatch Join(MessageBatch batch, List<(TopicAndPartition Partition, int Start, int Count)> slices)
    {
        var pieces = new MessageBatch[slices.Count];
        try
        {
            for (var i = 0; i < slices.Count; i++)
            {
                pieces[i] = batch.Retain(slices[i].Start, slices[i].Count);
            }
            return MessageBatch.Combine(pieces);
        }
        finally
        {
            foreach (var piece in pieces)
            {
                piece?.Dispose();
            }
        }
    }

    /// <summary>Runs the handler for every run, up to <see cref="HostedConsumerOptions.MaxConcurrency"/> at once; returns the failures.</summary>
    private async Task<List<(TopicAndPartition Partition, Exception Error)>> HandleAsync(
        TransactionalProducer producer, List<(TopicAndPartition Partition, MessageBatch Run)> runs)
    {
        var transaction = new KafkaTransaction(producer);
        var failures = new List<(TopicAndPartition, Exception)>();
        if (runs.Count == 1 || _options.MaxConcurrency == 1)
        {
            foreach (var (partition, run) in runs)
            {
                if (await CallAsync(run, transaction).ConfigureAwait(false) is { } error)
                {
                    failures.Add((partition, error));
                }
            }
            return failures;
        }
        using var slots = new SemaphoreSlim(_options.MaxConcurrency);
        var calls = runs.Select(async r =>
        {
            await slots.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                return (r.Partition, Error: await CallAsync(r.Run, transaction).ConfigureAwait(false));
            }
            finally
            {
                slots.Release();
            }
        }).ToList();
        foreach (var (partition, error) in await Task.WhenAll(calls).ConfigureAwait(false))
        {
            if (error is not null)
            {
                failures.Add((partition, error));
            }
        }
        return failures;
    }

    private async Task<Exception?> CallAsync(MessageBatch run, KafkaTransaction transaction)
    {
        try
        {
            var scope = _context.Scopes.CreateAsyncScope();
            await using (scope.ConfigureAwait(false))
            {
                var handler = _context.ResolveHandler(scope.ServiceProvider);
                await handler.HandleAsync(run, transaction, _abortHandling).ConfigureAwait(false);
            }
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    /// <summary>Aborts the transaction and moves the consumer back to the runs' first offsets, so that they come again.</summary>
    private async Task AbortAsync(BalancedConsumer consumer, TransactionalProducer producer, List<(TopicAndPartition Partition, MessageBatch Run)> runs)
    {
        Interlocked.Increment(ref _aborted);
        await producer.AbortTransactionAsync(_abortHandling).ConfigureAwait(false);
        var rewind = new Dictionary<TopicAndPartition, long>(runs.Count);
        var owned = consumer.Assignment.ToHashSet();
        foreach (var (partition, run) in runs)
        {
            if (owned.Contains(partition))
            {
                rewind[partition] = run[0].Offset;
            }
        }
        if (rewind.Count == 0)
        {
            return;
        }
        try
        {
            // Moves the positions back, then commits them: the offsets the last committed transaction left.
            await consumer.ResetOffsetsAsync(rewind, _abortHandling).ConfigureAwait(false);
        }
        catch (KafkaOffsetCommitException)
        {
            // The positions moved; the commit of offsets the group already holds is not needed.
        }
        catch (ArgumentException)
        {
            // A partition was given up meanwhile; its next owner starts from the committed offset.
        }
    }

    /// <summary>
    /// Counts a failure against each failed partition's run; a partition that failed more than
    /// <see cref="HostedConsumerOptions.HandlerMaxRetryAttempts"/> times is stopped at the run's first offset (paused
    /// until the next rebalance or restart). A failure counts against the messages that may have caused it: the
    /// failed run's, narrowed to those of the earlier failed runs it shares (<see cref="Suspect"/>), so a retry whose
    /// run is shorter or longer (the messages re-fetched in other pieces) keeps counting. Returns the backoff:
    /// <see cref="HostedConsumerOptions.HandlerRetryDelay"/>, doubling per failure of the same messages, with jitter.
    /// </summary>
    private TimeSpan Blame(BalancedConsumer consumer, List<(TopicAndPartition Partition, MessageBatch Run)> runs, List<(TopicAndPartition Partition, Exception Error)> failures)
    {
        var most = 1;
        var stop = new List<TopicAndPartition>();
        lock (_lock)
        {
            foreach (var (partition, _) in failures)
            {
                var run = runs.First(r => r.Partition == partition).Run;
                var (first, last) = (run[0].Offset, run[run.Count - 1].Offset);
                var suspect = _failures.TryGetValue(partition, out var known) && first <= known.Last && last >= known.First
                    ? new Suspect(Math.Max(first, known.First), Math.Min(last, known.Last), known.Failures + 1)
                    : new Suspect(first, last, 1);
                _failures[partition] = suspect;
                if (suspect.Failures > _options.HandlerMaxRetryAttempts && _owned.Contains(partition))
                {
                    _stopped[partition] = first;
                    _failures.Remove(partition);
                    stop.Add(partition);
                    TransactionalConsumerLog.PartitionStopped(_context.Logger, partition.ToString(), _context.Group, first, suspect.Failures);
                }
                else
                {
                    most = Math.Max(most, suspect.Failures);
                }
            }
        }
        if (stop.Count > 0)
        {
            consumer.Pause(stop);
        }
        var jitter = 0.75 + (Random.Shared.NextDouble() / 2);
        return _options.HandlerRetryDelay * Math.Pow(2, Math.Min(most - 1, 10)) * jitter;
    }

    /// <summary>
    /// A partition's messages before <paramref name="next"/> committed (caller holds the lock): they did not cause its
    /// failures, which stay counted against the suspects after them; once every suspect committed, the count ends.
    /// </summary>
    private void Acquit(TopicAndPartition partition, long next)
    {
        if (!_failures.TryGetValue(partition, out var suspect))
        {
            return;
        }
        if (next > suspect.Last)
        {
            _failures.Remove(partition);
        }
        else if (next > suspect.First)
        {
            _failures[partition] = suspect with { First = next };
        }
    }

    /// <summary>The offsets of a partition's messages its failures are counted against, and how many failures.</summary>
    private readonly record struct Suspect(long First, long Last, int Failures);

    private static string Describe(List<(TopicAndPartition Partition, MessageBatch Run)> runs) =>
        string.Join(", ", runs.Select(r => $"{r.Partition}@{r.Run[0].Offset}"));
}
