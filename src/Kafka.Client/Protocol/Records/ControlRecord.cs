using System.Buffers.Binary;

namespace Kafka.Client.Protocol.Records;

/// <summary>The type of a transaction marker in a control batch.</summary>
internal enum ControlRecordType : short
{
    Abort = 0,
    Commit = 1,
}

/// <summary>Reads the key of a control record: int16 version, int16 type.</summary>
internal static class ControlRecord
{
    public static bool TryReadType(ReadOnlySpan<byte> key, out ControlRecordType type)
    {
        if (key.Length < 4)
        {
            type = default;
            return false;
        }
        type = (ControlRecordType)BinaryPrimitives.ReadInt16BigEndian(key[2..]);
        return true;
    }
}
