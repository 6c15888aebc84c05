using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Kafka.Client;
using Kafka.Testing;
using Microsoft.Extensions.DependencyInjection;
using static Kafka.Hosting.Tests.Support.TestHosts;

namespace Kafka.Hosting.Tests;

[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class TelemetryTests
{
    [Test]
    public async Task Metrics_count_refreshes_requests_by_api_connections_and_brokers()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        using var host = Build(FastSettings(cluster.BootstrapServers), s => s.AddKafkaClient());
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        var measurements = new ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == KafkaClientDiagnostics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => measurements.Enqueue((i.Name, v, ToDictionary(tags))));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => measurements.Enqueue((i.Name, v, ToDictionary(tags))));
        listener.SetMeasurementEventCallback<int>((i, v, tags, _) => measurements.Enqueue((i.Name, v, ToDictionary(tags))));
        listener.Start();

        await host.StartAsync();
        var status = host.Services.GetRequiredService<KafkaClusterStatus>();
        await WaitUntilAsync(() => status.RefreshCount == 1, "the refresh at start");
        listener.RecordObservableInstruments();

        Assert.That(measurements.Where(m => m.Instrument == KafkaClientDiagnostics.MetadataRefreshes).Sum(m => m.Value), Is.EqualTo(1));
        Assert.That(measurements.Any(m => m.Instrument == KafkaClientDiagnostics.MetadataRefreshDuration), Is.True);
        Assert.That(measurements.Where(m => m.Instrument == KafkaClientDiagnostics.RequestDuration).Select(m => m.Tags[KafkaClientDiagnostics.ApiTag]),
            Does.Contain("Metadata").And.Contain("ApiVersions"));
        Assert.That(measurements.Where(m => m.Instrument == KafkaClientDiagnostics.RequestDuration).Select(m => m.Tags[KafkaClientDiagnostics.ClientNameTag]),
            Is.All.EqualTo("default"));
        Assert.That(measurements.Last(m => m.Instrument == KafkaClientDiagnostics.KnownBrokers).Value, Is.EqualTo(3));
        Assert.That(measurements.Where(m => m.Instrument == KafkaClientDiagnostics.OpenConnections).Sum(m => m.Value), Is.GreaterThanOrEqualTo(3),
            "the probe holds a connection to each broker");

        await host.StopAsync();
        Assert.That(measurements.Where(m => m.Instrument == KafkaClientDiagnostics.OpenConnections).Sum(m => m.Value), Is.Zero,
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
            ShouldListenTo = s => s.Name == KafkaClientDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (Equals(a.GetTagItem(KafkaClientDiagnostics.ClientNameTag), name))
                {
                    activities.Enqueue(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        using var host = Build(FastSettings(cluster.BootstrapServers, "Kafka:Clients:" + name), s => s.AddKafkaClient(name));

        await host.StartAsync();
        await host.Services.GetRequiredKeyedService<KafkaClient>(name).UpdateClusterAsync();

        await WaitUntilAsync(() => activities.Any(a => a.OperationName == "kafka.metadata.refresh"), "the refresh span");
        var metadata = activities.First(a => a.OperationName == "Metadata");
        Assert.That(metadata.Kind, Is.EqualTo(ActivityKind.Client));
        Assert.That(metadata.GetTagItem("server.port"), Is.EqualTo(cluster.GetBrokerPort(1)).Or.Not.Null);
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
