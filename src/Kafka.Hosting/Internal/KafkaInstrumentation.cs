using System.Diagnostics;
using Kafka.Client.Internal;
using Kafka.Client.Protocol;

namespace Kafka.Hosting.Internal;

/// <summary>
/// Turns one client's connection-layer events into metrics and spans. On the request path it allocates nothing
/// unless someone listens to the activity source: tags are structs and names are cached.
/// </summary>
internal sealed class KafkaInstrumentation : IClientInstrumentation
{
    internal static readonly ActivitySource Source = new(KafkaClientDiagnostics.ActivitySourceName);

    private static readonly string[] ApiNames = BuildApiNames();

    private readonly KafkaMetrics _metrics;
    private readonly KeyValuePair<string, object?> _clientTag;

    public KafkaInstrumentation(string clientName, KafkaMetrics metrics)
    {
        _metrics = metrics;
        _clientTag = new(KafkaClientDiagnostics.ClientNameTag, KafkaClientDiagnostics.DisplayName(clientName));
    }

    public Activity? RequestStarting(ApiKey apiKey, short version, int brokerId, HostAddress address)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        var activity = Source.StartActivity(ApiName(apiKey), ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(KafkaClientDiagnostics.ClientNameTag, _clientTag.Value);
            activity.SetTag(KafkaClientDiagnostics.ApiTag, ApiName(apiKey));
            activity.SetTag("kafka.api.version", version);
            activity.SetTag("kafka.broker.id", brokerId);
            activity.SetTag("server.address", address.Host);
            activity.SetTag("server.port", address.Port);
        }
        return activity;
    }

    public void RequestCompleted(Activity? activity, ApiKey apiKey, TimeSpan duration, Exception? error)
    {
        var api = new KeyValuePair<string, object?>(KafkaClientDiagnostics.ApiTag, ApiName(apiKey));
        if (error is null)
        {
            _metrics.RequestDuration.Record(duration.TotalSeconds, _clientTag, api);
        }
        else
        {
            var errorType = error.GetType().Name;
            _metrics.RequestDuration.Record(duration.TotalSeconds, _clientTag, api, new(KafkaClientDiagnostics.ErrorTypeTag, errorType));
            activity?.SetTag(KafkaClientDiagnostics.ErrorTypeTag, errorType);
            activity?.SetStatus(ActivityStatusCode.Error, error.Message);
        }
        activity?.Dispose();
    }

    public void ConnectionOpened(string kind) =>
        _metrics.Connections.Add(1, _clientTag, new KeyValuePair<string, object?>(KafkaClientDiagnostics.ConnectionKindTag, kind));

    public void ConnectionClosed(string kind) =>
        _metrics.Connections.Add(-1, _clientTag, new KeyValuePair<string, object?>(KafkaClientDiagnostics.ConnectionKindTag, kind));

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
}
