using System.Diagnostics.CodeAnalysis;
using Kafka.Client;
using Kafka.Hosting;
using Kafka.Hosting.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Adds hosted consumers to a client registered with <c>AddKafkaClient</c>: message handlers
/// (<see cref="IKafkaMessageHandler"/>), typed message handlers (<see cref="IKafkaMessageHandler{TKey, TValue}"/>) and
/// batch handlers (<see cref="IKafkaBatchHandler"/>), each for a topic, several topics, or a configuration section.
/// </summary>
public static class KafkaConsumerBuilderExtensions
{
    /// <summary>
    /// Adds a hosted service that, while the host runs, is a member of consumer group <paramref name="group"/>
    /// consuming <paramref name="topic"/> with the client, and hands each message to a <typeparamref name="THandler"/>
    /// resolved in its own scope. Partitions are handled side by side (<see cref="HostedConsumerOptions.MaxConcurrency"/>,
    /// 16 by default), each in order; the offset below which every message of a partition is handled is committed in
    /// the background every <see cref="HostedConsumerOptions.CommitInterval"/> (at least once). A failing handler is
    /// retried, then dealt with by <see cref="HostedConsumerOptions.FailurePolicy"/>. On host stop the consumer stops
    /// fetching, lets the handlers running finish (within <c>HostOptions.ShutdownTimeout</c>), commits and leaves the
    /// group. Each call adds one more member, even for the same topic and group.
    /// </summary>
    /// <typeparam name="THandler">The handler, registered as a scoped service unless it already is registered.</typeparam>
    /// <param name="builder">The client's builder.</param>
    /// <param name="topic">The topic to consume.</param>
    /// <param name="group">The consumer group to join.</param>
    /// <param name="configure">Sets the consumer's options; validated when the host starts.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IKafkaClientBuilder AddConsumer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IKafkaClientBuilder builder, string topic, string group, Action<HostedConsumerOptions>? configure = null)
        where THandler : class, IKafkaMessageHandler
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        return builder.AddConsumer<THandler>([topic], group, configure);
    }

    /// <summary>Adds a hosted consumer of several topics in one group (see <see cref="AddConsumer{THandler}(IKafkaClientBuilder, string, string, Action{HostedConsumerOptions}?)"/>).</summary>
    /// <typeparam name="THandler">The handler, registered as a scoped service unless it already is registered.</typeparam>
    /// <param name="builder">The client's builder.</param>
    /// <param name="topics">The topics to consume.</param>
    /// <param name="group">The consumer group to join.</param>
    /// <param name="configure">Sets the consumer's options; validated when the host starts.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IKafkaClientBuilder AddConsumer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IKafkaClientBuilder builder, IEnumerable<string> topics, string group, Action<HostedConsumerOptions>? configure = null)
        where THandler : class, IKafkaMessageHandler
    {
        var (names, groupName) = Check(builder, topics, group);
        builder.Services.TryAddScoped<THandler>();
        return AddCore(builder, consumerName: null, names, groupName, configure, HandlerKind.Message, typeof(THandler), MessageInvoker<THandler>);
    }

    /// <summary>
    /// Adds a hosted consumer bound from the configuration section <c>Kafka:Consumers:{name}</c> (for a named client,
    /// <c>Kafka:Clients:{client}:Consumers:{name}</c>): its <c>Group</c>, <c>Topics</c> and every other option of
    /// <see cref="HostedConsumerOptions"/>, the group member's settings under <c>Consumer</c>. <paramref name="configure"/>
    /// runs after binding and wins. A value that does not parse, a key that is not a setting and an invalid value fail
    /// the host's start, each named by its configuration key.
    /// </summary>
    /// <typeparam name="THandler">The handler, registered as a scoped service unless it already is registered.</typeparam>
    /// <param name="builder">The client's builder.</param>
    /// <param name="name">The consumer's name: its configuration section, and its name in health checks.</param>
    /// <param name="configure">Sets options in code, after binding.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IKafkaClientBuilder AddConsumer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IKafkaClientBuilder builder, string name, Action<HostedConsumerOptions>? configure = null)
        where THandler : class, IKafkaMessageHandler
    {
        CheckName(builder, name);
        builder.Services.TryAddScoped<THandler>();
        return AddCore(builder, name, topics: null, group: null, configure, HandlerKind.Message, typeof(THandler), MessageInvoker<THandler>);
    }

    /// <summary>
    /// Adds a hosted consumer whose handler receives messages with their key and value deserialized (see
    /// <see cref="HostedConsumerOptions{TKey, TValue}"/> for where the deserializers come from); otherwise as
    /// <see cref="AddConsumer{THandler}(IKafkaClientBuilder, string, string, Action{HostedConsumerOptions}?)"/>. A key or value
    /// that does not deserialize goes to the failure policy without retries.
    /// </summary>
    /// <typeparam name="THandler">The handler, registered as a scoped service unless it already is registered.</typeparam>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <typeparam name="TValue">The value type.</typeparam>
    /// <param name="builder">The client's builder.</param>
    /// <param name="topic">The topic to consume.</param>
    /// <param name="group">The consumer group to join.</param>
    /// <param name="configure">Sets the consumer's options and deserializers; validated when the host starts.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IKafkaClientBuilder AddConsumer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler, TKey, TValue>(
        this IKafkaClientBuilder builder, string topic, string group, Action<HostedConsumerOptions<TKey, TValue>>? configure = null)
        where THandler : class, IKafkaMessageHandler<TKey, TValue>
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        return builder.AddConsumer<THandler, TKey, TValue>([topic], group, configure);
    }

    /// <summary>Adds a hosted consumer of several topics with a typed handler (see <see cref="AddConsumer{THandler, TKey, TValue}(IKafkaClientBuilder, string, string, Action{HostedConsumerOptions{TKey, TValue}}?)"/>).</summary>
    /// <typeparam name="THandler">The handler, registered as a scoped service unless it already is registered.</typeparam>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <typeparam name="TValue">The value type.</typeparam>
    /// <param name="builder">The client's builder.</param>
    /// <param name="topics">The topics to consume.</param>
    /// <param name="group">The consumer group to join.</param>
    /// <param name="configure">Sets the consumer's options and deserializers; validated when the host starts.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IKafkaClientBuilder AddConsumer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler, TKey, TValue>(
        this IKafkaClientBuilder builder, IEnumerable<string> topics, string group, Action<HostedConsumerOptions<TKey, TValue>>? configure = null)
        where THandler : class, IKafkaMessageHandler<TKey, TValue>
    {
        var (names, groupName) = Check(builder, topics, group);
        builder.Services.TryAddScoped<THandler>();
        return AddCore(builder, consumerName: null, names, groupName, configure, HandlerKind.TypedMessage, typeof(THandler),
            TypedInvoker<THandler, TKey, TValue>, MissingDeserializers<TKey, TValue>);
    }

    /// <summary>Adds a hosted consumer with a typed handler, bound from <c>Kafka:Consumers:{name}</c> (see <see cref="AddConsumer{THandler}(IKafkaClientBuilder, string, Action{HostedConsumerOptions}?)"/>).</summary>
    /// <typeparam name="THandler">The handler, registered as a scoped service unless it already is registered.</typeparam>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <typeparam name="TValue">The value type.</typeparam>
    /// <param name="builder">The client's builder.</param>
    /// <param name="name">The consumer's name: its configuration section, and its name in health checks.</param>
    /// <param name="configure">Sets options and deserializers in code, after binding.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IKafkaClientBuilder AddConsumer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler, TKey, TValue>(
        this IKafkaClientBuilder builder, string name, Action<HostedConsumerOptions<TKey, TValue>>? configure = null)
        where THandler : class, IKafkaMessageHandler<TKey, TValue>
    {
        CheckName(builder, name);
        builder.Services.TryAddScoped<THandler>();
        return AddCore(builder, name, topics: null, group: null, configure, HandlerKind.TypedMessage, typeof(THandler),
            TypedInvoker<THandler, TKey, TValue>, MissingDeserializers<TKey, TValue>);
    }

    /// <summary>
    /// Adds a hosted consumer whose handler receives batches: up to <see cref="HostedConsumerOptions.MaxBatchSize"/>
    /// messages of one partition, in order, handed over once that many have arrived or the first has waited
    /// <see cref="HostedConsumerOptions.MaxBatchWait"/>, made from the fetched buffers without copying. Partitions are
    /// handled side by side, each partition's batches one after another; a batch counts as handled when the handler
    /// returns, and retries and the failure policy apply to the whole batch. Otherwise as
    /// <see cref="AddConsumer{THandler}(IKafkaClientBuilder, string, string, Action{HostedConsumerOptions}?)"/>.
    /// </summary>
    /// <typeparam name="THandler">The handler, registered as a scoped service unless it already is registered.</typeparam>
    /// <param name="builder">The client's builder.</param>
    /// <param name="topic">The topic to consume.</param>
    /// <param name="group">The consumer group to join.</param>
    /// <param name="configure">Sets the consumer's options; validated when the host starts.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IKafkaClientBuilder AddBatchConsumer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IKafkaClientBuilder builder, string topic, string group, Action<HostedConsumerOptions>? configure = null)
        where THandler : class, IKafkaBatchHandler
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        return builder.AddBatchConsumer<THandler>([topic], group, configure);
    }

    /// <summary>Adds a hosted batch consumer of several topics (see <see cref="AddBatchConsumer{THandler}(IKafkaClientBuilder, string, string, Action{HostedConsumerOptions}?)"/>).</summary>
    /// <typeparam name="THandler">The handler, registered as a scoped service unless it already is registered.</typeparam>
    /// <param name="builder">The client's builder.</param>
    /// <param name="topics">The topics to consume.</param>
    /// <param name="group">The consumer group to join.</param>
    /// <param name="configure">Sets the consumer's options; validated when the host starts.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IKafkaClientBuilder AddBatchConsumer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IKafkaClientBuilder builder, IEnumerable<string> topics, string group, Action<HostedConsumerOptions>? configure = null)
        where THandler : class, IKafkaBatchHandler
    {
        var (names, groupName) = Check(builder, topics, group);
        builder.Services.TryAddScoped<THandler>();
        return AddCore(builder, consumerName: null, names, groupName, configure, HandlerKind.Batch, typeof(THandler), BatchInvoker<THandler>);
    }

    /// <summary>Adds a hosted batch consumer bound from <c>Kafka:Consumers:{name}</c> (see <see cref="AddConsumer{THandler}(IKafkaClientBuilder, string, Action{HostedConsumerOptions}?)"/>).</summary>
    /// <typeparam name="THandler">The handler, registered as a scoped service unless it already is registered.</typeparam>
    /// <param name="builder">The client's builder.</param>
    /// <param name="name">The consumer's name: its configuration section, and its name in health checks.</param>
    /// <param name="configure">Sets options in code, after binding.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IKafkaClientBuilder AddBatchConsumer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IKafkaClientBuilder builder, string name, Action<HostedConsumerOptions>? configure = null)
        where THandler : class, IKafkaBatchHandler
    {
        CheckName(builder, name);
        builder.Services.TryAddScoped<THandler>();
        return AddCore(builder, name, topics: null, group: null, configure, HandlerKind.Batch, typeof(THandler), BatchInvoker<THandler>);
    }

    internal static (string[] Topics, string Group) Check(IKafkaClientBuilder builder, IEnumerable<string> topics, string group)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(topics);
        ArgumentException.ThrowIfNullOrEmpty(group);
        var names = topics.ToArray();
        if (names.Length == 0 || Array.Exists(names, string.IsNullOrEmpty))
        {
            throw new ArgumentException("A hosted consumer consumes at least one topic, and topic names are not empty.", nameof(topics));
        }
        return (names, group);
    }

    internal static void CheckName(IKafkaClientBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException($"A hosted consumer's name is a configuration section name and cannot contain ':' (was '{name}').", nameof(name));
        }
    }

    private static IKafkaClientBuilder AddCore<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions>(
        IKafkaClientBuilder builder, string? consumerName, string[]? topics, string? group, Action<TOptions>? configure,
        HandlerKind kind, Type handlerType, Func<IServiceProvider, TOptions, HandlerInvoker> createInvoker,
        Func<IServiceProvider, TOptions, IEnumerable<string>>? extraChecks = null)
        where TOptions : HostedConsumerOptions
    {
        var registration = Register(builder, consumerName, topics, group, configure, kind, handlerType, extraChecks);
        var clientName = builder.Name;
        var services = builder.Services;
        services.AddKeyedSingleton(registration.OptionsName, (sp, _) =>
        {
            var resolved = sp.GetRequiredService<IOptionsMonitor<TOptions>>().Get(registration.OptionsName);
            var time = sp.GetRequiredService<TimeProvider>();
            var logger = (sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger(HostedConsumerLog.Category);
            return new HostedConsumerService(new ConsumerContext(
                registration, sp.GetRequiredKeyedService<KafkaClientRuntime>(clientName), resolved, createInvoker(sp, resolved), time, logger));
        });
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredKeyedService<HostedConsumerService>(registration.OptionsName));
        return builder;
    }

    /// <summary>
    /// Registers a hosted consumer's registration, options (bound, configured, validated on start) and validator; the
    /// caller registers the service that runs it, keyed by <see cref="HostedConsumerRegistration.OptionsName"/>.
    /// </summary>
    internal static HostedConsumerRegistration Register<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions>(
        IKafkaClientBuilder builder, string? consumerName, string[]? topics, string? group, Action<TOptions>? configure,
        HandlerKind kind, Type handlerType, Func<IServiceProvider, TOptions, IEnumerable<string>>? extraChecks)
        where TOptions : HostedConsumerOptions
    {
        var services = builder.Services;
        var clientName = builder.Name;
        var existing = services.Where(d => d.ServiceType == typeof(HostedConsumerRegistration)).Select(d => (HostedConsumerRegistration)d.ImplementationInstance!).ToList();
        var display = consumerName ?? $"{group}/{string.Join("+", topics!)}";
        if (consumerName is not null && existing.Any(r => r.ClientName == clientName && r.ConsumerName == consumerName))
        {
            throw new InvalidOperationException($"A hosted consumer named '{consumerName}' is already registered for this client.");
        }
        var twins = existing.Count(r => r.ClientName == clientName && (r.DisplayName == display || r.DisplayName.StartsWith(display + "#", StringComparison.Ordinal)));
        if (twins > 0)
        {
            display += $"#{twins + 1}";
        }
        var registration = new HostedConsumerRegistration($"Kafka.Consumer[{existing.Count}]:{clientName}/{display}", clientName, consumerName, display, kind, handlerType);
        services.AddSingleton(registration);

        var options = services.AddOptions<TOptions>(registration.OptionsName);
        if (consumerName is null)
        {
            options.Configure(o =>
            {
                o.Group = group;
                o.Topics = [.. topics!];
            });
        }
        else
        {
            options.Configure<IServiceProvider>((o, sp) => Bind(sp, registration, o));
        }
        if (configure is not null)
        {
            options.Configure(configure);
        }
        options.ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>>(sp => new HostedConsumerOptionsValidator<TOptions>(
            registration,
            sp.GetRequiredService<IOptionsMonitor<KafkaClientOptions>>(),
            extraChecks is null ? null : o => extraChecks(sp, o)));
        return registration;
    }

    /// <summary>Binds a named consumer's section: under the client's own configuration when it was given one, else the application's.</summary>
    private static void Bind(IServiceProvider services, HostedConsumerRegistration registration, HostedConsumerOptions options)
    {
        var client = services.GetServices<KafkaClientRegistration>().FirstOrDefault(r => string.Equals(r.Name, registration.ClientName, StringComparison.Ordinal));
        IConfigurationSection? section;
        if (client?.Configuration is { } own)
        {
            section = own.GetSection($"{HostedConsumerOptions.ConsumersConfigurationSection}:{registration.ConsumerName}");
        }
        else
        {
            var path = client?.ConfigurationPath ?? KafkaHostingOptions.GetConfigurationSection(registration.ClientName);
            var sectionPath = $"{path}:{HostedConsumerOptions.ConsumersConfigurationSection}:{registration.ConsumerName}";
            registration.ConfigurationPath = sectionPath;
            section = services.GetService<IConfiguration>()?.GetSection(sectionPath);
        }
        if (section is not null)
        {
            registration.ConfigurationPath = section.Path;
            HostedConsumerConfigurationBinder.Bind(section, options);
        }
    }

    private static HandlerInvoker MessageInvoker<THandler>(IServiceProvider services, HostedConsumerOptions options)
        where THandler : class, IKafkaMessageHandler =>
        new MessageHandlerInvoker<THandler>(services.GetRequiredService<IServiceScopeFactory>(), options, services.GetRequiredService<TimeProvider>());

    private static HandlerInvoker BatchInvoker<THandler>(IServiceProvider services, HostedConsumerOptions options)
        where THandler : class, IKafkaBatchHandler =>
        new BatchHandlerInvoker<THandler>(services.GetRequiredService<IServiceScopeFactory>(), options, services.GetRequiredService<TimeProvider>());

    private static HandlerInvoker TypedInvoker<THandler, TKey, TValue>(IServiceProvider services, HostedConsumerOptions<TKey, TValue> options)
        where THandler : class, IKafkaMessageHandler<TKey, TValue> =>
        new TypedMessageHandlerInvoker<THandler, TKey, TValue>(
            services.GetRequiredService<IServiceScopeFactory>(),
            options,
            services.GetRequiredService<TimeProvider>(),
            Deserializer(services, options.KeyDeserializer)!,
            Deserializer(services, options.ValueDeserializer)!);

    /// <summary>The options' deserializer, else the application's, else a built-in one for text and bytes.</summary>
    private static IDeserializer<T>? Deserializer<T>(IServiceProvider services, IDeserializer<T>? configured) =>
        configured
        ?? services.GetService<IDeserializer<T>>()
        ?? (typeof(T) == typeof(string) ? (IDeserializer<T>)(object)Deserializers.Utf8
            : typeof(T) == typeof(byte[]) ? (IDeserializer<T>)(object)Deserializers.ByteArray
            : null);

    private static IEnumerable<string> MissingDeserializers<TKey, TValue>(IServiceProvider services, HostedConsumerOptions<TKey, TValue> options)
    {
        if (Deserializer(services, options.KeyDeserializer) is null)
        {
            yield return $"KeyDeserializer: must be set for keys of type {typeof(TKey).Name} (or register an IDeserializer<{typeof(TKey).Name}> service).";
        }
        if (Deserializer(services, options.ValueDeserializer) is null)
        {
            yield return $"ValueDeserializer: must be set for values of type {typeof(TValue).Name} (or register an IDeserializer<{typeof(TValue).Name}> service).";
        }
    }
}
