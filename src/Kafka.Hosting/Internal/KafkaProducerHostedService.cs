using Microsoft.Extensions.Hosting;

namespace Kafka.Hosting.Internal;

/// <summary>
/// Starts a registered producer with the host and stops it first: hosted services stop in reverse order of
/// registration, so the producer is flushed and disposed before its client (registered earlier) closes its
/// connections.
/// </summary>
internal sealed class KafkaProducerHostedService(KafkaProducerRuntime runtime) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => runtime.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => runtime.StopAsync(cancellationToken);
}
