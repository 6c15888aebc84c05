using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Kafka.Client.Protocol.Records;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of record batch v2. <see cref="BitOperations.Crc32C(uint, ulong)"/> is the
/// raw hardware step (SSE4.2 / ARMv8 CRC32C, a table fallback elsewhere): reflected, without the initial and final
/// inversion, which this class adds.
/// </summary>
internal static class Crc32C
{
    /// <summary>The CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Update(uint.MaxValue, data);

    /// <summary>
    /// Feeds <paramref name="data"/> into a running (pre-inversion) state; start from <see cref="uint.MaxValue"/>
    /// and invert the final state.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Update(uint state, ReadOnlySpan<byte> data)
    {
        // Eight bytes per step, read little-endian because the reflected CRC consumes the lowest byte first.
        var i = 0;
        for (var end = data.Length - 8; i <= end; i += 8)
        {
            state = BitOperations.Crc32C(state, BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(i, 8)));
        }
        for (; i < data.Length; i++)
        {
            state = BitOperations.Crc32C(state, data[i]);
        }
        return state;
    }
}
