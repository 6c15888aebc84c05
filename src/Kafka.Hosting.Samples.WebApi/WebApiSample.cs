using System.Text.Json;
using Kafka.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Trace;

namespace Kafka.Hosting.Samples;

/// <summary>The web sample's application, built here so tests can start the same app the program runs.</summary>
public static class WebApiSample
{
    public static WebApplication CreateApp(string[] args)
    {
        // The sample's own folder, not the current directory, so that its appsettings.json is found from anywhere.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        EmbeddedKafka.UseIfNoHostsConfigured(builder.Configuration, builder.Services);
        var kafka = builder.Services.AddKafkaClient().AddHealthCheck(tags: ["ready"]);
        // Traces (ASP.NET Core requests, then the Kafka send spans under them) and metrics: see SampleTelemetry.
        SampleTelemetry.Add(builder.Services, builder.Configuration, "kafka-hosting-webapi-sample", tracing => tracing.AddAspNetCoreInstrumentation());
        // One producer per topic the sample may write to, keyed by the topic's name, flushed when the app stops.
        foreach (var topic in builder.Configuration.GetSection("Sample:ProducerTopics").Get<string[]>() ?? [])
        {
            kafka.AddProducer(topic, topic);
        }

        // Requests the endpoints cannot bind (a query value that is not a number) are answered 400 with problem details,
        // in Development too, rather than with the developer exception page.
        builder.Services.AddProblemDetails();
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = false);

        var app = builder.Build();
        app.UseStatusCodePages();
        app.MapGet("/cluster", (KafkaClient client, KafkaClusterStatus status) => ClusterView.From(client, status));
        app.MapGet("/topics/{topic}/messages", MessagesEndpoint.GetAsync);
        app.MapPost("/topics/{topic}/messages", ProduceEndpoint.PostAsync);
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = WriteHealthAsync });
        return app;
    }

    private static Task WriteHealthAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            status = report.Status.ToString(),
            checks = report.Entries.Select(e => new { name = e.Key, status = e.Value.Status.ToString(), description = e.Value.Description }),
        }, cancellationToken: context.RequestAborted);
    }
}
