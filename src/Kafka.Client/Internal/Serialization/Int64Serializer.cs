using System.Buffers;
using System.Buffers.Binary;

namespace Kafka.Client.Internal.Serialization;

internal sealed class Int64Serializer : ISerializer<long>
{
    public void Serialize(long value, IBufferWriter<byte> output)
    {
        BinaryPrimitives.WriteInt64BigEndian(output.GetSpan(8), value);
        output.Advance(8);
    }
}
