using Kafka.Client.Protocol;
using Kafka.Client.Protocol.Records;

namespace Kafka.Client.Internal.Consuming;

/// <summary>
/// Turns one partition's fetched records into messages: records before the fetch offset are dropped (a batch is
/// returned whole even when the fetch started inside it), control batches are skipped, and under read-committed the
/// batches of aborted transactions are skipped as the broker's aborted-transaction list says. The offset to fetch
/// next moves past everything read, so gaps (compaction, transaction markers, skipped batches) are never re-fetched.
/// </summary>
internal static class RecordDecoder
{
    /// <summary>The outcome of decoding one partition's records.</summary>
    /// <param name="NextOffset">Where the next fetch should start.</param>
    /// <param name="Error">A corrupt batch that stopped decoding (the messages before it were kept), or <see langword="null"/>.</param>
    /// <param name="TruncatedEntrySize">
    /// When not one whole batch came back: the size the broker's first, incomplete batch declared (the fetch size must
    /// grow to at least that); -1 otherwise.
    /// </param>
    internal readonly record struct Result(long NextOffset, KafkaConsumeException? Error, long TruncatedEntrySize);

    public static Result Decode(
        RecordSetReader reader,
        ReadOnlyMemory<byte> records,
        string topic,
        int partitionId,
        long fetchOffset,
        IReadOnlyList<AbortedTransaction>? abortedTransactions,
        bool readCommitted,
        FetchChunk chunk)
    {
        reader.Reset(records, topic, partitionId);
        var next = fetchOffset;
        var batches = 0;
        HashSet<long>? abortedProducers = null;
        AbortedTransaction[]? aborted = null;
        var abortedIndex = 0;
        if (readCommitted && abortedTransactions is { Count: > 0 })
        {
            aborted = [.. abortedTransactions];
            Array.Sort(aborted, static (a, b) => a.FirstOffset.CompareTo(b.FirstOffset));
        }

        try
        {
            while (reader.TryReadBatch(out var batch))
            {
                batches++;
                if (batch.LastOffset < next)
                {
                    continue; // wholly before the fetch offset (the broker returns batches whole)
                }
                if (readCommitted && batch.IsTransactional)
                {
                    // Transactions whose first offset is at or before this batch's end are known aborted from here on.
                    while (aborted is not null && abortedIndex < aborted.Length && aborted[abortedIndex].FirstOffset <= batch.LastOffset)
                    {
                        (abortedProducers ??= []).Add(aborted[abortedIndex++].ProducerId);
                    }
                    if (batch.IsControl)
                    {
                        if (abortedProducers is not null && IsAbortMarker(reader))
                        {
                            abortedProducers.Remove(batch.ProducerId);
                        }
                    }
                    else if (abortedProducers is not null && abortedProducers.Contains(batch.ProducerId))
                    {
                        next = batch.LastOffset + 1;
                        continue; // a batch of an aborted transaction
                    }
                }
                if (batch.IsControl)
                {
                    next = batch.LastOffset + 1; // transaction markers are not messages
                    continue;
                }
                chunk.Reserve(batch.RecordCount);
                while (reader.TryReadRecord(out var record))
                {
                    if (record.Offset < next)
                    {
                        continue;
                    }
                    chunk.Add(in record);
                    next = record.Offset + 1;
                }
                // Compaction may have removed the batch's last records; the next fetch starts after the batch.
                next = Math.Max(next, batch.LastOffset + 1);
            }
        }
        catch (KafkaProtocolException ex)
        {
            var error = new KafkaConsumeException(topic, partitionId, next, KafkaErrorCode.CorruptMessage,
                $"Consuming {topic}/{partitionId} stopped at offset {next}: {ex.Message}", ex);
            return new Result(next, error, -1);
        }
        return new Result(next, null, batches == 0 && reader.TrailingBytes > 0 ? Math.Max(reader.TruncatedEntrySize, reader.TrailingBytes) : -1);
    }

    private static bool IsAbortMarker(RecordSetReader reader) =>
        reader.TryReadRecord(out var marker)
        && ControlRecord.TryReadType(marker.Key.Span, out var type)
        && type == ControlRecordType.Abort;
}
