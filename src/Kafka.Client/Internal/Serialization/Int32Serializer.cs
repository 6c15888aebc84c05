using System.Buffers;
using System.Buffers.Binary;

namespace Kafka.Client.Internal.Serialization;

internal sealed class Int32Serializer : ISerializer<int>
{
    public void Serialize(int value, IBufferWriter<byte> output)
    {
        BinaryPrimitives.WriteInt32BigEndian(output.GetSpan(4), value);
        output.Advance(4);
    }
}
