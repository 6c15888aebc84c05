using Kafka.Client;
using Kafka.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>SASL settings of a client registered with <c>AddKafkaClient</c> that configuration cannot carry.</summary>
public static class KafkaSaslBuilderExtensions
{
    /// <summary>
    /// Authenticates the client with SASL OAUTHBEARER, tokens coming from <paramref name="tokenProvider"/>, which may use
    /// the application's services (an Azure <c>TokenCredential</c>, an OAuth client, a secret store). It sets
    /// <c>Sasl:Mechanism</c> to <see cref="SaslMechanism.OAuthBearer"/> unless configuration set a mechanism (which must then
    /// be OAuthBearer) and <see cref="SaslConfig.OAuthBearerTokenProvider"/>. The client calls the provider when a
    /// connection authenticates and no valid token is held, and again before the held one expires.
    /// </summary>
    /// <param name="builder">The client's builder.</param>
    /// <param name="tokenProvider">Returns a token (with its expiry) for the given services and cancellation token.</param>
    /// <returns>The same builder, for chaining.</returns>
    /// <example>
    /// <code>
    /// builder.Services.AddKafkaClient().ConfigureOAuthBearer(async (services, ct) =>
    /// {
    ///     var credential = services.GetRequiredService&lt;TokenCredential&gt;();
    ///     var token = await credential.GetTokenAsync(new TokenRequestContext(["https://NAMESPACE.servicebus.windows.net/.default"]), ct);
    ///     return new OAuthBearerToken(token.Token, token.ExpiresOn);
    /// });
    /// </code>
    /// </example>
    public static IKafkaClientBuilder ConfigureOAuthBearer(this IKafkaClientBuilder builder, Func<IServiceProvider, CancellationToken, ValueTask<OAuthBearerToken>> tokenProvider)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(tokenProvider);
        builder.Services.AddOptions<KafkaClientOptions>(builder.Name).Configure<IServiceProvider>((options, services) =>
        {
            options.Sasl ??= new SaslConfig();
            options.Sasl.Mechanism ??= SaslMechanism.OAuthBearer;
            options.Sasl.OAuthBearerTokenProvider = cancellationToken => tokenProvider(services, cancellationToken);
        });
        return builder;
    }
}
