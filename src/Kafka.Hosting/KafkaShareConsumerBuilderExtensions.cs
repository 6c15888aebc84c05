using System.Diagnostics.CodeAnalysis;
using Kafka.Hosting;
using Kafka.Hosting.Internal;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Hosted share-group consumers (KIP-932, Kafka 4.1+): queue semantics, where the brokers hand each record to one member
/// at a time and any number of instances may work on one partition. See docs/share-groups.md.
/// </summary>
public static class KafkaShareConsumerBuilderExtensions
{
    /// <summary>
    /// Adds a hosted share consumer of <paramref name="topic"/> in share group <paramref name="group"/>: records are
    /// handed to <typeparamref name="THandler"/> side by side up to <see cref="HostedConsumerOptions.MaxConcurrency"/>,
    /// with no order; success accepts a record, a failure after the handler pipeline's retries releases it for another
    /// delivery, and at <see cref="HostedShareConsumerOptions.DeliveryAttemptLimit"/> rejects or dead-letters it.
    /// </summary>
    /// <typeparam name="THandler">The handler, registered as a scoped service unless it already is registered.</typeparam>
    /// <param name="builder">The client's builder.</param>
    /// <param name="topic">The topic to consume.</param>
    /// <param name="group">The share group to join.</param>
    /// <param name="configure">Sets the consumer's options; validated when the host starts.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IKafkaClientBuilder AddShareConsumer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IKafkaClientBuilder builder, string topic, string group, Action<HostedShareConsumerOptions>? configure = null)
        where THandler : class, IKafkaMessageHandler
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        return builder.AddShareConsumer<THandler>([topic], group, configure);
    }

    /// <summary>Adds a hosted share consumer of several topics (see <see cref="AddShareConsumer{THandler}(IKafkaClientBuilder, string, string, Action{HostedShareConsumerOptions}?)"/>).</summary>
    /// <typeparam name="THandler">The handler, registered as a scoped service unless it already is registered.</typeparam>
    /// <param name="builder">The client's builder.</param>
    /// <param name="topics">The topics to consume.</param>
    /// <param name="group">The share group to join.</param>
    /// <param name="configure">Sets the consumer's options; validated when the host starts.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IKafkaClientBuilder AddShareConsumer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IKafkaClientBuilder builder, IEnumerable<string> topics, string group, Action<HostedShareConsumerOptions>? configure = null)
        where THandler : class, IKafkaMessageHandler
    {
        var (names, groupName) = KafkaConsumerBuilderExtensions.Check(builder, topics, group);
        builder.Services.TryAddScoped<THandler>();
        return AddCore<THandler>(builder, consumerName: null, names, groupName, configure);
    }

    /// <summary>
    /// Adds a hosted share consumer bound from the configuration section <c>Kafka:Consumers:{name}</c> (for a named
    /// client, <c>Kafka:Clients:{client}:Consumers:{name}</c>): its <c>Group</c> (the share group), <c>Topics</c>,
    /// <c>DeliveryAttemptLimit</c>, the other hosted-consumer settings, and the share consumer's under <c>Share</c>.
    /// <paramref name="configure"/> runs after binding and wins. Problems fail the host's start, each named by its key.
    /// </summary>
    /// <typeparam name="THandler">The handler, registered as a scoped service unless it already is registered.</typeparam>
    /// <param name="builder">The client's builder.</param>
    /// <param name="name">The consumer's name: its configuration section, and its name in health checks.</param>
    /// <param name="configure">Sets options in code, after binding.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IKafkaClientBuilder AddShareConsumer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IKafkaClientBuilder builder, string name, Action<HostedShareConsumerOptions>? configure = null)
        where THandler : class, IKafkaMessageHandler
    {
        KafkaConsumerBuilderExtensions.CheckName(builder, name);
        builder.Services.TryAddScoped<THandler>();
        return AddCore<THandler>(builder, name, topics: null, group: null, configure);
    }

    private static IKafkaClientBuilder AddCore<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        IKafkaClientBuilder builder, string? consumerName, string[]? topics, string? group, Action<HostedShareConsumerOptions>? configure)
        where THandler : class, IKafkaMessageHandler
    {
        var registration = KafkaConsumerBuilderExtensions.Register(builder, consumerName, topics, group, configure, HandlerKind.Share,
            typeof(THandler), static (_, o) => Check(o));
        var clientName = builder.Name;
        var services = builder.Services;
        services.AddKeyedSingleton(registration.OptionsName, (sp, _) =>
        {
            var options = sp.GetRequiredService<IOptionsMonitor<HostedShareConsumerOptions>>().Get(registration.OptionsName);
            var logger = (sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger(HostedConsumerLog.Category);
            var time = sp.GetRequiredService<TimeProvider>();
            var invoker = new MessageHandlerInvoker<THandler>(sp.GetRequiredService<IServiceScopeFactory>(), options, time);
            return new ShareConsumerService(registration, sp.GetRequiredKeyedService<KafkaClientRuntime>(clientName), options, invoker, time, logger);
        });
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredKeyedService<ShareConsumerService>(registration.OptionsName));
        return builder;
    }

    /// <summary>What a share consumer needs beyond every hosted consumer's checks.</summary>
    private static IEnumerable<string> Check(HostedShareConsumerOptions options)
    {
        if (options.Share is null)
        {
            yield return "Share: must be set.";
        }
        else
        {
            foreach (var error in options.Share.Validate())
            {
                yield return "Share:" + error;
            }
        }
        if (options.DeliveryAttemptLimit is < 1 or > short.MaxValue)
        {
            yield return $"DeliveryAttemptLimit: {options.DeliveryAttemptLimit} is outside 1 to {short.MaxValue}.";
        }
        if (options.FailurePolicy == HandlerFailurePolicy.StopPartition)
        {
            yield return "FailurePolicy: a share consumer has no partition to stop; use SkipMessage (reject at the delivery limit) or DeadLetter.";
        }
    }
}
