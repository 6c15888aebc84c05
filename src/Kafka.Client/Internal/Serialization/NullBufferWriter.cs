using System.Buffers;

namespace Kafka.Client.Internal.Serialization;

/// <summary>Where an idle cached writer points, so that it holds no reference to a producer's buffer.</summary>
internal sealed class NullBufferWriter : IBufferWriter<byte>
{
    public static readonly NullBufferWriter Instance = new();

    public void Advance(int count) => throw new InvalidOperationException("Nothing may be written here.");

    public Memory<byte> GetMemory(int sizeHint = 0) => throw new InvalidOperationException("Nothing may be written here.");

    public Span<byte> GetSpan(int sizeHint = 0) => throw new InvalidOperationException("Nothing may be written here.");
}
