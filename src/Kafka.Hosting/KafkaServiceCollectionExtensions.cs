using Kafka.Client;
using Kafka.Hosting;
using Kafka.Hosting.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Telemetry;
using Polly.DependencyInjection;
using Polly.Registry;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers Kafka clients: a singleton <see cref="KafkaClient"/> per name, bound from configuration and validated
/// when the host starts, with a background metadata refresh, a resilience pipeline around its socket operations,
/// and telemetry. See docs/hosting.md.
/// </summary>
public static class KafkaServiceCollectionExtensions
{
    /// <summary>
    /// Registers the default <see cref="KafkaClient"/>, bound from the <c>Kafka</c> configuration section (client and
    /// hosting options alike). Calling it again adds no second client.
    /// </summary>
    /// <param name="services">The services to add to.</param>
    /// <returns>A builder to configure the client further.</returns>
    public static IKafkaClientBuilder AddKafkaClient(this IServiceCollection services) =>
        AddCore(services, Options.Options.DefaultName, configuration: null, configure: null);

    /// <summary>Registers the default <see cref="KafkaClient"/>, bound from <paramref name="configuration"/>.</summary>
    /// <param name="services">The services to add to.</param>
    /// <param name="configuration">The section holding the client's settings, such as <c>GetSection("Kafka")</c>.</param>
    /// <returns>A builder to configure the client further.</returns>
    public static IKafkaClientBuilder AddKafkaClient(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return AddCore(services, Options.Options.DefaultName, configuration, configure: null);
    }

    /// <summary>
    /// Registers the default <see cref="KafkaClient"/>, bound from the <c>Kafka</c> configuration section and then
    /// changed by <paramref name="configure"/>.
    /// </summary>
    /// <param name="services">The services to add to.</param>
    /// <param name="configure">Sets options in code; runs after configuration binding.</param>
    /// <returns>A builder to configure the client further.</returns>
    public static IKafkaClientBuilder AddKafkaClient(this IServiceCollection services, Action<KafkaClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddCore(services, Options.Options.DefaultName, configuration: null, (_, options) => configure(options));
    }

    /// <summary>
    /// Registers the default <see cref="KafkaClient"/>, bound from the <c>Kafka</c> configuration section and then
    /// changed by <paramref name="configure"/>, which may read other services.
    /// </summary>
    /// <param name="services">The services to add to.</param>
    /// <param name="configure">Sets options in code; runs after configuration binding.</param>
    /// <returns>A builder to configure the client further.</returns>
    public static IKafkaClientBuilder AddKafkaClient(this IServiceCollection services, Action<IServiceProvider, KafkaClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddCore(services, Options.Options.DefaultName, configuration: null, configure);
    }

    /// <summary>
    /// Registers a named <see cref="KafkaClient"/>, a keyed singleton (<c>[FromKeyedServices("orders")] KafkaClient</c>),
    /// bound from the <c>Kafka:Clients:{name}</c> configuration section.
    /// </summary>
    /// <param name="services">The services to add to.</param>
    /// <param name="name">The client's name and service key.</param>
    /// <returns>A builder to configure the client further.</returns>
    public static IKafkaClientBuilder AddKafkaClient(this IServiceCollection services, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return AddCore(services, name, configuration: null, configure: null);
    }

