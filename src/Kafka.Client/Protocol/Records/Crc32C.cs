using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Kafka.Client.Protocol.Records;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of record batch v2. <see cref="BitOperations.Crc32C(uint, ulong)"/> is the
/// raw hardware step (SSE4.2 / ARMv8 CRC32C, a table fallback elsewhere): reflected, without the initial and final
/// inversion, which this class adds.
/// </summary>
/// <remarks>
/// The hardware step has a latency of about three cycles but can start one per cycle, so one dependent chain uses a
/// third of it. Long inputs are therefore cut into three lanes computed side by side and joined with the CRC's
/// linearity: the state after A then B is the state after A shifted over |B| zero bytes, xor B's state from zero.
/// Shifting is a multiplication by x^(8|B|) modulo the polynomial, done once per lane per call.
/// </remarks>
internal static class Crc32C
{
    // Reflected polynomial 0x1EDC6F41.
    private const uint Polynomial = 0x82F63B78;

    // Below this, three lanes and the shift cost more than they save.
    private const int InterleaveThreshold = 3 * 1024;

    // PowersOfX[k] = x^(2^k) modulo the polynomial (reflected: x^0 is the top bit).
    private static readonly uint[] PowersOfX = ComputePowersOfX();

    /// <summary>The CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Update(uint.MaxValue, data);

    /// <summary>
    /// Feeds <paramref name="data"/> into a running (pre-inversion) state; start from <see cref="uint.MaxValue"/>
    /// and invert the final state.
    /// </summary>
    public static uint Update(uint state, ReadOnlySpan<byte> data)
    {
        if (data.Length < InterleaveThreshold || !BitConverter.IsLittleEndian)
        {
            // (The lanes read words in machine order; the reflected CRC needs them little-endian.)
            return UpdateOneLane(state, data);
        }
        // Three lanes of equal length, a multiple of eight bytes; the tail (under 24 bytes) follows on one lane.
        var laneLength = data.Length / 24 * 8;
        ref var start = ref Unsafe.AsRef(in data[0]);
        uint a = state, b = 0, c = 0;
        for (var i = 0; i < laneLength; i += 8)
        {
            a = BitOperations.Crc32C(a, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i)));
            b = BitOperations.Crc32C(b, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, laneLength + i)));
            c = BitOperations.Crc32C(c, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, 2 * laneLength + i)));
        }
        var shift = ShiftFactor(laneLength);
        state = MultiplyModulo(shift, MultiplyModulo(shift, a) ^ b) ^ c;
        return UpdateOneLane(state, data[(3 * laneLength)..]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint UpdateOneLane(uint state, ReadOnlySpan<byte> data)
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

    /// <summary>x^(8 * <paramref name="bytes"/>) modulo the polynomial: what shifts a state over that many zero bytes.</summary>
    internal static uint ShiftFactor(int bytes)
    {
        var factor = 1u << 31; // x^0
        var k = 3; // 8 = 2^3
        for (var n = (uint)bytes; n != 0; n >>= 1, k++)
        {
            if ((n & 1) != 0)
            {
                factor = MultiplyModulo(PowersOfX[k], factor);
            }
        }
        return factor;
    }

    /// <summary>a * b modulo the polynomial, both reflected.</summary>
    internal static uint MultiplyModulo(uint a, uint b)
    {
        var product = 0u;
        for (var bit = 1u << 31; bit != 0; bit >>= 1)
        {
            if ((a & bit) != 0)
            {
                product ^= b;
            }
            b = (b & 1) != 0 ? (b >> 1) ^ Polynomial : b >> 1; // b *= x
        }
        return product;
    }

    private static uint[] ComputePowersOfX()
    {
        // A shift of up to int.MaxValue bytes is x^(8n) with 8n < 2^34: 34 entries would do.
        var powers = new uint[35];
        var p = 1u << 30; // x^1
        for (var k = 0; k < powers.Length; k++)
        {
            powers[k] = p;
            p = MultiplyModulo(p, p);
        }
        return powers;
    }
}
