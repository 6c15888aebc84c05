using System.Globalization;
using System.Text;

namespace Kafka.Client.Tests.Protocol;

/// <summary>
/// Builds expected wire bytes by hand, independently of <c>KafkaWriter</c>, so request encodings are checked
/// against the protocol's layout rather than against the code under test.
/// </summary>
internal sealed class Wire
{
    private readonly List<byte> _bytes = [];

    public byte[] ToArray() => [.. _bytes];

    public Wire U8(int value)
    {
        _bytes.Add(checked((byte)value));
        return this;
    }

    public Wire Bool(bool value) => U8(value ? 1 : 0);

    public Wire I8(sbyte value) => U8((byte)value);

    public Wire I16(short value) => U8((value >> 8) & 0xFF).U8(value & 0xFF);

    public Wire I32(int value) => U8((value >> 24) & 0xFF).U8((value >> 16) & 0xFF).U8((value >> 8) & 0xFF).U8(value & 0xFF);

    public Wire I64(long value) => I32((int)(value >> 32)).I32((int)value);

    // Lengths below 128 are one byte, which is all these tests need; longer ones go through UVarInt.
    public Wire UVarInt(uint value)
    {
        while (value >= 0x80)
        {
            U8((int)((value & 0x7F) | 0x80));
            value >>= 7;
        }
        return U8((int)value);
    }

    public Wire Raw(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    /// <summary>A classic string: int16 length, then UTF-8.</summary>
    public Wire Str(string? value)
    {
        if (value is null)
        {
            return I16(-1);
        }
        var bytes = Encoding.UTF8.GetBytes(value);
        return I16((short)bytes.Length).Raw(bytes);
    }

    /// <summary>A compact string: unsigned varint length + 1 (0 for null), then UTF-8.</summary>
    public Wire CStr(string? value)
    {
        if (value is null)
        {
            return UVarInt(0);
        }
        var bytes = Encoding.UTF8.GetBytes(value);
        return UVarInt((uint)bytes.Length + 1).Raw(bytes);
    }

    /// <summary>A classic (int32) or compact (varint + 1) array length; -1 is null.</summary>
    public Wire Len(int count, bool compact) => compact ? UVarInt((uint)(count + 1)) : I32(count);

    /// <summary>A string, classic or compact.</summary>
    public Wire S(string? value, bool compact) => compact ? CStr(value) : Str(value);

    /// <summary>An empty tagged-field section, only when <paramref name="flexible"/>.</summary>
    public Wire Tags(bool flexible) => flexible ? U8(0) : this;

    public Wire Uuid(string value) => Raw(Hex.Parse(value.Replace("-", "", StringComparison.Ordinal)));
}

internal static class Hex
{
    /// <summary>Parses hex digits, ignoring spaces and line breaks ("00 0a ff").</summary>
    public static byte[] Parse(string hex)
    {
        var digits = new StringBuilder(hex.Length);
        foreach (var c in hex)
        {
            if (!char.IsWhiteSpace(c))
            {
                digits.Append(c);
            }
        }
        return Convert.FromHexString(digits.ToString());
    }

    public static string Format(ReadOnlySpan<byte> bytes)
    {
        var builder = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            if (builder.Length > 0)
            {
                builder.Append(' ');
            }
            builder.Append(b.ToString("x2", CultureInfo.InvariantCulture));
        }
        return builder.ToString();
    }
}
