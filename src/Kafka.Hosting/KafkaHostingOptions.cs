namespace Kafka.Hosting;

/// <summary>
/// What the host does with a client: how often its metadata is refreshed in the background, whether start-up waits
/// for the cluster, and the default resilience pipeline. Bound from the same configuration section as the client's
/// <see cref="Kafka.Client.KafkaClientOptions"/> (<c>Kafka</c> for the default client, <c>Kafka:Clients:{name}</c>
/// for a named one), so one section configures both.
/// </summary>
public sealed class KafkaHostingOptions
{
    /// <summary>The configuration section of the default client.</summary>
    public const string DefaultConfigurationSection = "Kafka";

    /// <summary>The section, under <see cref="DefaultConfigurationSection"/>, that holds one subsection per named client.</summary>
    public const string ClientsConfigurationSection = "Clients";

    /// <summary>The shortest accepted <see cref="MetadataRefreshInterval"/>.</summary>
    public static readonly TimeSpan MinimumRefreshInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often the client's metadata (brokers, topics, leaders) is refreshed in the background. pykafka refreshed
    /// only on errors; Kafka's own clients refresh every 5 minutes (<c>metadata.max.age.ms</c>).
    /// </summary>
    /// <value>The default value is 5 minutes; the minimum is 1 second.</value>
    public TimeSpan MetadataRefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The shortest time between the start of two refreshes when the client asks for early ones (a stale leader, an
    /// unknown broker); requests within it are coalesced into one refresh. After a failed refresh the next attempt
    /// comes after this gap, doubling with each further failure up to <see cref="MetadataRefreshInterval"/>.
    /// </summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan MinRefreshGap { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether starting the host waits for the first successful metadata refresh. When the cluster does not answer
    /// within <see cref="WaitForClusterTimeout"/>, start-up fails with a <see cref="TimeoutException"/>.
    /// </summary>
    /// <value>The default value is <see langword="false"/>: the host starts at once and the refresh runs in the background.</value>
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
