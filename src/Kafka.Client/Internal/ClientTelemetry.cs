using System.Runtime.CompilerServices;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Kafka.Client.Protocol;

namespace Kafka.Client.Internal;

/// <summary>
/// The client's one <see cref="ActivitySource"/> and one <see cref="Meter"/> (both named <see cref="KafkaTelemetry.MeterName"/>),
/// shared by every client in the process as Npgsql and HttpClient do, and the instruments on them. Callers check
/// <see cref="IsRequestObserved"/> first: with nobody listening, the request path does no extra work and allocates
/// nothing (tags are structs, names are cached).
/// </summary>
internal static class ClientTelemetry
{
    private static readonly string? Version = typeof(ClientTelemetry).Assembly.GetName().Version?.ToString();

    // Durations are short network round trips: the OpenTelemetry buckets for HTTP durations suit them.
    private static readonly double[] DurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

    private static readonly string[] ApiNames = BuildApiNames();

    // Weak: telemetry must not keep a client alive.
    private static readonly ConditionalWeakTable<Cluster, string> LiveClusters = new();

    public static readonly KeyValuePair<string, object?> SystemTag = new(KafkaTelemetry.SystemTag, "kafka");

    public static readonly ActivitySource Source = new(KafkaTelemetry.ActivitySourceName, Version);

    public static readonly Meter Meter = new(KafkaTelemetry.MeterName, Version);

    public static readonly Histogram<double> RequestDuration = Meter.CreateHistogram(
        KafkaTelemetry.RequestDuration, "s", "Request/response round trips to brokers, by API.", advice: DurationAdvice());

    public static readonly UpDownCounter<long> Connections = Meter.CreateUpDownCounter<long>(
        KafkaTelemetry.OpenConnections, "{connection}", "TCP connections to brokers open now.");

    public static readonly Counter<long> Refreshes = Meter.CreateCounter<long>(
        KafkaTelemetry.MetadataRefreshes, "{refresh}", "Metadata refreshes started.");

    public static readonly Counter<long> RefreshFailures = Meter.CreateCounter<long>(
        KafkaTelemetry.MetadataRefreshFailures, "{refresh}", "Metadata refreshes that failed.");

    public static readonly Histogram<double> RefreshDuration = Meter.CreateHistogram(
        KafkaTelemetry.MetadataRefreshDuration, "s", "How long each metadata refresh took.", advice: DurationAdvice());

    private static readonly ObservableGauge<int> KnownBrokers = Meter.CreateObservableGauge(
        KafkaTelemetry.KnownBrokers, ObserveBrokers, "{broker}", "Brokers in each live client's latest metadata.");

    /// <summary>Whether a request's span or duration is wanted by anyone.</summary>
    public static bool IsRequestObserved => RequestDuration.Enabled || Source.HasListeners();

    /// <summary>
    /// Whether the current span is one of the client's own (a metadata refresh): its requests are shown as its children
    /// even without <see cref="KafkaClientOptions.TraceRequests"/>.
    /// </summary>
    public static bool IsUnderClientSpan => ReferenceEquals(Activity.Current?.Source, Source);

    /// <summary>The broker attribute of request measurements, cached for small node ids.</summary>
    private static readonly KeyValuePair<string, object?>[] BrokerTags = [.. Enumerable.Range(0, 64).Select(i => new KeyValuePair<string, object?>(KafkaTelemetry.BrokerIdTag, i))];

    private static KeyValuePair<string, object?> BrokerTag(int brokerId) =>
        (uint)brokerId < (uint)BrokerTags.Length ? BrokerTags[brokerId] : new(KafkaTelemetry.BrokerIdTag, brokerId);

    /// <summary>The attribute that tells clients apart: their client id.</summary>
    public static KeyValuePair<string, object?> ClientTag(string clientId) => new(KafkaTelemetry.ClientIdTag, clientId);

    /// <summary>Counts a live client in the known-brokers gauge until <see cref="Forget"/>.</summary>
    public static void Track(Cluster cluster) => LiveClusters.AddOrUpdate(cluster, cluster.Settings.ClientId);

    public static void Forget(Cluster cluster) => LiveClusters.Remove(cluster);

    /// <summary>A request is about to be written: its client span, or <see langword="null"/> when nobody samples it.</summary>
    public static Activity? StartRequest(ApiKey apiKey, short version, int brokerId, HostAddress address, KeyValuePair<string, object?> clientTag)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        var activity = Source.StartActivity(ApiName(apiKey), ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(SystemTag.Key, SystemTag.Value);
            activity.SetTag(clientTag.Key, clientTag.Value);
            activity.SetTag(KafkaTelemetry.ApiTag, ApiName(apiKey));
            activity.SetTag("kafka.api.version", version);
            activity.SetTag(KafkaTelemetry.BrokerIdTag, brokerId);
            activity.SetTag("server.address", address.Host);
            activity.SetTag("server.port", address.Port);
        }
        return activity;
    }

    /// <summary>A request ended: answered (<paramref name="error"/> is null), failed, or abandoned by its caller.</summary>
    public static void RequestCompleted(Activity? activity, ApiKey apiKey, int brokerId, TimeSpan duration, Exception? error, KeyValuePair<string, object?> clientTag)
    {
        if (RequestDuration.Enabled)
        {
            var tags = new TagList { SystemTag, clientTag, { KafkaTelemetry.ApiTag, ApiName(apiKey) }, BrokerTag(brokerId) };
            if (error is not null)
            {
                tags.Add(KafkaTelemetry.ErrorTypeTag, error.GetType().Name);
            }
            RequestDuration.Record(duration.TotalSeconds, in tags);
        }
        if (activity is not null)
        {
            if (error is not null)
            {
                activity.SetTag(KafkaTelemetry.ErrorTypeTag, error.GetType().Name);
                activity.SetStatus(ActivityStatusCode.Error, error.Message);
            }
            activity.Dispose();
        }
    }

    /// <summary>A connection of traffic class <paramref name="kind"/> was opened (+1) or closed (-1).</summary>
    public static void ConnectionCountChanged(int delta, string kind, KeyValuePair<string, object?> clientTag)
    {
        if (Connections.Enabled)
        {
            Connections.Add(delta, SystemTag, clientTag, new KeyValuePair<string, object?>(KafkaTelemetry.ConnectionKindTag, kind));
        }
    }

    internal static string ApiName(ApiKey apiKey)
    {
        var index = (int)apiKey;
        return (uint)index < (uint)ApiNames.Length && ApiNames[index] is { } name ? name : "Unknown";
    }

    private static string[] BuildApiNames()
    {
        var keys = Enum.GetValues<ApiKey>();
        var names = new string[keys.Max(k => (int)k) + 1];
        foreach (var key in keys)
        {
            names[(int)key] = key.ToString();
        }
        return names;
    }

    internal static InstrumentAdvice<double> DurationAdvice() => new() { HistogramBucketBoundaries = DurationBuckets };

    private static List<Measurement<int>> ObserveBrokers()
    {
        var result = new List<Measurement<int>>();
        foreach (var (cluster, clientId) in (IEnumerable<KeyValuePair<Cluster, string>>)LiveClusters)
        {
            result.Add(new Measurement<int>(cluster.Brokers.Count, SystemTag, ClientTag(clientId)));
        }
        return result;
    }
}
