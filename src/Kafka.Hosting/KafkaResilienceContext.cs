namespace Kafka.Hosting;

/// <summary>What a <c>ConfigureResilience</c> callback may need while it builds a client's pipeline.</summary>
public sealed class KafkaResilienceContext
{
    internal KafkaResilienceContext(string clientName, KafkaResilienceOptions options, IServiceProvider serviceProvider)
    {
        ClientName = clientName;
        Options = options;
        ServiceProvider = serviceProvider;
    }

    /// <summary>The client's name (empty for the default client).</summary>
    public string ClientName { get; }

    /// <summary>The client's bound resilience options, for callbacks that keep the defaults and add to them.</summary>
    public KafkaResilienceOptions Options { get; }

    /// <summary>The application's services.</summary>
    public IServiceProvider ServiceProvider { get; }
}
