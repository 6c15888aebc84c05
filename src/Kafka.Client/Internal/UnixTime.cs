namespace Kafka.Client.Internal;

/// <summary>
/// Kafka timestamps as <see cref="DateTimeOffset"/>. On the wire a timestamp is any int64 (milliseconds since the Unix
/// epoch, -1 for none), so a broken or hostile broker can send one that <see cref="DateTimeOffset"/> cannot hold.
/// </summary>
internal static class UnixTime
{
    /// <summary>The last millisecond a <see cref="DateTimeOffset"/> holds (the end of year 9999).</summary>
    public static readonly long MaxMilliseconds = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>
    /// Whether a timestamp read from the wire is a time: from the epoch on (Kafka uses negative values for "none")
    /// and within what <see cref="DateTimeOffset.FromUnixTimeMilliseconds"/> accepts.
    /// </summary>
    public static bool IsTime(long milliseconds) => milliseconds >= 0 && milliseconds <= MaxMilliseconds;
}
