using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Kafka.Client;
using Kafka.Testing;
using Microsoft.Extensions.DependencyInjection;
using static Kafka.Hosting.Tests.Support.TestHosts;

namespace Kafka.Hosting.Tests;

/// <summary>
/// A registered client's telemetry is Kafka.Client's (the "Kafka.Client" meter and activity source): the host adds
/// nothing to requests, connections and refreshes. Each test gives its client a client id of its own, which every
/// measurement and span carries, so that parallel tests' clients are told apart.
/// </summary>
[TestFixture]
[NonParallelizable] // its listeners would make other tests' producers write trace headers
public sealed class TelemetryTests
{
    [Test]
    public async Task Metrics_count_refreshes_requests_by_api_connections_and_brokers()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        var clientId = "metered-" + Guid.NewGuid().ToString("N")[..8];
        var settings = FastSettings(cluster.BootstrapServers);
        settings["Kafka:ClientId"] = clientId;
        using var host = Build(settings, s => s.AddKafkaClient());
        var measurements = new ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == KafkaTelemetry.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var dictionary = ToDictionary(tags);
            if (Equals(dictionary.GetValueOrDefault(KafkaTelemetry.ClientIdTag), clientId))
            {
                measurements.Enqueue((instrument.Name, value, dictionary));
            }
        }
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        listener.Start();

        await host.StartAsync();
        await WaitForFirstRefreshAsync(host.Services.GetRequiredService<KafkaClient>());
        listener.RecordObservableInstruments();

        Assert.That(measurements.Where(m => m.Instrument == KafkaTelemetry.MetadataRefreshes).Sum(m => m.Value), Is.EqualTo(1));
        Assert.That(measurements.Any(m => m.Instrument == KafkaTelemetry.MetadataRefreshDuration), Is.True);
        Assert.That(measurements.Where(m => m.Instrument == KafkaTelemetry.RequestDuration).Select(m => m.Tags[KafkaTelemetry.ApiTag]),
            Does.Contain("Metadata").And.Contain("ApiVersions"));
        Assert.That(measurements.Select(m => m.Tags[KafkaTelemetry.SystemTag]), Is.All.EqualTo("kafka"));
        Assert.That(measurements.Last(m => m.Instrument == KafkaTelemetry.KnownBrokers).Value, Is.EqualTo(3));
        Assert.That(measurements.Where(m => m.Instrument == KafkaTelemetry.OpenConnections).Sum(m => m.Value), Is.GreaterThanOrEqualTo(3),
            "the probe holds a connection to each broker");

        await host.StopAsync();
        Assert.That(measurements.Where(m => m.Instrument == KafkaTelemetry.OpenConnections).Sum(m => m.Value), Is.Zero,
            "every connection is closed after stop");
    }

    [Test]
    public async Task Requests_and_refreshes_are_traced()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        var name = "traced-" + Guid.NewGuid().ToString("N")[..8];
        var activities = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == KafkaTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (Equals(a.GetTagItem(KafkaTelemetry.ClientIdTag), name))
                {
                    activities.Enqueue(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        var settings = FastSettings(cluster.BootstrapServers, "Kafka:Clients:" + name);
        settings[$"Kafka:Clients:{name}:ClientId"] = name;
        using var host = Build(settings, s => s.AddKafkaClient(name));

        await host.StartAsync();
        await host.Services.GetRequiredKeyedService<KafkaClient>(name).UpdateClusterAsync();

        await WaitUntilAsync(() => activities.Any(a => a.OperationName == KafkaTelemetry.MetadataRefreshSpan), "the refresh span");
        var metadata = activities.First(a => a.OperationName == "Metadata");
        Assert.That(metadata.Kind, Is.EqualTo(ActivityKind.Client));
        Assert.That(metadata.GetTagItem("server.port"), Is.EqualTo(cluster.GetBrokerPort(1)).Or.Not.Null);
        Assert.That(metadata.GetTagItem(KafkaTelemetry.SystemTag), Is.EqualTo("kafka"));
        Assert.That(activities.Where(a => a.Source.Name != KafkaTelemetry.ActivitySourceName), Is.Empty);
        await host.StopAsync();
    }

    private static Dictionary<string, object?> ToDictionary(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var result = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            result[tag.Key] = tag.Value;
        }
        return result;
    }
}
