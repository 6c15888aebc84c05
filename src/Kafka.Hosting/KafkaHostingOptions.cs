namespace Kafka.Hosting;

/// <summary>
/// What the host does with a client: whether start-up waits for the cluster, and the default resilience pipeline.
/// Bound from the same configuration section as the client's <see cref="Kafka.Client.KafkaClientOptions"/>
/// (<c>Kafka</c> for the default client, <c>Kafka:Clients:{name}</c> for a named one), so one section configures both;
/// the background metadata refresh is the client's own, set by the section's <c>MetadataRefreshInterval</c> and
/// <c>MinRefreshGap</c> keys (<see cref="Kafka.Client.KafkaClientOptions"/>).
/// </summary>
public sealed class KafkaHostingOptions
{
    /// <summary>The configuration section of the default client.</summary>
    public const string DefaultConfigurationSection = "Kafka";

    /// <summary>The section, under <see cref="DefaultConfigurationSection"/>, that holds one subsection per named client.</summary>
    public const string ClientsConfigurationSection = "Clients";

    /// <summary>
    /// Whether starting the host waits for the first successful metadata refresh. When the cluster does not answer
    /// within <see cref="WaitForClusterTimeout"/>, start-up fails with a <see cref="TimeoutException"/>.
    /// </summary>
    /// <value>The default value is <see langword="false"/>: the host starts at once and the client's first refresh runs in the background.</value>
    public bool WaitForClusterOnStart { get; set; }

    /// <summary>How long start-up waits for the cluster when <see cref="WaitForClusterOnStart"/> is set.</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan WaitForClusterTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The default resilience pipeline's settings (the <c>Resilience</c> subsection).</summary>
    public KafkaResilienceOptions Resilience { get; set; } = new();

    /// <summary>The configuration section a client named <paramref name="name"/> is bound from.</summary>
    /// <param name="name">The client's name; empty for the default client.</param>
    /// <returns><c>Kafka</c> for the default client, <c>Kafka:Clients:{name}</c> otherwise.</returns>
    public static string GetConfigurationSection(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Length == 0
            ? DefaultConfigurationSection
            : $"{DefaultConfigurationSection}:{ClientsConfigurationSection}:{name}";
    }
}
