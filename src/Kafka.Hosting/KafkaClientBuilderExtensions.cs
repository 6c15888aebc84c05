using Kafka.Hosting;
using Kafka.Hosting.Internal;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Polly;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Configures a client registered with <c>AddKafkaClient</c>: resilience, hosting options, health check.</summary>
public static class KafkaClientBuilderExtensions
{
    /// <summary>
    /// Replaces the client's default resilience strategies with those <paramref name="configure"/> adds to the
    /// pipeline (registered in Polly's registry under <see cref="KafkaClientResilience.GetPipelineKey"/>). It wraps
    /// every connection attempt and every idempotent request. Several calls add their strategies in call order.
    /// </summary>
    /// <param name="builder">The client's builder.</param>
    /// <param name="configure">Adds strategies; an empty callback turns retries and attempt timeouts off.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IKafkaClientBuilder ConfigureResilience(this IKafkaClientBuilder builder, Action<ResiliencePipelineBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return builder.ConfigureResilience((pipeline, _) => configure(pipeline));
    }

    /// <summary>
    /// Replaces the client's default resilience strategies with those <paramref name="configure"/> adds; the context
    /// carries the bound <see cref="KafkaResilienceOptions"/> and the application's services. To keep the defaults and
    /// add to them, call <see cref="KafkaClientResilience.AddKafkaDefaults"/> from the callback.
    /// </summary>
    /// <param name="builder">The client's builder.</param>
    /// <param name="configure">Adds strategies.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IKafkaClientBuilder ConfigureResilience(this IKafkaClientBuilder builder, Action<ResiliencePipelineBuilder, KafkaResilienceContext> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure<KafkaResilienceConfiguration>(builder.Name, c => c.Actions.Add(configure));
        return builder;
    }

    /// <summary>Changes the client's hosting options (refresh interval, start-up wait, resilience defaults) in code, after binding.</summary>
    /// <param name="builder">The client's builder.</param>
    /// <param name="configure">Sets options.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IKafkaClientBuilder ConfigureHosting(this IKafkaClientBuilder builder, Action<KafkaHostingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(builder.Name, configure);
        return builder;
    }

    /// <summary>
    /// Adds a health check for the client: Healthy when the last metadata refresh succeeded within two refresh
    /// intervals and every known broker is reachable; Degraded when some broker is unreachable or the latest refresh
    /// failed; <paramref name="failureStatus"/> when no refresh has succeeded, the last success is stale, or no broker
    /// is reachable. It reads the client's state and never connects. Adding it twice adds one check.
    /// </summary>
    /// <remarks>
    /// Each hosted consumer of the client (<c>AddConsumer</c>, <c>AddBatchConsumer</c>, whether added before or after
    /// this call) gets a check too, named <c>{name}-consumer-{consumer}</c> (the consumer's configured name, or
    /// <c>group/topic</c>), with the same tags: <paramref name="failureStatus"/> while it is not running or restarts
    /// after a failure; Degraded while the failure policy keeps a partition stopped, or while messages of a partition
    /// wait and nothing has been committed for it in five commit intervals; Healthy otherwise.
    /// </remarks>
    /// <param name="builder">The client's builder.</param>
    /// <param name="name">The check's name; <see cref="KafkaClientDiagnostics.GetHealthCheckName"/> by default.</param>
    /// <param name="failureStatus">The status reported on failure; Unhealthy by default.</param>
    /// <param name="tags">Tags to filter checks by (for example "ready").</param>
    /// <param name="timeout">How long the check may take; it answers at once, so none by default.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IKafkaClientBuilder AddHealthCheck(
        this IKafkaClientBuilder builder,
        string? name = null,
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null,
        TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var checkName = name ?? KafkaClientDiagnostics.GetHealthCheckName(builder.Name);
        var clientName = builder.Name;
        var tagList = tags?.ToArray();
        builder.Services.AddHealthChecks();
        builder.Services.AddOptions<HealthCheckServiceOptions>().Configure<IServiceProvider>((options, services) =>
        {
            if (options.Registrations.Any(r => string.Equals(r.Name, checkName, StringComparison.Ordinal)))
            {
                return;
            }
            options.Registrations.Add(new HealthCheckRegistration(
                checkName,
                sp => new KafkaClientHealthCheck(sp.GetRequiredKeyedService<KafkaClientRuntime>(clientName)),
                failureStatus,
                tagList,
                timeout));
            foreach (var consumer in services.GetServices<HostedConsumerRegistration>().Where(r => string.Equals(r.ClientName, clientName, StringComparison.Ordinal)))
            {
                options.Registrations.Add(new HealthCheckRegistration(
                    $"{checkName}-consumer-{consumer.DisplayName}",
                    sp => consumer.Kind switch
                    {
                        HandlerKind.Transactional => new TransactionalConsumerHealthCheck(sp.GetRequiredKeyedService<TransactionalConsumerService>(consumer.OptionsName)),
                        HandlerKind.Share => new ShareConsumerHealthCheck(sp.GetRequiredKeyedService<ShareConsumerService>(consumer.OptionsName)),
                        _ => (IHealthCheck)new HostedConsumerHealthCheck(sp.GetRequiredKeyedService<HostedConsumerService>(consumer.OptionsName)),
                    },
                    failureStatus,
                    tagList,
                    timeout));
            }
        });
        return builder;
    }
}
