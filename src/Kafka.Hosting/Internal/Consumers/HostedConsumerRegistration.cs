namespace Kafka.Hosting.Internal;

/// <summary>What kind of handler a hosted consumer calls.</summary>
internal enum HandlerKind
{
    Message,
    TypedMessage,
    Batch,
    Transactional,
    Share,
}

/// <summary>
/// One <c>AddConsumer</c>/<c>AddBatchConsumer</c> registration: the name of its options (unique per registration),
/// its client, the name it was registered under (bound from configuration) or the topics and group it was given,
/// and the name its health check and logs use.
/// </summary>
internal sealed class HostedConsumerRegistration
{
    public HostedConsumerRegistration(string optionsName, string clientName, string? consumerName, string displayName, HandlerKind kind, Type handlerType)
    {
        OptionsName = optionsName;
        ClientName = clientName;
        ConsumerName = consumerName;
        DisplayName = displayName;
        Kind = kind;
        HandlerType = handlerType;
    }

    /// <summary>The name of the registration's options (and the key of its service).</summary>
    public string OptionsName { get; }

    public string ClientName { get; }

    /// <summary>The name given to <c>AddConsumer(name)</c>, whose configuration section is bound; <see langword="null"/> otherwise.</summary>
    public string? ConsumerName { get; }

    /// <summary>The consumer's name in health checks: its configured name, or <c>group/topic+topic</c>.</summary>
    public string DisplayName { get; }

    public HandlerKind Kind { get; }

    public Type HandlerType { get; }

    /// <summary>The configuration path of a named consumer, once the client's section is known; used to name bad keys.</summary>
    public string? ConfigurationPath { get; set; }
}
