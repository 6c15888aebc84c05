namespace Kafka.Benchmarks;

/// <summary>One benchmark setting, run with each client: value size, codec, message count. acks=1, linger 5 ms.</summary>
internal sealed record Scenario(int ValueSize, string Compression, int Messages)
{
    public const int Partitions = 6;

    public string Name => $"{ValueSize} B, {Compression}";

    /// <summary>
    /// The value every message carries: JSON-like text with some variety, so that lz4 has realistic work (neither
    /// random bytes nor one repeated byte).
    /// </summary>
    public static byte[] Value(int size)
    {
        var text = new System.Text.StringBuilder();
        var random = new Random(size);
        while (text.Length < size)
        {
            text.Append("{\"id\":").Append(random.Next(100_000)).Append(",\"name\":\"item-").Append(random.Next(1000))
                .Append("\",\"price\":").Append(random.Next(10_000) / 100.0).Append(",\"tags\":[\"a\",\"b\"]}");
        }
        return System.Text.Encoding.ASCII.GetBytes(text.ToString(0, size));
    }
}
