using Kafka.Tools;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C stops the command cleanly (tail, consume_topic); a second one ends the process.
    e.Cancel = !cancel.IsCancellationRequested;
    cancel.Cancel();
};
return await KafkaTools.RunAsync(args, ToolConsole.FromSystemConsole(), cancel.Token);
