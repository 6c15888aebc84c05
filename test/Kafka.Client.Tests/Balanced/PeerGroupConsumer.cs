using System.Collections.Concurrent;
using Confluent.Kafka;

namespace Kafka.Client.Tests.Balanced;

/// <summary>A Confluent.Kafka group member polling in the background, recording what it consumed.</summary>
internal sealed class PeerGroupConsumer : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _polling;

    public PeerGroupConsumer(ConsumerConfig config, string topic)
    {
        config.AutoOffsetReset = AutoOffsetReset.Earliest;
        config.EnableAutoCommit = true;
        config.AutoCommitIntervalMs = 200;
        Consumer = new ConsumerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();
        Consumer.Subscribe(topic);
        _polling = Task.Run(() =>
        {
            while (!_stop.IsCancellationRequested)
            {
                var result = Consumer.Consume(100);
                if (result is not null && !result.IsPartitionEOF)
                {
                    Seen.Add((result.Partition.Value, result.Offset.Value));
                }
            }
        });
    }

    public IConsumer<byte[], byte[]> Consumer { get; }

    public ConcurrentBag<(int Partition, long Offset)> Seen { get; } = [];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _polling;
        Consumer.Close();
        Consumer.Dispose();
        _stop.Dispose();
    }
}
