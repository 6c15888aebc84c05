namespace Kafka.Hosting.Internal;

/// <summary>
/// Marks a client name as registered, so that calling <c>AddKafkaClient</c> again for it adds configuration but
/// not a second client, hosted service or validator.
/// </summary>
internal sealed record KafkaClientRegistration(string Name, string? ConfigurationPath);
