using System.Diagnostics.CodeAnalysis;
using Kafka.Hosting;
using Kafka.Hosting.Internal;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds hosted consumers to a client registered with <c>AddKafkaClient</c>.</summary>
public static class KafkaConsumerBuilderExtensions
{
    /// <summary>
    /// Adds a hosted service that, while the host runs, is a member of consumer group <paramref name="group"/>
    /// consuming <paramref name="topic"/> with the client, and hands each message to a <typeparamref name="THandler"/>
    /// resolved in its own scope. A message's offset is committed after its handler succeeds (at least once); a
    /// failing handler is retried, then dealt with by <see cref="HostedConsumerOptions.FailurePolicy"/>. On host stop
    /// the consumer stops fetching, finishes the message in hand (within <c>HostOptions.ShutdownTimeout</c>), commits
    /// and leaves the group. Each call adds one more member, even for the same topic and group.
    /// </summary>
    /// <typeparam name="THandler">The handler, registered as a scoped service unless it already is registered.</typeparam>
    /// <param name="builder">The client's builder.</param>
    /// <param name="topic">The topic to consume.</param>
    /// <param name="group">The consumer group to join.</param>
    /// <param name="configure">Sets the consumer's options; validated when the host starts.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IKafkaClientBuilder AddConsumer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(this IKafkaClientBuilder builder, string topic, string group, Action<HostedConsumerOptions>? configure = null)
        where THandler : class, IKafkaMessageHandler
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentException.ThrowIfNullOrEmpty(group);
        var services = builder.Services;
        var index = services.Count(d => d.ServiceType == typeof(HostedConsumerRegistration));
        var registration = new HostedConsumerRegistration($"Kafka.Consumer[{index}]:{builder.Name}/{topic}/{group}", builder.Name, topic, group, typeof(THandler));
        services.AddSingleton(registration);
        services.TryAddScoped<THandler>();
        var options = services.AddOptions<HostedConsumerOptions>(registration.Name);
        if (configure is not null)
        {
            options.Configure(configure);
        }
        options.ValidateOnStart();
        services.AddSingleton<IValidateOptions<HostedConsumerOptions>>(sp =>
            new HostedConsumerOptionsValidator(registration, sp.GetRequiredService<IOptionsMonitor<Kafka.Client.KafkaClientOptions>>()));
        services.AddSingleton<IHostedService>(sp => new KafkaConsumerHostedService<THandler>(
            registration,
            sp.GetRequiredKeyedService<KafkaClientRuntime>(builder.Name),
            sp.GetRequiredService<IOptionsMonitor<HostedConsumerOptions>>().Get(registration.Name),
            sp.GetRequiredService<IServiceScopeFactory>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance));
        return builder;
    }
}
