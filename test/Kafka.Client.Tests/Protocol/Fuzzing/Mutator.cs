using System.Buffers.Binary;

namespace Kafka.Client.Tests.Protocol.Fuzzing;

/// <summary>A mutated input and how it was made, to print when it breaks a decoder.</summary>
/// <param name="Case">The case number within its seed; with the seed's name it reproduces the mutation.</param>
/// <param name="CaseSeed">The <see cref="Random"/> seed the case ran with.</param>
/// <param name="Description">The mutations applied, in order ("flip bit 3 at 17; int32 7fffffff at 4").</param>
/// <param name="Bytes">The mutated bytes.</param>
internal sealed record Mutation(int Case, int CaseSeed, string Description, byte[] Bytes);

/// <summary>
/// Deterministic byte-level mutations of a valid input: bit flips, boundary bytes, int16/int32 fields overwritten
/// with boundary values, varints made long, truncation, insertion, deletion and duplication of ranges. Every case is
/// made from its own <see cref="Random"/> seeded from the seed's name and the case number, so a failing case comes
/// out the same on every run and on its own.
/// </summary>
internal static class Mutator
{
    private static readonly byte[] BoundaryBytes = [0x00, 0x01, 0x7F, 0x80, 0xFF];
    private static readonly short[] BoundaryInt16 = [-1, 0, 1, short.MaxValue, short.MinValue];
    // Besides the extremes, sizes just under and at a 1 MiB limit, which length checks against a limit must catch.
    private static readonly int[] BoundaryInt32 = [-1, 0, 1, int.MaxValue, int.MinValue, 0x10000, 0x7FFFFFF0, 0xFFFFF, 0x100000];

    // Unsigned varints that are long, overlong or too large for 32 bits, for lengths and counts in flexible versions.
    private static readonly byte[][] LongVarints =
    [
        [0xFF, 0xFF, 0xFF, 0xFF, 0x0F], // 2^32 - 1: a compact length of 4 GiB
        [0xFF, 0xFF, 0xFF, 0xFF, 0x07],
        [0xFF, 0xFF, 0xFF, 0x7F],
        [0x80, 0x80, 0x80, 0x80, 0x00], // zero, overlong
        [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], // more than 32 bits
        [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], // a varlong of 64 bits
        [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], // more than 64 bits
        [0x81, 0x80, 0x80, 0x80, 0x10],
        [0xFF, 0xFF, 0x3F], // 1 MiB - 1
        [0x80, 0x80, 0x10], // 256 KiB
    ];

    /// <summary>A stable hash of a seed's name (string.GetHashCode differs between runs).</summary>
    public static int StableHash(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return (int)hash;
    }

    /// <summary>The <see cref="Random"/> seed of case <paramref name="caseNumber"/> of the seed named <paramref name="seedName"/>.</summary>
    public static int CaseSeed(string seedName, int caseNumber) => StableHash(seedName) ^ (caseNumber * 1_000_003);

    /// <summary>
    /// The cases for one seed: truncation at every point when the seed is short (at <paramref name="randomCases"/>
    /// random points otherwise is part of the random cases), then <paramref name="randomCases"/> random mutations.
    /// Bytes before <paramref name="mutableFrom"/> (a correlation id the connection has already matched) are kept.
    /// </summary>
    public static IEnumerable<Mutation> Cases(string seedName, byte[] seed, int randomCases, int mutableFrom = 0, int exhaustiveTruncationUpTo = 512)
    {
        var caseNumber = 0;
        if (seed.Length <= exhaustiveTruncationUpTo)
        {
            for (var length = mutableFrom; length < seed.Length; length++)
            {
                yield return new Mutation(caseNumber++, 0, $"truncate to {length}", seed[..length]);
            }
        }
        for (var i = 0; i < randomCases; i++)
        {
            var number = caseNumber++;
            yield return Make(seedName, seed, number, mutableFrom);
        }
    }

