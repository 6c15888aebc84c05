using Microsoft.Extensions.Configuration;

namespace Kafka.Hosting.Internal;

/// <summary>
/// Marks a client name as registered, so that calling <c>AddKafkaClient</c> again for it adds configuration but
/// not a second client, hosted service or validator. <c>Configuration</c> is the section given to
/// <c>AddKafkaClient(configuration)</c>, if any (the client's named hosted consumers are bound from under it).
/// </summary>
internal sealed record KafkaClientRegistration(string Name, string? ConfigurationPath, IConfiguration? Configuration = null);
