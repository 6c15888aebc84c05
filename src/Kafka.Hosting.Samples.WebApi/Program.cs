using Kafka.Hosting.Samples;

await WebApiSample.CreateApp(args).RunAsync();
