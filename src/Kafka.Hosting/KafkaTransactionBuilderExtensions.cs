using System.Diagnostics.CodeAnalysis;
using Kafka.Client;
using Kafka.Hosting;
using Kafka.Hosting.Internal;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Adds exactly-once processing to a client registered with <c>AddKafkaClient</c>: hosted consume-transform-produce
/// consumers whose output and input offsets commit in one Kafka transaction (<see cref="IKafkaTransactionalHandler"/>),
/// and transactional producers for hosted services of your own.
/// </summary>
public static class KafkaTransactionBuilderExtensions
{
    /// <summary>
    /// Adds a hosted exactly-once consumer: while the host runs, a member of <paramref name="group"/> consuming
    /// <paramref name="topic"/>, with a transactional producer whose id is <paramref name="transactionalId"/>. Each
    /// consume call's messages (up to <see cref="HostedConsumerOptions.MaxBatchSize"/>) are one transaction: every
    /// partition's messages go to a <typeparamref name="THandler"/> (partitions side by side, up to
    /// <see cref="HostedConsumerOptions.MaxConcurrency"/>), which produces its output through the
    /// <see cref="IKafkaTransaction"/> it is given; then the input offsets are sent to the transaction and it commits.
    /// When a handler throws or the commit fails, the transaction aborts and the messages are handled again from the
    /// committed offsets. Readers of the output that read committed see each input's output exactly once.
    /// </summary>
    /// <typeparam name="THandler">The handler, registered as a scoped service unless it already is registered.</typeparam>
    /// <param name="builder">The client's builder.</param>
    /// <param name="topic">The topic to consume.</param>
    /// <param name="group">The consumer group to join.</param>
    /// <param name="transactionalId">The producer's transactional id: stable across restarts, one per instance.</param>
    /// <param name="configure">Sets the consumer's options; validated when the host starts.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IKafkaClientBuilder AddTransactionalConsumer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IKafkaClientBuilder builder, string topic, string group, string transactionalId, Action<TransactionalConsumerOptions>? configure = null)
        where THandler : class, IKafkaTransactionalHandler
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        return builder.AddTransactionalConsumer<THandler>([topic], group, transactionalId, configure);
    }

    /// <summary>Adds a hosted exactly-once consumer of several topics (see <see cref="AddTransactionalConsumer{THandler}(IKafkaClientBuilder, string, string, string, Action{TransactionalConsumerOptions}?)"/>).</summary>
    /// <typeparam name="THandler">The handler, registered as a scoped service unless it already is registered.</typeparam>
    /// <param name="builder">The client's builder.</param>
    /// <param name="topics">The topics to consume.</param>
    /// <param name="group">The consumer group to join.</param>
    /// <param name="transactionalId">The producer's transactional id: stable across restarts, one per instance.</param>
    /// <param name="configure">Sets the consumer's options; validated when the host starts.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IKafkaClientBuilder AddTransactionalConsumer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IKafkaClientBuilder builder, IEnumerable<string> topics, string group, string transactionalId, Action<TransactionalConsumerOptions>? configure = null)
        where THandler : class, IKafkaTransactionalHandler
    {
        var (names, groupName) = KafkaConsumerBuilderExtensions.Check(builder, topics, group);
        ArgumentException.ThrowIfNullOrWhiteSpace(transactionalId);
        builder.Services.TryAddScoped<THandler>();
        return AddCore<THandler>(builder, consumerName: null, names, groupName, o =>
        {
            o.TransactionalId = transactionalId;
            configure?.Invoke(o);
        });
    }

    /// <summary>
    /// Adds a hosted exactly-once consumer bound from the configuration section <c>Kafka:Consumers:{name}</c> (for a
    /// named client, <c>Kafka:Clients:{client}:Consumers:{name}</c>): its <c>Group</c>, <c>Topics</c>,
    /// <c>TransactionalId</c>, <c>TransactionTimeout</c> and the other hosted-consumer settings, the group member's under
    /// <c>Consumer</c>. <paramref name="configure"/> runs after binding and wins. Problems fail the host's start, each
    /// named by its configuration key.
    /// </summary>
    /// <typeparam name="THandler">The handler, registered as a scoped service unless it already is registered.</typeparam>
    /// <param name="builder">The client's builder.</param>
    /// <param name="name">The consumer's name: its configuration section, and its name in health checks.</param>
    /// <param name="configure">Sets options in code, after binding.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IKafkaClientBuilder AddTransactionalConsumer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IKafkaClientBuilder builder, string name, Action<TransactionalConsumerOptions>? configure = null)
        where THandler : class, IKafkaTransactionalHandler
    {
        KafkaConsumerBuilderExtensions.CheckName(builder, name);
        builder.Services.TryAddScoped<THandler>();
        return AddCore<THandler>(builder, name, topics: null, group: null, configure);
    }

    /// <summary>
    /// Registers a <see cref="TransactionalProducer"/> with <paramref name="transactionalId"/> on this client, as a keyed
    /// singleton under <paramref name="name"/> (<c>[FromKeyedServices(name)] TransactionalProducer producer</c>), for
    /// hosted services that run transactions of their own. It is initialized when the host starts
    /// (<see cref="TransactionalProducer.InitTransactionsAsync"/>, which fences older producers with the id; a failure
    /// fails the start), so hosted services registered after it can begin transactions at once; it is disposed when
    /// the host stops, which aborts a transaction left open.
    /// </summary>
    /// <param name="builder">The client's builder.</param>
    /// <param name="name">The producer's service key; unique among the producers of every client.</param>
    /// <param name="transactionalId">The transactional id: stable across restarts, one per instance.</param>
    /// <param name="configure">Sets the producer's other options (its <see cref="ProducerOptions.TransactionalId"/> is <paramref name="transactionalId"/>).</param>
    /// <returns>The same builder, for chaining.</returns>
    /// <exception cref="InvalidOperationException">A producer with this name is already registered.</exception>
    public static IKafkaClientBuilder AddTransactionalProducer(this IKafkaClientBuilder builder, string name, string transactionalId, Action<ProducerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(transactionalId);
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(KafkaProducerRegistration) && d.ImplementationInstance is KafkaProducerRegistration r && r.Name == name))
        {
            throw new InvalidOperationException($"A Kafka producer named '{name}' is already registered.");
        }
        var clientName = builder.Name;
        services.AddSingleton(new KafkaProducerRegistration(name, clientName, Topic: string.Empty, _ => new ProducerOptions()));
        services.AddKeyedSingleton(name, (sp, _) =>
        {
            var options = new ProducerOptions();
            configure?.Invoke(options);
            options.TransactionalId = transactionalId;
            return new KafkaTransactionalProducerRuntime(name, sp.GetRequiredKeyedService<KafkaClientRuntime>(clientName), options);
        });
        services.AddKeyedSingleton(name, static (sp, key) => sp.GetRequiredKeyedService<KafkaTransactionalProducerRuntime>(key).Producer);
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredKeyedService<KafkaTransactionalProducerRuntime>(name));
        return builder;
    }

    private static IKafkaClientBuilder AddCore<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        IKafkaClientBuilder builder, string? consumerName, string[]? topics, string? group, Action<TransactionalConsumerOptions>? configure)
        where THandler : class, IKafkaTransactionalHandler
    {
        var registration = KafkaConsumerBuilderExtensions.Register(builder, consumerName, topics, group, configure, HandlerKind.Transactional,
            typeof(THandler), static (_, o) => Check(o));
        var clientName = builder.Name;
        var services = builder.Services;
        services.AddKeyedSingleton(registration.OptionsName, (sp, _) =>
        {
            var options = sp.GetRequiredService<IOptionsMonitor<TransactionalConsumerOptions>>().Get(registration.OptionsName);
            var logger = (sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger(HostedConsumerLog.Category);
            return new TransactionalConsumerService(new TransactionalConsumerContext(
                registration, sp.GetRequiredKeyedService<KafkaClientRuntime>(clientName), options, sp.GetRequiredService<IServiceScopeFactory>(),
                static scope => scope.GetRequiredService<THandler>(), sp.GetRequiredService<TimeProvider>(), logger));
        });
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredKeyedService<TransactionalConsumerService>(registration.OptionsName));
        return builder;
    }

    /// <summary>What a transactional consumer needs beyond every hosted consumer's checks.</summary>
    private static IEnumerable<string> Check(TransactionalConsumerOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.TransactionalId))
        {
            yield return "TransactionalId: must be set (stable across restarts, one per instance of the consumer).";
        }
        if (options.Ordering != MessageOrdering.Partition)
        {
            yield return $"Ordering: a transactional consumer hands each partition's messages of a transaction to one handler call; {options.Ordering} is not supported.";
        }
        if (options.FailurePolicy != HandlerFailurePolicy.StopPartition)
        {
            yield return $"FailurePolicy: a transactional consumer aborts and handles a failing batch again, then stops its partition; {options.FailurePolicy} is not supported.";
        }
        if (options.Producer is not { } producer)
        {
            yield return "Producer: must be set.";
            yield break;
        }
        if (producer.TransactionalId is { } id && !string.Equals(id, options.TransactionalId, StringComparison.Ordinal))
        {
            yield return $"Producer:TransactionalId: '{id}' differs from TransactionalId '{options.TransactionalId}'; leave it unset.";
        }
        if (!producer.EnableIdempotence)
        {
            yield return "Producer:EnableIdempotence: a transactional producer is idempotent; leave it true.";
        }
        if (producer.RequiredAcks != RequiredAcks.All)
        {
            yield return $"Producer:RequiredAcks: a transactional producer waits for all in-sync replicas; {producer.RequiredAcks} is not allowed.";
        }
        if (producer.TransactionTimeout <= TimeSpan.Zero || producer.TransactionTimeout > TimeSpan.FromHours(1))
        {
            yield return $"TransactionTimeout: must be between 1 ms and 1 hour (was {producer.TransactionTimeout}); brokers refuse more than their transaction.max.timeout.ms (15 minutes by default).";
        }
    }
}
