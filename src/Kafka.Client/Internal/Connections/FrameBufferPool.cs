using System.Buffers;

namespace Kafka.Client.Internal;

/// <summary>
/// The pool response frames are read into. Consumers hold fetch frames until their messages are consumed, so many
/// large frames are out at once; the shared pool keeps only a few arrays per size on each core and then allocates
/// fresh large-object-heap arrays, which showed as kilobytes allocated per consumed message. This pool keeps more.
/// </summary>
internal static class FrameBufferPool
{
    public static readonly ArrayPool<byte> Instance = ArrayPool<byte>.Create(maxArrayLength: 128 * 1024 * 1024, maxArraysPerBucket: 64);
}
