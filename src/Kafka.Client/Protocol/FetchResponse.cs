namespace Kafka.Client.Protocol;

/// <summary>
/// A broker's answer to <see cref="FetchRequest"/>. Record data is not copied out of the response frame: each
/// partition notes where its records lie, and <see cref="GetRecords"/> slices them out of the frame the response
/// holds (see <see cref="Internal.IResponseFrameOwner"/>). Disposing the response returns the frame to the pool;
/// record slices must not be used after that.
/// </summary>
internal sealed class FetchResponse : Internal.IResponseFrameOwner, IDisposable
{
    private ReadOnlyMemory<byte> _frame;
    private IDisposable? _owner;

    public FetchResponse(int throttleTimeMs, KafkaErrorCode errorCode, IReadOnlyList<FetchTopicResponse> topics)
    {
        ThrottleTimeMs = throttleTimeMs;
        ErrorCode = errorCode;
        Topics = topics;
    }

    /// <summary>How long the broker throttled the request for a quota violation.</summary>
    public int ThrottleTimeMs { get; }

    /// <summary>The error for the whole request (v7+; fetch-session errors); <see cref="KafkaErrorCode.None"/> before v7.</summary>
    public KafkaErrorCode ErrorCode { get; }

    /// <summary>The results, grouped by topic.</summary>
    public IReadOnlyList<FetchTopicResponse> Topics { get; }

    /// <summary>
    /// Gives the response the bytes it was read from (positions in <see cref="FetchPartitionResponse"/> are offsets
    /// into them) and, optionally, what to dispose with the response.
    /// </summary>
    public void Attach(ReadOnlyMemory<byte> frame, IDisposable? owner)
    {
        _frame = frame;
        _owner = owner;
    }

    void Internal.IResponseFrameOwner.TakeFrame(Internal.ResponseFrame frame) => Attach(frame.Memory, frame);

    /// <summary>The record bytes of a partition (empty for none or null), a slice of the response frame.</summary>
    public ReadOnlyMemory<byte> GetRecords(FetchPartitionResponse partition)
    {
        ArgumentNullException.ThrowIfNull(partition);
        if (partition.RecordsStart < 0 || partition.RecordsLength == 0)
        {
            return ReadOnlyMemory<byte>.Empty;
        }
        if (_frame.Length < partition.RecordsStart + partition.RecordsLength)
        {
            throw new InvalidOperationException("The fetch response has no frame attached, or it was disposed.");
        }
        return _frame.Slice(partition.RecordsStart, partition.RecordsLength);
    }

    /// <summary>Returns the frame to its pool.</summary>
    public void Dispose()
    {
        _frame = default;
        Interlocked.Exchange(ref _owner, null)?.Dispose();
    }
}

/// <summary>The results for one topic.</summary>
/// <param name="Name">The topic name (before v13); <see langword="null"/> from v13.</param>
/// <param name="TopicId">The topic id (v13+); <see cref="Guid.Empty"/> before.</param>
/// <param name="Partitions">The result for each partition.</param>
internal sealed record FetchTopicResponse(string? Name, Guid TopicId, IReadOnlyList<FetchPartitionResponse> Partitions);

/// <summary>The result for one partition.</summary>
/// <param name="PartitionIndex">The partition number.</param>
/// <param name="ErrorCode">The partition's error (OFFSET_OUT_OF_RANGE, NOT_LEADER_OR_FOLLOWER...).</param>
/// <param name="HighWatermark">The partition's high watermark.</param>
/// <param name="LastStableOffset">The last stable offset; -1 when unknown.</param>
/// <param name="LogStartOffset">The log start offset (v5+); -1 before.</param>
/// <param name="AbortedTransactions">The aborted transactions among the records (read committed); <see langword="null"/> when not sent.</param>
/// <param name="PreferredReadReplica">The replica to fetch from next (v11+); -1 for the leader.</param>
/// <param name="RecordsStart">Where the records start in the response frame; -1 for null records.</param>
/// <param name="RecordsLength">How many bytes of records there are.</param>
internal sealed record FetchPartitionResponse(
    int PartitionIndex,
    KafkaErrorCode ErrorCode,
    long HighWatermark,
    long LastStableOffset,
    long LogStartOffset,
    IReadOnlyList<AbortedTransaction>? AbortedTransactions,
    int PreferredReadReplica,
    int RecordsStart,
    int RecordsLength);

/// <summary>A transaction that was aborted: its producer and the offset of its first record in the partition.</summary>
/// <param name="ProducerId">The producer id of the transaction.</param>
/// <param name="FirstOffset">The offset of the transaction's first record.</param>
internal readonly record struct AbortedTransaction(long ProducerId, long FirstOffset);
