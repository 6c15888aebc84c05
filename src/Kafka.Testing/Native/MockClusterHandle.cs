using System.Runtime.InteropServices;

namespace Kafka.Testing.Native;

/// <summary>
/// Owns one rd_kafka_mock_cluster_t together with the rd_kafka_t it lives on and the log sink they call.
/// As a <see cref="SafeHandle"/>, release happens once, after any native call in flight on another thread returns,
/// and also from the finalizer if the owner was never disposed.
/// </summary>
internal sealed class MockClusterHandle : SafeHandle
{
    private const int ErrorStringSize = 512;

    private nint _kafkaHandle;
    private GCHandle _logSink;

    /// <summary>Creates an invalid handle (the marshaller requires a public parameterless constructor).</summary>
    public MockClusterHandle()
        : base(0, ownsHandle: true)
    {
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle == 0;

    /// <summary>Wakes the mock thread during calls it serves; see <see cref="MockThreadNudger"/>.</summary>
    internal MockThreadNudger Nudger { get; } = new();

    /// <summary>Creates the librdkafka handle and a mock cluster of <paramref name="brokerCount"/> brokers on it.</summary>
    internal static unsafe MockClusterHandle Create(int brokerCount, NativeLogSink logSink)
    {
        var result = new MockClusterHandle();
        var sinkHandle = GCHandle.Alloc(logSink);
        nint conf = LibrdkafkaNative.ConfNew();
        byte* errstr = stackalloc byte[ErrorStringSize];
        nint rk = 0;
        try
        {
            LibrdkafkaNative.ConfSetLogCallback(conf, NativeLogSink.Callback);
            LibrdkafkaNative.ConfSetOpaque(conf, GCHandle.ToIntPtr(sinkHandle));
            if (LibrdkafkaNative.ConfSet(conf, "client.id", "kafka-testing-mock-cluster", errstr, ErrorStringSize) != LibrdkafkaNative.ConfOk)
            {
                throw new MockKafkaClusterException($"rd_kafka_conf_set failed: {Marshal.PtrToStringUTF8((nint)errstr)}");
            }

            rk = LibrdkafkaNative.New(LibrdkafkaNative.ProducerType, conf, errstr, ErrorStringSize);
            if (rk == 0)
            {
                throw new MockKafkaClusterException($"rd_kafka_new failed: {Marshal.PtrToStringUTF8((nint)errstr)}");
            }

            conf = 0; // rd_kafka_new took ownership of it.

            nint cluster = LibrdkafkaNative.MockClusterNew(rk, brokerCount);
            if (cluster == 0)
            {
                throw new MockKafkaClusterException(
                    "rd_kafka_mock_cluster_new failed (it could not bind or listen on 127.0.0.1, or start its thread); see the log for the reason.");
            }

            result._kafkaHandle = rk;
            result._logSink = sinkHandle;
            result.SetHandle(cluster);
            return result;
        }
        catch
        {
            if (rk != 0)
            {
                LibrdkafkaNative.Destroy(rk);
            }

            if (conf != 0)
            {
                LibrdkafkaNative.ConfDestroy(conf);
            }

            sinkHandle.Free();
            result.SetHandleAsInvalid();
            throw;
        }
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        // The cluster first: it runs on the rd_kafka_t, and both may still log through the sink.
        using (Nudger.Arm())
        {
            LibrdkafkaNative.MockClusterDestroy(handle);
        }

        LibrdkafkaNative.Destroy(_kafkaHandle);
        _kafkaHandle = 0;
        if (_logSink.IsAllocated)
        {
            _logSink.Free();
        }

        return true;
    }
}
