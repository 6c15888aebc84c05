using System.Runtime.InteropServices;
using System.Text;
using Kafka.Testing.Native;

namespace Kafka.Testing;

/// <summary>
/// librdkafka's own share consumer (KIP-932; its C API, a preview in librdkafka 2.15/2.16, which Confluent.Kafka for .NET
/// does not expose), from the same native library as <see cref="MockKafkaCluster"/>: an independent share-group member
/// for tests, so that a share group can mix this project's members with another implementation's. Implicit
/// acknowledgement: each <see cref="Poll"/> (and disposal) accepts the records of the previous one.
/// </summary>
public sealed class LibrdkafkaShareConsumer : IDisposable
{
    private nint _handle;

    private LibrdkafkaShareConsumer(nint handle) => _handle = handle;

    /// <summary>Creates a member of <paramref name="groupId"/> subscribed to <paramref name="topics"/>; it joins in the background.</summary>
    /// <param name="bootstrapServers">The brokers, for example <see cref="MockKafkaCluster.BootstrapServers"/>.</param>
    /// <param name="groupId">The share group.</param>
    /// <param name="topics">The topics to subscribe to.</param>
    /// <exception cref="MockKafkaClusterException">librdkafka refused the configuration or the subscription.</exception>
    public static unsafe LibrdkafkaShareConsumer Create(string bootstrapServers, string groupId, IEnumerable<string> topics)
    {
        ArgumentException.ThrowIfNullOrEmpty(bootstrapServers);
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        ArgumentNullException.ThrowIfNull(topics);
        LibrdkafkaLoader.EnsureLoaded();
        var errstr = stackalloc byte[512];
        var conf = LibrdkafkaNative.ConfNew();
        foreach (var (name, value) in new[] { ("bootstrap.servers", bootstrapServers), ("group.id", groupId), ("log_level", "0") })
        {
            if (LibrdkafkaNative.ConfSet(conf, name, value, errstr, 512) != LibrdkafkaNative.ConfOk)
            {
                LibrdkafkaNative.ConfDestroy(conf);
                throw new MockKafkaClusterException($"librdkafka refused {name}: {Marshal.PtrToStringUTF8((nint)errstr)}");
            }
        }
        var handle = LibrdkafkaNative.ShareConsumerNew(conf, errstr, 512);
        if (handle == 0)
        {
            LibrdkafkaNative.ConfDestroy(conf);
            throw new MockKafkaClusterException($"librdkafka could not create a share consumer: {Marshal.PtrToStringUTF8((nint)errstr)}");
        }
        var consumer = new LibrdkafkaShareConsumer(handle);
        var list = LibrdkafkaNative.TopicPartitionListNew(1);
        try
        {
            foreach (var topic in topics)
            {
                LibrdkafkaNative.TopicPartitionListAdd(list, topic, -1);
            }
            var error = LibrdkafkaNative.ShareSubscribe(handle, list);
            if (error != 0)
            {
                consumer.Dispose();
                throw new MockKafkaClusterException($"librdkafka refused the subscription: {LibrdkafkaNative.ErrorName(error)}");
            }
        }
        finally
        {
            LibrdkafkaNative.TopicPartitionListDestroy(list);
        }
        return consumer;
    }

    /// <summary>
    /// Polls once, waiting at most <paramref name="timeout"/>: the records received (partition, offset, delivery count,
    /// value as UTF-8), or none; records with an error are left out. Accepts the previous poll's records.
    /// </summary>
    /// <exception cref="MockKafkaClusterException">The poll failed.</exception>
    public unsafe IReadOnlyList<(int Partition, long Offset, int DeliveryCount, string Value)> Poll(TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(_handle == 0, this);
        nint batch = 0;
        var error = LibrdkafkaNative.SharePoll(_handle, (int)Math.Clamp(timeout.TotalMilliseconds, 0, int.MaxValue), &batch);
        if (error != 0)
        {
            var text = Marshal.PtrToStringUTF8((nint)LibrdkafkaNative.ErrorString(error));
            LibrdkafkaNative.ErrorDestroy(error);
            if (batch != 0)
            {
                LibrdkafkaNative.MessagesDestroy(batch);
            }
            throw new MockKafkaClusterException($"librdkafka's share poll failed: {text}");
        }
        if (batch == 0)
        {
            return [];
        }
        try
        {
            var count = (int)LibrdkafkaNative.MessagesCount(batch);
            var records = new List<(int, long, int, string)>(count);
            for (var i = 0; i < count; i++)
            {
                var message = (RdKafkaMessage*)LibrdkafkaNative.MessagesGet(batch, (nuint)i);
                if (message == null || message->Err != 0)
                {
                    continue;
                }
                var value = message->Payload == 0 ? string.Empty : Encoding.UTF8.GetString(new ReadOnlySpan<byte>((void*)message->Payload, checked((int)message->Length)));
                records.Add((message->Partition, message->Offset, LibrdkafkaNative.MessageDeliveryCount((nint)message), value));
            }
            return records;
        }
        finally
        {
            LibrdkafkaNative.MessagesDestroy(batch);
        }
    }

    /// <summary>Closes the consumer (sending its acknowledgements, leaving the group) and frees it.</summary>
    public void Dispose()
    {
        var handle = Interlocked.Exchange(ref _handle, 0);
        if (handle == 0)
        {
            return;
        }
        var error = LibrdkafkaNative.ShareConsumerClose(handle);
        if (error != 0)
        {
            LibrdkafkaNative.ErrorDestroy(error);
        }
        error = LibrdkafkaNative.ShareDestroy(handle);
        if (error != 0)
        {
            LibrdkafkaNative.ErrorDestroy(error);
        }
    }

    /// <summary>The head of librdkafka's <c>rd_kafka_message_t</c> (rdkafka.h): the fields read here, in their order.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct RdKafkaMessage
    {
        public int Err;
        public nint Topic;
        public int Partition;
        public nint Payload;
        public nuint Length;
        public nint Key;
        public nuint KeyLength;
        public long Offset;
    }
}
