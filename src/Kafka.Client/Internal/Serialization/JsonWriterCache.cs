using System.Buffers;
using System.Text.Json;

namespace Kafka.Client.Internal.Serialization;

/// <summary>One <see cref="Utf8JsonWriter"/> per thread, reset onto each output, so that serializing allocates no writer.</summary>
internal static class JsonWriterCache
{
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public static Utf8JsonWriter Rent(IBufferWriter<byte> output)
    {
        var writer = t_writer;
        if (writer is null)
        {
            return new Utf8JsonWriter(output);
        }
        t_writer = null;
        writer.Reset(output);
        return writer;
    }

    public static void Return(Utf8JsonWriter writer)
    {
        writer.Reset(NullBufferWriter.Instance);
        t_writer = writer;
    }
}
