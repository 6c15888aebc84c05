using Microsoft.Extensions.Logging;

namespace Kafka.Hosting.Internal;

/// <summary>What every session of one hosted consumer shares: its options, handler, dead-letter producer, clock and log.</summary>
internal sealed class ConsumerContext
{
    public ConsumerContext(
        HostedConsumerRegistration registration, KafkaClientRuntime runtime, HostedConsumerOptions options, HandlerInvoker invoker,
        TimeProvider time, ILogger logger)
    {
        Registration = registration;
        Runtime = runtime;
        Options = options;
        Invoker = invoker;
        Time = time;
        Logger = logger;
        Group = options.Group!;
        Topics = [.. options.Topics];
        TopicsText = string.Join(",", Topics);
        DeadLetters = options.FailurePolicy == HandlerFailurePolicy.DeadLetter
            ? new DeadLetterForwarder(runtime, options.DeadLetterTopic!, Group, logger)
            : null;
    }

    public HostedConsumerRegistration Registration { get; }

    public KafkaClientRuntime Runtime { get; }

    public HostedConsumerOptions Options { get; }

    public HandlerInvoker Invoker { get; }

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    public string Group { get; }

    public string[] Topics { get; }

    /// <summary>The topics as one comma-separated string, for logs.</summary>
    public string TopicsText { get; }

    public DeadLetterForwarder? DeadLetters { get; }
}