    /// <summary>Makes one random case again, from the seed's name and the case number a failure printed.</summary>
    public static Mutation Make(string seedName, byte[] seed, int caseNumber, int mutableFrom = 0)
    {
        var caseSeed = CaseSeed(seedName, caseNumber);
        var random = new Random(caseSeed);
        var bytes = new List<byte>(seed);
        var steps = new List<string>();
        // Mostly one mutation; sometimes a few stacked, which reach states a single change cannot.
        var count = random.Next(4) == 0 ? 2 + random.Next(4) : 1;
        for (var i = 0; i < count; i++)
        {
            steps.Add(Apply(random, bytes, mutableFrom));
        }
        return new Mutation(caseNumber, caseSeed, string.Join("; ", steps), [.. bytes]);
    }

    private static string Apply(Random random, List<byte> bytes, int mutableFrom)
    {
        var span = bytes.Count - mutableFrom;
        if (span <= 0)
        {
            var inserted = (byte)random.Next(256);
            bytes.Add(inserted);
            return $"append {inserted:x2}";
        }
        var at = mutableFrom + random.Next(span);
        switch (random.Next(12))
        {
            case 0:
            case 1:
            {
                var bit = random.Next(8);
                bytes[at] ^= (byte)(1 << bit);
                return $"flip bit {bit} at {at}";
            }
            case 2:
            {
                var flips = 2 + random.Next(7);
                var where = new List<string>(flips);
                for (var i = 0; i < flips; i++)
                {
                    var p = mutableFrom + random.Next(span);
                    var bit = random.Next(8);
                    bytes[p] ^= (byte)(1 << bit);
                    where.Add($"{p}.{bit}");
                }
                return $"flip bits {string.Join(",", where)}";
            }
            case 3:
            {
                var value = BoundaryBytes[random.Next(BoundaryBytes.Length)];
                bytes[at] = value;
                return $"byte {value:x2} at {at}";
            }
            case 4:
            {
                var value = BoundaryInt16[random.Next(BoundaryInt16.Length)];
                Span<byte> field = stackalloc byte[2];
                BinaryPrimitives.WriteInt16BigEndian(field, value);
                Overwrite(bytes, at, field);
                return $"int16 {(ushort)value:x4} at {at}";
            }
            case 5:
            case 6:
            {
                var value = BoundaryInt32[random.Next(BoundaryInt32.Length)];
                Span<byte> field = stackalloc byte[4];
                BinaryPrimitives.WriteInt32BigEndian(field, value);
                Overwrite(bytes, at, field);
                return $"int32 {(uint)value:x8} at {at}";
            }
            case 7:
            {
                // Replace one byte (a one-byte varint, usually) with a long varint.
                var varint = LongVarints[random.Next(LongVarints.Length)];
                bytes.RemoveAt(at);
                bytes.InsertRange(at, varint);
                return $"varint {Hex.Format(varint)} at {at}";
            }
            case 8:
            {
                var length = mutableFrom + random.Next(span);
                bytes.RemoveRange(length, bytes.Count - length);
                return $"truncate to {length}";
            }
            case 9:
            {
                var inserted = new byte[1 + random.Next(8)];
                random.NextBytes(inserted);
                bytes.InsertRange(at, inserted);
                return $"insert {Hex.Format(inserted)} at {at}";
            }
            case 10:
            {
                var count = Math.Min(1 + random.Next(8), bytes.Count - at);
                bytes.RemoveRange(at, count);
                return $"delete {count} at {at}";
            }
            default:
            {
                // Duplicate a range elsewhere: repeated structs, an array element too many.
                var count = Math.Min(1 + random.Next(32), bytes.Count - at);
                var chunk = bytes.GetRange(at, count);
                var to = mutableFrom + random.Next(bytes.Count - mutableFrom + 1);
                bytes.InsertRange(to, chunk);
                return $"copy {count} from {at} to {to}";
            }
        }
    }

    private static void Overwrite(List<byte> bytes, int at, ReadOnlySpan<byte> field)
    {
        for (var i = 0; i < field.Length && at + i < bytes.Count; i++)
        {
            bytes[at + i] = field[i];
        }
    }
}
