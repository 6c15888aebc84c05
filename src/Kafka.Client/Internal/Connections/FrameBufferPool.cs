using System.Buffers;

namespace Kafka.Client.Internal;

/// <summary>
/// The pool response frames are read into. Consumers hold fetch frames until their messages are consumed, so many
/// large frames are out at once; the shared pool keeps only a few arrays per size on each core and then allocates
/// fresh large-object-heap arrays, which showed as kilobytes allocated per consumed message. This pool keeps more,
/// and gives them back when they are not needed:
/// <list type="bullet">
/// <item>sizes are rounded up to a quarter of their power of two (a 1.05 MiB fetch frame takes a 1.25 MiB array, not
/// a 2 MiB one), and arrays are not zeroed (a frame is read into before it is read), so pages a frame never reaches
/// are never touched;</item>
/// <item>every <see cref="TrimInterval"/>, each size drops the arrays it kept unused through the whole interval: a
/// consumer that goes idle, or a burst that is over, leaves nothing pooled behind two intervals later.</item>
/// </list>
/// </summary>
internal sealed class FrameBufferPool : ArrayPool<byte>, IDisposable
{
    public static readonly TimeSpan TrimInterval = TimeSpan.FromSeconds(10);
    public static readonly FrameBufferPool Instance = new(TimeProvider.System);

    private const int SmallestSize = 16 * 1024;
    private const int MaxPerSize = 64;
    private const int MaxPooledSize = 128 * 1024 * 1024;

    private readonly Lock _lock = new();
    private readonly Dictionary<int, SizeBucket> _buckets = [];
    private readonly ITimer _trimTimer;

    public FrameBufferPool(TimeProvider time) =>
        _trimTimer = time.CreateTimer(static pool => ((FrameBufferPool)pool!).Trim(), this, TrimInterval, TrimInterval);

    /// <summary>Bytes held in the pool now (not rented out).</summary>
    public long PooledBytes
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

    /// <summary>The size class of <paramref name="minimumLength"/>: at least 16 KiB, then quarters of each power of two.</summary>
    public static int SizeClass(int minimumLength)
    {
        if (minimumLength <= SmallestSize)
        {
            return SmallestSize;
        }
        var power = 1 << (31 - int.LeadingZeroCount(minimumLength - 1)); // the largest power of two below the length
        var quarter = power / 4;
        var rounded = power + ((long)(minimumLength - power + quarter - 1) / quarter * quarter);
        return (int)Math.Min(rounded, Array.MaxLength);
    }

    public override byte[] Rent(int minimumLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumLength);
        var size = SizeClass(minimumLength);
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
        return GC.AllocateUninitializedArray<byte>(size);
    }

    public override void Return(byte[] array, bool clearArray = false)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Length > MaxPooledSize || SizeClass(array.Length) != array.Length)
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
        public Stack<byte[]> Arrays { get; } = new();

        /// <summary>The fewest arrays the bucket held since the last trim: that many were not needed.</summary>
        public int LowWater { get; set; }
    }
}
