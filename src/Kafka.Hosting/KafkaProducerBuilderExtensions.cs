using Kafka.Client;
using Kafka.Hosting;
using Kafka.Hosting.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers producers on a client registered with <c>AddKafkaClient</c>.</summary>
public static class KafkaProducerBuilderExtensions
{
    /// <summary>
    /// Registers a <see cref="Producer"/> for <paramref name="topic"/> on this client, as a keyed singleton under
    /// <paramref name="name"/> (<c>[FromKeyedServices(name)] Producer producer</c>). It is created when the host starts
    /// (after the client's start, which may wait for the cluster), flushed and disposed when the host stops, before the
    /// client's connections close.
    /// </summary>
    /// <param name="builder">The client's builder.</param>
    /// <param name="name">The producer's service key; unique among the producers of every client.</param>
    /// <param name="topic">The topic it produces to (created where the brokers allow automatic creation).</param>
    /// <param name="options">Its settings (copied); the defaults when <see langword="null"/>.</param>
    /// <returns>The same builder, for chaining.</returns>
    /// <exception cref="InvalidOperationException">A producer with this name is already registered.</exception>
    public static IKafkaClientBuilder AddProducer(this IKafkaClientBuilder builder, string name, string topic, ProducerOptions? options = null)
    {
        var copy = options?.Clone() ?? new ProducerOptions();
        return AddProducer(builder, name, topic, _ => copy.Clone());
    }

    /// <summary>
    /// Registers a <see cref="Producer"/> for <paramref name="topic"/> on this client, as a keyed singleton under
    /// <paramref name="name"/>, with settings made by <paramref name="configure"/> from the defaults.
    /// </summary>
    /// <param name="builder">The client's builder.</param>
    /// <param name="name">The producer's service key; unique among the producers of every client.</param>
    /// <param name="topic">The topic it produces to.</param>
    /// <param name="configure">Sets the producer's options.</param>
    /// <returns>The same builder, for chaining.</returns>
    /// <exception cref="InvalidOperationException">A producer with this name is already registered.</exception>
    public static IKafkaClientBuilder AddProducer(this IKafkaClientBuilder builder, string name, string topic, Action<ProducerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddProducer(builder, name, topic, _ =>
        {
            var options = new ProducerOptions();
            configure(options);
            return options;
        });
    }

    private static IKafkaClientBuilder AddProducer(IKafkaClientBuilder builder, string name, string topic, Func<IServiceProvider, ProducerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(KafkaProducerRegistration) && d.ImplementationInstance is KafkaProducerRegistration r && r.Name == name))
        {
            throw new InvalidOperationException($"A Kafka producer named '{name}' is already registered.");
        }
        var registration = new KafkaProducerRegistration(name, builder.Name, topic, options);
        services.AddSingleton(registration);
        services.AddKeyedSingleton(name, (sp, _) => new KafkaProducerRuntime(
            registration,
            sp.GetRequiredKeyedService<KafkaClientRuntime>(registration.ClientName),
            sp,
            (sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger(KafkaProducerRuntime.LogCategory)));
        services.AddKeyedSingleton(name, static (sp, key) => sp.GetRequiredKeyedService<KafkaProducerRuntime>(key).Producer);
        services.AddSingleton<IHostedService>(sp => new KafkaProducerHostedService(sp.GetRequiredKeyedService<KafkaProducerRuntime>(name)));
        return builder;
    }
}