    /// <summary>Registers a named <see cref="KafkaClient"/> (a keyed singleton) bound from <paramref name="configuration"/>.</summary>
    /// <param name="services">The services to add to.</param>
    /// <param name="name">The client's name and service key.</param>
    /// <param name="configuration">The section holding the client's settings.</param>
    /// <returns>A builder to configure the client further.</returns>
    public static IKafkaClientBuilder AddKafkaClient(this IServiceCollection services, string name, IConfiguration configuration)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configuration);
        return AddCore(services, name, configuration, configure: null);
    }

    /// <summary>
    /// Registers a named <see cref="KafkaClient"/> (a keyed singleton), bound from <c>Kafka:Clients:{name}</c> and
    /// then changed by <paramref name="configure"/>.
    /// </summary>
    /// <param name="services">The services to add to.</param>
    /// <param name="name">The client's name and service key.</param>
    /// <param name="configure">Sets options in code; runs after configuration binding.</param>
    /// <returns>A builder to configure the client further.</returns>
    public static IKafkaClientBuilder AddKafkaClient(this IServiceCollection services, string name, Action<KafkaClientOptions> configure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configure);
        return AddCore(services, name, configuration: null, (_, options) => configure(options));
    }

    /// <summary>
    /// Registers a named <see cref="KafkaClient"/> (a keyed singleton), bound from <c>Kafka:Clients:{name}</c> and
    /// then changed by <paramref name="configure"/>, which may read other services.
    /// </summary>
    /// <param name="services">The services to add to.</param>
    /// <param name="name">The client's name and service key.</param>
    /// <param name="configure">Sets options in code; runs after configuration binding.</param>
    /// <returns>A builder to configure the client further.</returns>
    public static IKafkaClientBuilder AddKafkaClient(this IServiceCollection services, string name, Action<IServiceProvider, KafkaClientOptions> configure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configure);
        return AddCore(services, name, configuration: null, configure);
    }

    private static KafkaClientBuilder AddCore(
        IServiceCollection services, string name, IConfiguration? configuration, Action<IServiceProvider, KafkaClientOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        var path = configuration is null
            ? KafkaHostingOptions.GetConfigurationSection(name)
            : (configuration as IConfigurationSection)?.Path;
        var registered = FindRegistration(services, name);
        if (registered is null)
        {
            RegisterClient(services, name, path, configuration);
        }
        else if (configuration is not null)
        {
            // A second call with another configuration source binds it too; one with the same section adds nothing.
            Bind(services, name, path: null, configuration);
        }
        if (configure is not null)
        {
            services.AddOptions<KafkaClientOptions>(name).Configure<IServiceProvider>((options, sp) => configure(sp, options));
        }
        return new KafkaClientBuilder(name, services);
    }

    private static KafkaClientRegistration? FindRegistration(IServiceCollection services, string name)
    {
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(KafkaClientRegistration)
                && descriptor.ImplementationInstance is KafkaClientRegistration registration
                && string.Equals(registration.Name, name, StringComparison.Ordinal))
            {
                return registration;
            }
        }
        return null;
    }

    private static void RegisterClient(IServiceCollection services, string name, string? path, IConfiguration? configuration)
    {
        var first = !services.Any(d => d.ServiceType == typeof(KafkaClientRegistration));
        services.AddSingleton(new KafkaClientRegistration(name, path, configuration));

        // Shared by every client.
        services.AddOptions();
        services.TryAddSingleton(TimeProvider.System);
        if (first)
        {
            // Polly's telemetry (logs and the "Polly" meter) gets error.type and friends from here.
            services.AddResilienceEnricher();
        }

        // Options: both types from the same section, validated together when the host starts.
        Bind(services, name, path, configuration);
        services.AddOptions<KafkaClientOptions>(name).ValidateOnStart();
        services.AddSingleton<IValidateOptions<KafkaClientOptions>>(
            sp => new KafkaOptionsValidator(name, path, sp.GetRequiredService<IOptionsMonitor<KafkaHostingOptions>>()));

        services.AddResiliencePipeline(KafkaClientResilience.GetPipelineKey(name),
            (ResiliencePipelineBuilder builder, AddResiliencePipelineContext<string> context) => ConfigurePipeline(name, builder, context));

        services.AddKeyedSingleton(name, static (sp, key) => new KafkaClientRuntime(
            (string)key!,
            sp.GetRequiredService<IOptionsMonitor<KafkaClientOptions>>(),
            sp.GetRequiredService<IOptionsMonitor<KafkaHostingOptions>>(),
            sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ResiliencePipelineProvider<string>>()));
        services.AddSingleton<IHostedService, KafkaClientHostedService>(sp => new KafkaClientHostedService(
            sp.GetRequiredKeyedService<KafkaClientRuntime>(name),
            sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance));

        if (name.Length == 0)
        {
            services.TryAddSingleton(static sp => sp.GetRequiredKeyedService<KafkaClientRuntime>(Options.Options.DefaultName).Client);
            services.TryAddSingleton(static sp => sp.GetRequiredKeyedService<KafkaClientRuntime>(Options.Options.DefaultName).Status);
        }
        else
        {
            services.TryAddKeyedSingleton(name, static (sp, key) => sp.GetRequiredKeyedService<KafkaClientRuntime>(key).Client);
            services.TryAddKeyedSingleton(name, static (sp, key) => sp.GetRequiredKeyedService<KafkaClientRuntime>(key).Status);
        }
    }

    private static void Bind(IServiceCollection services, string name, string? path, IConfiguration? configuration)
    {
        if (configuration is null)
        {
            // The application's configuration, when there is one: a bare ServiceCollection may have none.
            services.AddOptions<KafkaClientOptions>(name).Configure<IServiceProvider>((options, sp) =>
            {
                if (sp.GetService<IConfiguration>() is { } root)
                {
                    SaslMechanismConfiguration.For(root.GetSection(path!)).Bind(options);
                }
            });
            services.AddOptions<KafkaHostingOptions>(name).Configure<IServiceProvider>(
                (options, sp) => sp.GetService<IConfiguration>()?.GetSection(path!).Bind(options));
        }
        else
        {
            services.AddOptions<KafkaClientOptions>(name).Bind(SaslMechanismConfiguration.For(configuration));
            services.AddOptions<KafkaHostingOptions>(name).Bind(configuration);
        }
    }

    private static void ConfigurePipeline(string name, ResiliencePipelineBuilder builder, AddResiliencePipelineContext<string> context)
    {
        var sp = context.ServiceProvider;
        builder.TimeProvider = sp.GetRequiredService<TimeProvider>();
        // Every metadata request runs through this pipeline: Polly's "Execution attempt" event for each one is
        // Debug here (the app's own pipelines keep their settings); retries and failures keep their severity.
        var telemetry = new TelemetryOptions(sp.GetRequiredService<IOptions<TelemetryOptions>>().Value);
        var appSeverity = telemetry.SeverityProvider;
        telemetry.SeverityProvider = args => args.Event.EventName == "ExecutionAttempt" ? ResilienceEventSeverity.Debug : appSeverity?.Invoke(args) ?? args.Event.Severity;
        builder.ConfigureTelemetry(telemetry);
        var options = sp.GetRequiredService<IOptionsMonitor<KafkaHostingOptions>>().Get(name).Resilience;
        var custom = sp.GetRequiredService<IOptionsMonitor<KafkaResilienceConfiguration>>().Get(name);
        if (custom.Actions.Count == 0)
        {
            builder.AddKafkaDefaults(options);
            return;
        }
        var resilienceContext = new KafkaResilienceContext(name, options, sp);
        foreach (var action in custom.Actions)
        {
            action(builder, resilienceContext);
        }
    }
}
