using System.Buffers;
using Kafka.Client.Protocol.Records;

namespace Kafka.Client.Internal;

/// <summary>
/// The pool response frames are read into. Consumers hold fetch frames until their messages are consumed, so many
/// large frames are out at once; the shared pool keeps only a few arrays per size on each core and then allocates
/// fresh large-object-heap arrays, which showed as kilobytes allocated per consumed message. This pool keeps more,
/// and gives them back when they are not needed (see <see cref="TrimmingArrayPool{T}"/>).
/// </summary>
internal sealed class FrameBufferPool(TimeProvider time) : TrimmingArrayPool<byte>(time, smallestSize: 16 * 1024)
{
    public static readonly FrameBufferPool Instance = new(TimeProvider.System);

    /// <summary>Bytes held in the pool now (not rented out).</summary>
    public long PooledBytes => PooledElements;
}

/// <summary>
/// The pool of the arrays fetched records are kept in (one per fetched partition, sized to its records): the shared
/// pool would keep them for a minute or more after the consumer goes idle, tens of megabytes with small messages.
/// </summary>
internal static class RecordArrayPool
{
    public static readonly TrimmingArrayPool<RecordView> Instance = new(TimeProvider.System, smallestSize: 16);
}

/// <summary>
/// An array pool that gives memory back when it is not needed:
/// <list type="bullet">
/// <item>sizes are rounded up to a quarter of their power of two (a 1.05 MiB fetch frame takes a 1.25 MiB array, not
/// a 2 MiB one), and arrays are not zeroed when allocated (a frame is read into before it is read), so pages a frame
/// never reaches are never touched;</item>
/// <item>every <see cref="TrimInterval"/>, each size drops the arrays it kept unused through the whole interval: a
/// consumer that goes idle, or a burst that is over, leaves nothing pooled behind two intervals later.</item>
/// </list>
/// </summary>
internal class TrimmingArrayPool<T> : ArrayPool<T>, IDisposable
{
    public static readonly TimeSpan TrimInterval = TimeSpan.FromSeconds(10);

    private const int DefaultSmallestSize = 16 * 1024;
    private const int MaxPerSize = 64;
    private const int MaxPooledSize = 128 * 1024 * 1024;

    private readonly Lock _lock = new();
    private readonly Dictionary<int, SizeBucket> _buckets = [];
    private readonly ITimer _trimTimer;
    private readonly int _smallestSize;

    /// <param name="time">Drives the trimming.</param>
    /// <param name="smallestSize">The smallest array handed out (a power of two).</param>
    public TrimmingArrayPool(TimeProvider time, int smallestSize = DefaultSmallestSize)
    {
        _smallestSize = smallestSize;
        _trimTimer = time.CreateTimer(static pool => ((TrimmingArrayPool<T>)pool!).Trim(), this, TrimInterval, TrimInterval);
    }

    /// <summary>Elements held in the pool now (not rented out).</summary>
    public long PooledElements
    {
        get
        {
            lock (_lock)
            {
                long total = 0;
                foreach (var (size, bucket) in _buckets)
                {
                    total += (long)size * bucket.Arrays.Count;
                }
                return total;
            }
        }
    }

    /// <summary>The size class of <paramref name="minimumLength"/>: at least <paramref name="smallest"/>, then quarters of each power of two.</summary>
    public static int SizeClass(int minimumLength, int smallest = DefaultSmallestSize)
    {
        if (minimumLength <= smallest)
        {
            return smallest;
        }
        var power = 1 << (31 - int.LeadingZeroCount(minimumLength - 1)); // the largest power of two below the length
        var quarter = power / 4;
        var rounded = power + ((long)(minimumLength - power + quarter - 1) / quarter * quarter);
        return (int)Math.Min(rounded, Array.MaxLength);
    }

    public override T[] Rent(int minimumLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumLength);
        var size = SizeClass(minimumLength, _smallestSize);
        if (size <= MaxPooledSize)
        {
            lock (_lock)
            {
                if (_buckets.TryGetValue(size, out var bucket) && bucket.Arrays.TryPop(out var pooled))
                {
                    bucket.LowWater = Math.Min(bucket.LowWater, bucket.Arrays.Count);
                    return pooled;
                }
            }
        }
        return GC.AllocateUninitializedArray<T>(size);
    }

    public override void Return(T[] array, bool clearArray = false)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Length > MaxPooledSize || SizeClass(array.Length, _smallestSize) != array.Length)
        {
            return; // not one of ours
        }
        if (clearArray)
        {
            Array.Clear(array);
        }
        lock (_lock)
        {
            if (!_buckets.TryGetValue(array.Length, out var bucket))
            {
                _buckets[array.Length] = bucket = new SizeBucket();
            }
            if (bucket.Arrays.Count < MaxPerSize)
            {
                bucket.Arrays.Push(array);
            }
        }
    }

    /// <summary>Drops, in each size, as many arrays as stayed unused since the last trim (the fewest the size held).</summary>
    public void Trim()
    {
        lock (_lock)
        {
            foreach (var bucket in _buckets.Values)
            {
                for (var unused = Math.Min(bucket.LowWater, bucket.Arrays.Count); unused > 0; unused--)
                {
                    bucket.Arrays.Pop();
                }
                bucket.LowWater = bucket.Arrays.Count;
            }
        }
    }

    public void Dispose() => _trimTimer.Dispose();

    private sealed class SizeBucket
    {
        public Stack<T[]> Arrays { get; } = new();

        /// <summary>The fewest arrays the bucket held since the last trim: that many were not needed.</summary>
        public int LowWater { get; set; }
    }
}
