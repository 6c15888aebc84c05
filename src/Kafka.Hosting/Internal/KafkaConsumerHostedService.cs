using System.Globalization;
using System.Text;
using Kafka.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Kafka.Hosting.Internal;

/// <summary>
/// One <c>AddConsumer</c> registration at run time: a loop that runs a <see cref="BalancedConsumer"/>, hands
/// each message to the handler (in a scope of its own, through the handler pipeline), commits after success, and
/// applies the failure policy (for <see cref="HandlerFailurePolicy.DeadLetter"/>, through one producer created on
/// first use, flushed and disposed when the service stops). The loop survives errors: a failed membership is replaced
/// after a delay. Stopping stops fetching, lets the message in hand finish (until the stop's token is cancelled),
/// commits and leaves.
/// </summary>
internal sealed partial class KafkaConsumerHostedService<THandler> : IHostedService
    where THandler : class, IKafkaMessageHandler
{
    private const int MaxErrorLength = 1000;
    private readonly HostedConsumerRegistration _registration;
    private readonly KafkaClientRuntime _runtime;
    private readonly HostedConsumerOptions _options;
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _pipeline;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abortHandling = new();
    private readonly Lock _lock = new();
    private Task? _loop;
    private Producer? _deadLetters; // used by the loop only, disposed after it ended
    private Task? _stop;

    public KafkaConsumerHostedService(
        HostedConsumerRegistration registration, KafkaClientRuntime runtime, HostedConsumerOptions options,
        IServiceScopeFactory scopes, TimeProvider time, ILoggerFactory loggerFactory)
    {
        _registration = registration;
        _runtime = runtime;
        _options = options;
        _scopes = scopes;
        _time = time;
        _logger = loggerFactory.CreateLogger("Kafka.Hosting.Consumer");
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (options.ConfigureHandlerPipeline is { } configure)
        {
            configure(builder);
        }
        else if (options.HandlerMaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.HandlerMaxRetryAttempts,
                Delay = options.HandlerRetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException),
            });
        }
        _pipeline = builder.Build();
    }

    /// <summary>The consumer in use, for tests; <see langword="null"/> between consumers.</summary>
    internal BalancedConsumer? Consumer { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_loop is null && _stop is null)
            {
                _ = _runtime.Client; // built now, so that a configuration error fails the start
                _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
            }
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Task stop;
        lock (_lock)
        {
            stop = _stop ??= StopCoreAsync();
        }
        return WaitAsync(stop, cancellationToken);
    }

    private async Task WaitAsync(Task stop, CancellationToken cancellationToken)
    {
        // When the shutdown timeout runs out, the handler's token is cancelled and the host stops waiting; the loop
        // still ends on its own (commit, leave) as soon as the handler gives up.
        await using var registration = cancellationToken.Register(static state => ((CancellationTokenSource)state!).Cancel(), _abortHandling).ConfigureAwait(false);
        await stop.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task StopCoreAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is { } loop)
        {
            await loop.ConfigureAwait(false);
        }
        await CloseDeadLettersAsync().ConfigureAwait(false);
        Log.Stopped(_logger, _registration.Topic, _registration.Group);
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            BalancedConsumer? consumer = null;
            try
            {
                var options = (BalancedConsumerOptions)_options.Consumer.Clone();
                options.ConsumerGroup = null;
                consumer = _runtime.Client.Cluster.GetBalancedConsumer([_registration.Topic], _registration.Group, options);
                Consumer = consumer;
                Log.Started(_logger, _registration.Topic, _registration.Group);
                await ConsumeAsync(consumer, stopping).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested || ex is not OperationCanceledException)
            {
                Log.ConsumerFailed(_logger, ex, _registration.Topic, _registration.Group, _options.RestartDelay.TotalSeconds);
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }
            finally
            {
                if (consumer is not null)
                {
                    try
                    {
                        await consumer.DisposeAsync().ConfigureAwait(false); // commits and leaves the group
                    }
                    catch (Exception ex) when (ex is KafkaException or ObjectDisposedException)
                    {
                        Log.CloseFailed(_logger, ex, _registration.Topic, _registration.Group);
                    }
                    Consumer = null;
                }
            }
            if (!stopping.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(_options.RestartDelay, _time, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task ConsumeAsync(BalancedConsumer consumer, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            ConsumedMessage? message;
            try
            {
                message = await consumer.ConsumeAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (KafkaConsumeException ex)
            {
                Log.PartitionError(_logger, _registration.Topic, _registration.Group, ex.Message);
                continue;
            }
            if (message is null)
            {
                continue; // a ConsumerTimeout
            }
            var partition = new TopicAndPartition(message.Topic, message.PartitionId);
            var failure = await HandleAsync(message).ConfigureAwait(false);
            if (failure is null)
            {
                await CommitAsync(consumer, partition, message.Offset + 1).ConfigureAwait(false);
                continue;
            }
            if (_abortHandling.IsCancellationRequested)
            {
                return; // shutting down: the message stays uncommitted, and is consumed again after the restart
            }
            if (_options.FailurePolicy == HandlerFailurePolicy.SkipMessage)
            {
                Log.MessageSkipped(_logger, message.Topic, message.PartitionId, message.Offset, _registration.Group);
                await CommitAsync(consumer, partition, message.Offset + 1).ConfigureAwait(false);
            }
            else if (_options.FailurePolicy == HandlerFailurePolicy.DeadLetter)
            {
                if (await ForwardAsync(message, failure).ConfigureAwait(false))
                {
                    await CommitAsync(consumer, partition, message.Offset + 1).ConfigureAwait(false);
                }
                else if (_abortHandling.IsCancellationRequested)
                {
                    return; // shutting down mid-produce: uncommitted, consumed again after the restart
                }
                else
                {
                    consumer.Pause([partition]);
                }
            }
            else
            {
                Log.PartitionStopped(_logger, message.Topic, message.PartitionId, message.Offset, _registration.Group);
                consumer.Pause([partition]);
            }
        }
    }

    /// <summary>Runs the handler pipeline; returns <see langword="null"/> on success, else the last failure.</summary>
    private async Task<Exception?> HandleAsync(ConsumedMessage message)
    {
        try
        {
            await _pipeline.ExecuteAsync(
                static async (state, token) =>
                {
                    var scope = state.Scopes.CreateAsyncScope();
                    await using (scope.ConfigureAwait(false))
                    {
                        var handler = scope.ServiceProvider.GetRequiredService<THandler>();
                        await handler.HandleAsync(state.Message, token).ConfigureAwait(false);
                    }
                },
                (Scopes: _scopes, Message: message),
                _abortHandling.Token).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(_logger, ex, message.Topic, message.PartitionId, message.Offset, _registration.Group);
            return ex;
        }
    }

    /// <summary>
    /// Produces a failed message to the dead-letter topic and waits for its acknowledgement; returns whether it was
    /// delivered. A failure is logged (the caller then stops the partition).
    /// </summary>
    private async Task<bool> ForwardAsync(ConsumedMessage message, Exception failure)
    {
        var deadLetterTopic = _options.DeadLetterTopic!;
        try
        {
            _deadLetters ??= (await _runtime.Client.Topics.GetAsync(deadLetterTopic, _abortHandling.Token).ConfigureAwait(false))
                .GetProducer(new ProducerOptions { RequiredAcks = RequiredAcks.All });
            var report = await _deadLetters.ProduceAsync(
                message.IsValueNull ? null : (ReadOnlyMemory<byte>?)message.Value,
                message.IsPartitionKeyNull ? null : (ReadOnlyMemory<byte>?)message.PartitionKey,
                message.Timestamp,
                DeadLetterHeaders(message, failure, _registration.Group),
                _abortHandling.Token).ConfigureAwait(false);
            Log.MessageDeadLettered(_logger, message.Topic, message.PartitionId, message.Offset, _registration.Group, deadLetterTopic, report.Partition, report.Offset);
            return true;
        }
        catch (OperationCanceledException) when (_abortHandling.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception ex)
        {
            Log.DeadLetterFailed(_logger, ex, message.Topic, message.PartitionId, message.Offset, _registration.Group, deadLetterTopic);
            return false;
        }
    }

    /// <summary>The failed message's own headers, then where it came from and why it failed (no payload, no secrets: the exception's type and message).</summary>
    private static KafkaHeader[] DeadLetterHeaders(ConsumedMessage message, Exception failure, string group)
    {
        var original = message.Headers;
        var headers = new KafkaHeader[original.Count + 5];
        for (var i = 0; i < original.Count; i++)
        {
            headers[i] = original[i];
        }
        var error = $"{failure.GetType().FullName}: {failure.Message}";
        if (error.Length > MaxErrorLength)
        {
            error = error[..MaxErrorLength];
        }
        var n = original.Count;
        headers[n] = Header(DeadLetterHeaderNames.Topic, message.Topic);
        headers[n + 1] = Header(DeadLetterHeaderNames.Partition, message.PartitionId.ToString(CultureInfo.InvariantCulture));
        headers[n + 2] = Header(DeadLetterHeaderNames.Offset, message.Offset.ToString(CultureInfo.InvariantCulture));
        headers[n + 3] = Header(DeadLetterHeaderNames.Group, group);
        headers[n + 4] = Header(DeadLetterHeaderNames.Error, error);
        return headers;

        static KafkaHeader Header(string key, string value) => new(key, Encoding.UTF8.GetBytes(value));
    }

    private async Task CloseDeadLettersAsync()
    {
        if (_deadLetters is not { } producer)
        {
            return;
        }
        _deadLetters = null;
        try
        {
            await producer.FlushAsync(_abortHandling.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The shutdown timeout ran out: disposing still gives queued messages PendingTimeout.
        }
        try
        {
            await producer.DisposeAsync().ConfigureAwait(false);
        }
        catch (KafkaException ex)
        {
            Log.DeadLetterCloseFailed(_logger, ex, _registration.Topic, _registration.Group);
        }
    }

    private async Task CommitAsync(BalancedConsumer consumer, TopicAndPartition partition, long offset)
    {
        try
        {
            await consumer.CommitOffsetsAsync(new Dictionary<TopicAndPartition, long> { [partition] = offset }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (KafkaException ex)
        {
            // The group moved on (the member rejoins) or the coordinator is unreachable: the partition's next owner
            // starts from the last commit, so the message may be handled again.
            Log.CommitFailed(_logger, partition.Topic, partition.Partition, offset, _registration.Group, ex.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(400, LogLevel.Information, "Consumer of {Topic} in group {Group} started")]
        public static partial void Started(ILogger logger, string topic, string group);

        [LoggerMessage(401, LogLevel.Information, "Consumer of {Topic} in group {Group} stopped")]
        public static partial void Stopped(ILogger logger, string topic, string group);

        [LoggerMessage(402, LogLevel.Error, "Consumer of {Topic} in group {Group} failed; a new one starts in {DelaySeconds} s")]
        public static partial void ConsumerFailed(ILogger logger, Exception exception, string topic, string group, double delaySeconds);

        [LoggerMessage(403, LogLevel.Warning, "Closing the consumer of {Topic} in group {Group} failed")]
        public static partial void CloseFailed(ILogger logger, Exception exception, string topic, string group);

        [LoggerMessage(404, LogLevel.Error, "Consumer of {Topic} in group {Group}: {Reason}")]
        public static partial void PartitionError(ILogger logger, string topic, string group, string reason);

        [LoggerMessage(405, LogLevel.Warning, "The handler failed for {Topic}/{Partition} at offset {Offset} (group {Group}) after its retries")]
        public static partial void HandlerFailed(ILogger logger, Exception exception, string topic, int partition, long offset, string group);

        [LoggerMessage(406, LogLevel.Error, "Consumption of {Topic}/{Partition} in group {Group} stopped at offset {Offset}: its handler keeps failing; the partition resumes there after the next rebalance or restart")]
        public static partial void PartitionStopped(ILogger logger, string topic, int partition, long offset, string group);

        [LoggerMessage(407, LogLevel.Error, "Skipped {Topic}/{Partition} at offset {Offset} in group {Group}: its handler keeps failing")]
        public static partial void MessageSkipped(ILogger logger, string topic, int partition, long offset, string group);

        [LoggerMessage(408, LogLevel.Warning, "Committing {Topic}/{Partition} at offset {Offset} for group {Group} failed: {Reason}")]
        public static partial void CommitFailed(ILogger logger, string topic, int partition, long offset, string group, string reason);

        [LoggerMessage(409, LogLevel.Error, "Forwarded {Topic}/{Partition} at offset {Offset} in group {Group} to dead-letter topic {DeadLetterTopic} ({DeadLetterPartition} at offset {DeadLetterOffset}): its handler keeps failing")]
        public static partial void MessageDeadLettered(ILogger logger, string topic, int partition, long offset, string group, string deadLetterTopic, int deadLetterPartition, long deadLetterOffset);

        [LoggerMessage(410, LogLevel.Error, "Forwarding {Topic}/{Partition} at offset {Offset} in group {Group} to dead-letter topic {DeadLetterTopic} failed; consumption of the partition stopped there and resumes after the next rebalance or restart")]
        public static partial void DeadLetterFailed(ILogger logger, Exception exception, string topic, int partition, long offset, string group, string deadLetterTopic);

        [LoggerMessage(411, LogLevel.Warning, "Closing the dead-letter producer of the consumer of {Topic} in group {Group} failed")]
        public static partial void DeadLetterCloseFailed(ILogger logger, Exception exception, string topic, string group);
    }
}
