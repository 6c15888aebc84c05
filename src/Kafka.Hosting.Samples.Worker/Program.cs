using Kafka.Hosting.Samples;
using Microsoft.Extensions.Hosting;

await WorkerSample.CreateBuilder(args).Build().RunAsync();
