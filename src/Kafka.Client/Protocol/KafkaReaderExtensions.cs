namespace Kafka.Client.Protocol;

/// <summary>Array readers shared by the message codecs.</summary>
internal static class KafkaReaderExtensions
{
    /// <summary>
    /// Reads a non-null array's element count (a null array counts as empty) and checks that
    /// <paramref name="minElementSize"/> bytes per element can remain, so that a list sized from the count is
    /// bounded by the frame, not by the wire.
    /// </summary>
    public static int ReadCount(this ref KafkaReader reader, bool compact, int minElementSize)
    {
        var position = reader.Position;
        var count = reader.ReadArrayCount(compact);
        if ((long)count * minElementSize > reader.Remaining)
        {
            throw new KafkaProtocolException(
                $"An array of {count} elements at position {position} needs at least {(long)count * minElementSize} bytes; {reader.Remaining} remain.");
        }
        return count;
    }

    /// <summary>Reads a non-null array of int32 (a null array reads as empty).</summary>
    public static int[] ReadInt32Array(this ref KafkaReader reader, bool compact)
    {
        var count = reader.ReadCount(compact, sizeof(int));
        if (count == 0)
        {
            return [];
        }
        var values = new int[count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = reader.ReadInt32();
        }
        return values;
    }

    /// <summary>Skips the tagged fields that end a struct in flexible versions; does nothing otherwise.</summary>
    public static void SkipTaggedFieldsIf(this ref KafkaReader reader, bool flexible)
    {
        if (flexible)
        {
            reader.SkipTaggedFields();
        }
    }
}
