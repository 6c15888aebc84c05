namespace Kafka.Client.Protocol;

/// <summary>The answer to <see cref="AddPartitionsToTxnRequest"/>: one error code per partition.</summary>
internal sealed record AddPartitionsToTxnResponse(int ThrottleTimeMs, IReadOnlyList<TxnPartitionResult> Results);

/// <summary>The outcome for one partition of a transaction request (AddPartitionsToTxn, TxnOffsetCommit).</summary>
internal sealed record TxnPartitionResult(string Topic, int Partition, KafkaErrorCode ErrorCode)
{
    /// <summary>Reads the per-topic, per-partition error codes both responses share.</summary>
    public static List<TxnPartitionResult> ReadTopics(ref KafkaReader reader, bool flexible)
    {
        var results = new List<TxnPartitionResult>();
        // Each topic: name, partition count (+ tags); each partition: index, error code (+ tags).
        var topics = reader.ReadCount(flexible, flexible ? 3 : 6);
        for (var t = 0; t < topics; t++)
        {
            var name = reader.ReadString(flexible);
            var partitions = reader.ReadCount(flexible, flexible ? 7 : 6);
            for (var p = 0; p < partitions; p++)
            {
                var index = reader.ReadInt32();
                var error = (KafkaErrorCode)reader.ReadInt16();
                reader.SkipTaggedFieldsIf(flexible);
                results.Add(new TxnPartitionResult(name, index, error));
            }
            reader.SkipTaggedFieldsIf(flexible);
        }
        return results;
    }
}
