using System.Buffers;
using System.Runtime.CompilerServices;

namespace Kafka.Buffers;

/// <summary>
/// A growable byte buffer rented from <see cref="ArrayPool{T}"/>: what the Kafka protocol writer and the ZooKeeper
/// (jute) writer write into. Its source is compiled into both assemblies, internal in each, so that neither depends
/// on the other for it. A mutable struct: keep it in a field and call it there, never copy it.
/// </summary>
internal struct PooledByteBuffer
{
    private readonly ArrayPool<byte>? _pool;
    private byte[] _array;
    private int _position;

    /// <param name="initialCapacity">The bytes to start with.</param>
    /// <param name="pool">Where arrays come from and go back to; the shared pool when <see langword="null"/>.</param>
    public PooledByteBuffer(int initialCapacity, ArrayPool<byte>? pool = null)
    {
        _pool = pool;
        _array = Pool.Rent(initialCapacity);
        _position = 0;
    }

    private readonly ArrayPool<byte> Pool => _pool ?? ArrayPool<byte>.Shared;

    /// <summary>The number of bytes written.</summary>
    public readonly int Position => _position;

    public readonly ReadOnlySpan<byte> Written => _array.AsSpan(0, _position);

    public readonly ReadOnlyMemory<byte> WrittenMemory => _array.AsMemory(0, _position);

    /// <summary>The bytes written from <paramref name="start"/> on.</summary>
    public readonly ReadOnlySpan<byte> WrittenSince(int start) => _array.AsSpan(start, _position - start);

    /// <summary>Bytes already written, to fill in again (a size or CRC reserved earlier).</summary>
    /// <exception cref="ArgumentOutOfRangeException">They were not all written yet.</exception>
    public readonly Span<byte> Rewrite(int position, int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)position, (uint)(_position - length), nameof(position));
        return _array.AsSpan(position, length);
    }

    /// <summary>The free space after what was written (call <see cref="Ensure"/> first for a size).</summary>
    public readonly Span<byte> Free => _array.AsSpan(_position);

    public readonly Memory<byte> FreeMemory => _array.AsMemory(_position);

    /// <summary>Forgets what was written; keeps the buffer.</summary>
    public void Reset() => _position = 0;

    /// <summary>The next <paramref name="count"/> bytes, counted as written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> Take(int count)
    {
        Ensure(count);
        var span = _array.AsSpan(_position, count);
        _position += count;
        return span;
    }

    /// <summary>Makes room for <paramref name="count"/> more bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Ensure(int count)
    {
        if (_array.Length - _position < count)
        {
            Grow(count);
        }
    }

    /// <summary>Counts <paramref name="count"/> bytes written into <see cref="Free"/> as written.</summary>
    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)count, (uint)(_array.Length - _position), nameof(count));
        _position += count;
    }

    /// <summary>Hands the rented array to the caller, who returns it to the shared pool; the buffer is empty after.</summary>
    public byte[] Detach(out int length)
    {
        var array = _array;
        length = _position;
        _array = [];
        _position = 0;
        return array;
    }

    /// <summary>Returns the array to the pool; writing again rents a new one.</summary>
    public void Return()
    {
        var array = Detach(out _);
        if (array.Length > 0)
        {
            Pool.Return(array);
        }
    }

    private void Grow(int count)
    {
        var needed = (long)_position + count;
        var size = Math.Max(needed, Math.Max(_array.Length, 32) * 2L);
        if (size > Array.MaxLength)
        {
            size = needed <= Array.MaxLength ? Array.MaxLength : throw new InvalidOperationException("A message cannot exceed 2 GiB.");
        }
        var larger = Pool.Rent((int)size);
        _array.AsSpan(0, _position).CopyTo(larger);
        if (_array.Length > 0)
        {
            Pool.Return(_array);
        }
        _array = larger;
    }
}
