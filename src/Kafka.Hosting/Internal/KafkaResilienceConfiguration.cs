using Polly;

namespace Kafka.Hosting.Internal;

/// <summary>Named options: the <c>ConfigureResilience</c> callbacks of one client, in call order.</summary>
internal sealed class KafkaResilienceConfiguration
{
    public List<Action<ResiliencePipelineBuilder, KafkaResilienceContext>> Actions { get; } = [];
}
