using System.Buffers;
using System.Text;

namespace Kafka.Client.Internal.Serialization;

internal sealed class Utf8Serializer : ISerializer<string>
{
    public void Serialize(string value, IBufferWriter<byte> output) => Encoding.UTF8.GetBytes(value, output);
}
