using System.Globalization;
using Kafka.Benchmarks;

// Three roles, one executable:
//   (no arguments)  the orchestrator: starts the mock cluster in a separate process, runs every scenario with both
//                   clients (each run in its own process, so that CPU, allocations and peak memory are its own), and
//                   prints the results with this client's ratio to Confluent.Kafka's.
//   --mock-server   a process that runs MockKafkaCluster, prints its bootstrap servers and creates topics on request.
//   --run ...       one measured run of one client (started by the orchestrator).
//   --lowrate       the low-rate case instead (see LowRate): one message per ms, each ProduceAsync awaited.
//   --run-lowrate   one measured low-rate run of one client.
//   --transactional the transactional case instead (see Transactional): transactions of the same size, both clients.
//   --run-transactional  one measured transactional run of one client.
//   --metadata      metadata at scale instead (see MetadataAtScale): a full refresh of 20,000 and 100,000 partitions.
//   --run-metadata  one measured metadata run of one client.
var arguments = args.ToList();
if (arguments.Count > 0 && arguments[0] == "--mock-server")
{
    return MockServer.Run(arguments.Count > 1 ? int.Parse(arguments[1], CultureInfo.InvariantCulture) : 3);
}
if (arguments.Count > 0 && arguments[0] == "--run")
{
    return await SingleRun.RunAsync(arguments.Skip(1).ToArray());
}
if (arguments.Count > 0 && arguments[0] == "--run-lowrate")
{
    return await LowRate.RunSingleAsync(arguments.Skip(1).ToArray());
}
if (arguments.Count > 0 && arguments[0] == "--run-transactional")
{
    return await Transactional.RunSingleAsync(arguments.Skip(1).ToArray());
}
if (arguments.Count > 0 && arguments[0] == "--run-metadata")
{
    return await MetadataAtScale.RunSingleAsync(arguments.Skip(1).ToArray());
}
if (arguments.Contains("--metadata"))
{
    return await MetadataAtScale.RunAsync(arguments);
}
if (arguments.Contains("--transactional"))
{
    return await Transactional.RunAsync(arguments);
}
if (arguments.Contains("--lowrate"))
{
    return await LowRate.RunAsync(arguments);
}
return await Orchestrator.RunAsync(arguments);
