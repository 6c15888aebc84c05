namespace Kafka.HostedBenchmarks;

/// <summary>One benchmark case: a topic of <see cref="Partitions"/> partitions, its message size and count, and the handler's simulated I/O.</summary>
internal sealed record Case(string Name, int ValueSize, int PerPartition, TimeSpan HandlerDelay)
{
    public const int Partitions = 12;

    // The mock keeps about 5 MiB or 100,000 messages per partition: 1000-byte values stay at 4,000 per partition.
    public static readonly Case[] All =
    [
        new("100 B, no-op", 100, 10_000, TimeSpan.Zero),
        new("1000 B, no-op", 1000, 4_000, TimeSpan.Zero),
        new("100 B, 2 ms handler", 100, 250, TimeSpan.FromMilliseconds(2)),
    ];

    public string Topic => $"bench-hosted-{ValueSize}-{(HandlerDelay == TimeSpan.Zero ? "noop" : "io")}";

    public int Messages => PerPartition * Partitions;
}
