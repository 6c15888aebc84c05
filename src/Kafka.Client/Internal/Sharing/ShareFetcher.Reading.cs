using Kafka.Client.Protocol;
using Kafka.Client.Protocol.Records;
using Microsoft.Extensions.Logging;

namespace Kafka.Client.Internal.Sharing;

/// <summary>Reading a ShareFetch answer: the records acquired for this member, each handed out once.</summary>
internal sealed partial class ShareFetcher
{
    /// <summary>Turns a ShareFetch answer into messages: the acquired offsets of the records, each with its delivery count.</summary>
    private List<ConsumedMessage> Read(ShareSession session, ShareFetchResponse response, List<(SharePartition Partition, List<ShareAcknowledgementBatch> Batches, long[] Offsets)> sent)
    {
        var messages = new List<ConsumedMessage>();
        using var reader = new RecordSetReader { VerifyChecksums = _options.CheckCrcs };
        foreach (var topic in response.Topics)
        {
            foreach (var partition in topic.Partitions)
            {
                SharePartition? state;
                lock (_lock)
                {
                    state = FindPartition(topic.TopicId, partition.PartitionIndex);
                }
                if (state is null)
                {
                    continue; // not a partition this member asked for
                }
                if (partition.AcknowledgeErrorCode != KafkaErrorCode.None)
                {
                    var refused = sent.Where(s => ReferenceEquals(s.Partition, state)).SelectMany(s => s.Offsets).ToArray();
                    ReportRefused(state, partition.AcknowledgeErrorCode, partition.AcknowledgeErrorMessage, refused);
                }
                if (partition.ErrorCode != KafkaErrorCode.None)
                {
                    _cluster.ReportStaleMetadata($"share fetch of {state.Topic}/{state.Partition} was answered {KafkaErrors.GetName(partition.ErrorCode)}");
                    continue;
                }
                if (partition.AcquiredRecords.Count == 0)
                {
                    continue;
                }
                ReadPartition(reader, session, state, partition, messages);
            }
        }
        return messages;
    }

    private void ReadPartition(RecordSetReader reader, ShareSession session, SharePartition state, ShareFetchPartitionResponse partition, List<ConsumedMessage> messages)
    {
        var acquired = partition.AcquiredRecords.OrderBy(a => a.FirstOffset).ToArray();
        // Offsets this member holds already (handed out and not acknowledged, or acknowledged and not sent yet) are not
        // handed out again if a broker lists them once more (librdkafka's mock lists every record the member holds).
        HashSet<long> held;
        lock (_lock)
        {
            held = [.. state.Delivered, .. state.Pending.Keys];
        }
        var delivered = new HashSet<long>();
        try
        {
            if (partition.Records is { Length: > 0 } records)
            {
                reader.Reset(records, state.Topic, state.Partition);
                var range = 0;
                while (reader.TryReadBatch(out var batch))
                {
                    if (batch.IsControl)
                    {
                        continue; // markers are acknowledged as gaps below
                    }
                    while (reader.TryReadRecord(out var record))
                    {
                        while (range < acquired.Length && acquired[range].LastOffset < record.Offset)
                        {
                            range++;
                        }
                        if (range == acquired.Length)
                        {
                            break;
                        }
                        if (record.Offset >= acquired[range].FirstOffset && !held.Contains(record.Offset) && delivered.Add(record.Offset))
                        {
                            messages.Add(ConsumedMessage.ForShareGroup(state.Topic, state.Partition, in record, acquired[range].DeliveryCount));
                        }
                    }
                }
            }
        }
        catch (KafkaProtocolException ex)
        {
            // A corrupt batch: what could not be read goes back to the group (Release) and its delivery count grows.
            Log.CorruptRecords(_logger, GroupId, state.Topic, state.Partition, ex.Message);
        }
        lock (_lock)
        {
            state.SessionBrokerId = session.Broker.Id;
            foreach (var range in acquired)
            {
                for (var offset = range.FirstOffset; offset <= range.LastOffset; offset++)
                {
                    if (delivered.Contains(offset))
                    {
                        state.Delivered.Add(offset);
                    }
                    else if (!held.Contains(offset))
                    {
                        // An acquired offset with no record (a transaction marker, compacted away, unreadable): a gap.
                        state.Pending[offset] = 0;
                    }
                }
            }
        }
    }
}
