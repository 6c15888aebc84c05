using System.Collections.Concurrent;
using Confluent.Kafka;
using Kafka.Testing;

namespace Kafka.Hosting.Tests.Consumers;

/// <summary>
/// Watches a group's committed offsets while a test runs, reading them with Confluent.Kafka, and checks each against
/// the handlers' journal: a committed offset c of a partition says every message before c is handled, so at no moment
/// may a message below it be missing from the journal. (The journal only grows, and is read after the offsets.)
/// A member in a process of its own reports what it handled through a pipe, so its report of a message can reach the
/// journal after the commit that covers it is visible: a gap is a suspect, and a violation only if the message is still
/// missing from the journal when the test reads <see cref="Violations"/>.
/// </summary>
internal sealed class CommitWatch : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly long[] _verified;
    private int _checks;

    public CommitWatch(MockKafkaCluster cluster, string topic, int partitions, string group, Journal journal)
    {
        _verified = new long[partitions];
        _journal = journal;
        _topic = topic;
        _loop = Task.Run(() => Watch(cluster, topic, partitions, group, journal));
    }

    private readonly ConcurrentDictionary<(int Partition, long Offset), long> _suspects = new();
    private readonly Journal _journal;
    private readonly string _topic;

    /// <summary>Committed offsets that passed a message the journal has not recorded as handled, even now.</summary>
    public IReadOnlyList<string> Violations =>
        [.. _suspects.Where(s => !_journal.IsHandled(_topic, s.Key.Partition, s.Key.Offset))
            .Select(s => $"{_topic}/{s.Key.Partition}: committed offset {s.Value} passes {s.Key.Offset}, which was not handled")];

    /// <summary>How many readings were checked.</summary>
    public int Checks => Volatile.Read(ref _checks);

    /// <summary>Per partition, the highest committed offset checked.</summary>
    public IReadOnlyList<long> Verified => _verified;

    private async Task Watch(MockKafkaCluster cluster, string topic, int partitions, string group, Journal journal)
    {
        using var reader = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = cluster.BootstrapServers, GroupId = group })
            .SetLogHandler((_, _) => { }).Build();
        var all = Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)).ToList();
        while (!_stop.IsCancellationRequested)
        {
            List<TopicPartitionOffset> committed;
            try
            {
                committed = reader.Committed(all, TimeSpan.FromSeconds(2));
            }
            catch (KafkaException)
            {
                continue; // the coordinator is down or moving: read again
            }
            foreach (var entry in committed)
            {
                var p = entry.Partition.Value;
                for (var offset = _verified[p]; offset < entry.Offset.Value; offset++)
                {
                    if (!journal.IsHandled(topic, p, offset))
                    {
                        _suspects.TryAdd((p, offset), entry.Offset.Value);
                        break;
                    }
                    _verified[p] = offset + 1;
                }
            }
            Interlocked.Increment(ref _checks);
            try
            {
                await Task.Delay(20, _stop.Token); // a reading every 20 ms, until the test ends
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
    }
}
