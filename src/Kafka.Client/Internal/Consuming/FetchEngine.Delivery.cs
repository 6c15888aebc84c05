using System.Runtime.CompilerServices;

namespace Kafka.Client.Internal.Consuming;

/// <summary>
/// Handing messages out, one at a time (<see cref="ConsumeAsync"/>) or in the engine's one reused batch
/// (<see cref="ConsumeBatchAsync"/>), round-robin over the partitions that have data, and releasing the chunks whose
/// messages were all handed out once the next call begins (the lifetime rule). One consumer thread calls these at a
/// time; the fetch loops fill the cursors under the engine's lock.
/// </summary>
internal sealed partial class FetchEngine
{
    private readonly Queue<PartitionCursor> _ready = new();
    private readonly MessageBatch _batch = new();
    private readonly List<FetchSource> _batchWakes = []; // the consumer's thread only (one caller at a time)
    private readonly AsyncSignal _dataArrived = new();
    private List<FetchChunk> _toRelease = [];
    private List<FetchChunk> _releasing = [];
    private int _consuming;


    /// <summary>
    /// The next message, round-robin across partitions; <see langword="null"/> when none arrives within
    /// <paramref name="timeout"/> (negative: wait as long as it takes). A partition's error is thrown once, in order
    /// after its earlier messages. Not to be called concurrently with itself.
    /// </summary>
    public ValueTask<ConsumedMessage?> ConsumeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), _owner);
        if (Interlocked.Exchange(ref _consuming, 1) != 0)
        {
            throw new InvalidOperationException("ConsumeAsync is already running: a consumer is consumed by one caller at a time.");
        }
        try
        {
            _batch.Reset();
            ReleaseDelivered();
            if (TryTake(out var message))
            {
                Volatile.Write(ref _consuming, 0);
                return new ValueTask<ConsumedMessage?>(message);
            }
            if (timeout == TimeSpan.Zero)
            {
                Volatile.Write(ref _consuming, 0);
                return new ValueTask<ConsumedMessage?>((ConsumedMessage?)null);
            }
        }
        catch
        {
            Volatile.Write(ref _consuming, 0);
            throw;
        }
        return WaitAndTakeAsync(timeout, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ConsumedMessage?> WaitAndTakeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            var started = TimeProvider.GetTimestamp();
            while (await WaitForDataAsync(started, timeout, cancellationToken).ConfigureAwait(false))
            {
                if (TryTake(out var message))
                {
                    return message;
                }
            }
            return null;
        }
        finally
        {
            Volatile.Write(ref _consuming, 0);
        }
    }

    /// <summary>
    /// Waits until a fetch brings data or until <paramref name="timeout"/> (negative: no limit) has passed since
    /// <paramref name="started"/>; false when it has passed.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> WaitForDataAsync(long started, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var wait = Timeout.InfiniteTimeSpan;
        if (timeout >= TimeSpan.Zero)
        {
            wait = timeout - TimeProvider.GetElapsedTime(started);
            if (wait <= TimeSpan.Zero)
            {
                return false;
            }
        }
        await _dataArrived.WaitAsync(wait, TimeProvider, cancellationToken).ConfigureAwait(false);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), _owner);
        return true;
    }

    private bool TryTake(out ConsumedMessage? message)
    {
        FetchSource? wake = null;
        message = null;
        lock (_lock)
        {
            while (_ready.TryDequeue(out var cursor))
            {
                cursor.InReady = false;
                if (!cursor.Chunks.TryPeek(out var chunk))
                {
                    continue;
                }
                if (chunk.Error is { } error)
                {
                    cursor.Chunks.Dequeue();
                    _toRelease.Add(chunk);
                    Requeue(cursor);
                    throw error;
                }
                var taken = chunk.TryTake(out var record);
                if (taken)
                {
                    cursor.Position = record.Offset + 1;
                    if (--cursor.Buffered == Settings.QueuedMaxMessages - 1 && cursor.State == CursorState.Fetchable)
                    {
                        wake = cursor.Source;
                    }
                }
                if (chunk.Remaining == 0)
                {
                    cursor.Chunks.Dequeue();
                    cursor.Position = chunk.NextOffset;
                    _toRelease.Add(chunk);
                }
                Requeue(cursor);
                if (taken)
                {
                    message = new ConsumedMessage(cursor.Topic.Name, cursor.Id, in record, chunk);
                    if (MessagingTelemetry.ConsumedMessages.Enabled)
                    {
                        RecordConsumed(cursor, 1);
                    }
                    break;
                }
            }
        }
        wake?.Wake();
        return message is not null;
    }

    /// <summary>
    /// Up to <paramref name="maxMessages"/> messages into the engine's batch, which is emptied first; an empty batch
    /// when none arrives within <paramref name="timeout"/>. The batch takes a run of each ready partition's messages in
    /// turn. A partition's error is thrown once, in order after its earlier messages: when the batch already holds
    /// messages, the error waits for the next call. Not to be called concurrently with itself or <see cref="ConsumeAsync"/>.
    /// </summary>
    public ValueTask<MessageBatch> ConsumeBatchAsync(int maxMessages, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMessages);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), _owner);
        if (Interlocked.Exchange(ref _consuming, 1) != 0)
        {
            throw new InvalidOperationException("ConsumeAsync is already running: a consumer is consumed by one caller at a time.");
        }
        try
        {
            _batch.Reset();
            ReleaseDelivered();
            if (TryTakeBatch(maxMessages) || timeout == TimeSpan.Zero)
            {
                Volatile.Write(ref _consuming, 0);
                return new ValueTask<MessageBatch>(_batch);
            }
        }
        catch
        {
            Volatile.Write(ref _consuming, 0);
            throw;
        }
        return WaitAndTakeBatchAsync(maxMessages, timeout, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<MessageBatch> WaitAndTakeBatchAsync(int maxMessages, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            var started = TimeProvider.GetTimestamp();
            while (await WaitForDataAsync(started, timeout, cancellationToken).ConfigureAwait(false))
            {
                if (TryTakeBatch(maxMessages))
                {
                    break;
                }
            }
            return _batch; // empty when the timeout passed
        }
        finally
        {
            Volatile.Write(ref _consuming, 0);
        }
    }

    private bool TryTakeBatch(int maxMessages)
    {
        var batch = _batch;
        var wake = _batchWakes;
        lock (_lock)
        {
            // Rounds over the ready partitions, a run of each one's next chunk per round, until the batch is full or a
            // round finds nothing more. A partition whose next chunk is an error waits for the next call once the batch
            // holds messages, so the error still comes after them.
            var progress = true;
            while (progress && batch.Count < maxMessages)
            {
                progress = false;
                for (var round = _ready.Count; round > 0 && batch.Count < maxMessages && _ready.TryDequeue(out var cursor); round--)
                {
                    cursor.InReady = false;
                    if (!cursor.Chunks.TryPeek(out var chunk))
                    {
                        continue;
                    }
                    if (chunk.Error is { } error)
                    {
                        if (batch.Count > 0)
                        {
                            Requeue(cursor);
                            continue;
                        }
                        cursor.Chunks.Dequeue();
                        _toRelease.Add(chunk);
                        Requeue(cursor);
                        throw error;
                    }
                    var before = cursor.Buffered;
                    var countBefore = batch.Count;
                    var topic = cursor.Topic.Name;
                    while (batch.Count < maxMessages && chunk.TryTake(out var record))
                    {
                        batch.Add(topic, cursor.Id, in record, chunk);
                        cursor.Position = record.Offset + 1;
                        cursor.Buffered--;
                        progress = true;
                    }
                    if (batch.Count > countBefore && MessagingTelemetry.ConsumedMessages.Enabled)
                    {
                        RecordConsumed(cursor, batch.Count - countBefore);
                    }
                    if (before >= Settings.QueuedMaxMessages && cursor.Buffered < Settings.QueuedMaxMessages
                        && cursor.State == CursorState.Fetchable && cursor.Source is { } source)
                    {
                        wake.Add(source);
                    }
                    if (chunk.Remaining == 0)
                    {
                        cursor.Chunks.Dequeue();
                        cursor.Position = chunk.NextOffset;
                        _toRelease.Add(chunk);
                        progress = true;
                    }
                    Requeue(cursor);
                }
            }
        }
        foreach (var source in wake)
        {
            source.Wake();
        }
        wake.Clear();
        return batch.Count > 0;
    }

    private void Requeue(PartitionCursor cursor)
    {
        if (cursor.Chunks.Count > 0 && !cursor.InReady)
        {
            cursor.InReady = true;
            _ready.Enqueue(cursor);
        }
    }

    /// <summary>Releases the chunks whose messages were all delivered before this call (the lifetime rule).</summary>
    private void ReleaseDelivered()
    {
        List<FetchChunk> releasing;
        lock (_lock)
        {
            if (_toRelease.Count == 0)
            {
                return;
            }
            releasing = _toRelease;
            _toRelease = _releasing;
            _releasing = releasing;
        }
        foreach (var chunk in releasing)
        {
            chunk.Release();
        }
        releasing.Clear();
    }

    /// <summary>Appends what a fetch brought to a cursor (caller holds the lock); true when there is something to consume.</summary>
    private bool Append(PartitionCursor cursor, FetchChunk chunk)
    {
        if (chunk.Count == 0 && chunk.Error is null)
        {
            chunk.Release();
            if (cursor.Chunks.Count == 0)
            {
                cursor.Position = chunk.NextOffset;
                return false;
            }
        }
        cursor.Chunks.Enqueue(chunk);
        cursor.Buffered += chunk.Count;
        Requeue(cursor);
        return true;
    }
}
