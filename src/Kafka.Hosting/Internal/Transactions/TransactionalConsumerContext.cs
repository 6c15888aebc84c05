using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kafka.Hosting.Internal;

/// <summary>What every session of one transactional consumer shares: its options, handler, clock and log.</summary>
internal sealed class TransactionalConsumerContext(
    HostedConsumerRegistration registration, KafkaClientRuntime runtime, TransactionalConsumerOptions options,
    IServiceScopeFactory scopes, Func<IServiceProvider, IKafkaTransactionalHandler> resolveHandler, TimeProvider time, ILogger logger)
{
    public HostedConsumerRegistration Registration { get; } = registration;

    public KafkaClientRuntime Runtime { get; } = runtime;

    public TransactionalConsumerOptions Options { get; } = options;

    public IServiceScopeFactory Scopes { get; } = scopes;

    public Func<IServiceProvider, IKafkaTransactionalHandler> ResolveHandler { get; } = resolveHandler;

    public TimeProvider Time { get; } = time;

    public ILogger Logger { get; } = logger;

    public string Group { get; } = options.Group!;

    public string[] Topics { get; } = [.. options.Topics];

    public string TopicsText { get; } = string.Join(",", options.Topics);

    public string TransactionalId { get; } = options.TransactionalId!;
}
