using Kafka.Client.Internal.Consuming;
using Kafka.Client.Protocol;
using Kafka.Client.Protocol.Records;
using Kafka.Client.Tests.Protocol;

namespace Kafka.Client.Tests.Consuming;

/// <summary>
/// Read-committed filtering from whole Fetch responses written byte for byte from FetchResponse.json (last stable
/// offset from v4, aborted transactions from v4, flexible from v12, topic ids from v13), decoded by the client's Fetch
/// codec and its record decoder, as the consumer does. librdkafka's mock cannot serve this: its Fetch answers
/// report the last stable offset as the high watermark and list no aborted transactions, and it writes its
/// transaction markers with a zero CRC (see docs/testing.md).
/// </summary>
public sealed class ReadCommittedFetchTests
{
    private const long Aborting = 7;   // its transaction at offsets 0, 1 and 3 is aborted by the marker at 4
    private const long Committing = 8; // its transaction at offset 2 commits with the marker at 5

    private static void Batch(KafkaWriter output, long baseOffset, long producerId, bool control, params string[] values)
    {
        using var builder = new RecordBatchBuilder();
        builder.Begin(output, new RecordBatchSettings
        {
            BaseOffset = baseOffset,
            ProducerId = producerId,
            ProducerEpoch = producerId < 0 ? (short)-1 : (short)0,
            BaseSequence = producerId < 0 ? -1 : 0,
            IsTransactional = producerId >= 0,
            IsControl = control,
        });
        foreach (var value in values)
        {
            // A control record's key is version 0 and the type (0 abort, 1 commit); its value the marker's version and coordinator epoch.
            var key = control ? new byte[] { 0, 0, 0, value == "abort" ? (byte)0 : (byte)1 } : null;
            var body = control ? new byte[] { 0, 0, 0, 0, 0, 5 } : System.Text.Encoding.UTF8.GetBytes(value);
            builder.Append(1000, key, body, default, keyIsNull: key is null);
        }
        builder.Complete();
    }

    /// <summary>The log as two fetches see it, the first one cut short by the partition's byte limit.</summary>
    private static (byte[] First, byte[] Second) Log()
    {
        using var first = new KafkaWriter();
        Batch(first, 0, Aborting, false, "t7-a", "t7-b");
        Batch(first, 2, Committing, false, "t8-a");
        using var second = new KafkaWriter();
        Batch(second, 3, Aborting, false, "t7-c");
        Batch(second, 4, Aborting, true, "abort");
        Batch(second, 5, Committing, true, "commit");
        Batch(second, 6, -1, false, "plain");
        return (first.WrittenSpan.ToArray(), second.WrittenSpan.ToArray());
    }

    /// <summary>A Fetch response body for partition 0 of "orders": watermarks, the aborted transactions, the records.</summary>
    private static byte[] Response(short version, long highWatermark, long lastStableOffset, (long ProducerId, long FirstOffset)[] aborted, byte[] records)
    {
        var f = version >= 12;
        var w = new Wire().I32(0);
        if (version >= 7)
        {
            w.I16(0).I32(0); // error code, session id
        }
        w.Len(1, f);
        if (version >= 13)
        {
            w.Uuid("0102030405060708090a0b0c0d0e0f10");
        }
        else
        {
            w.S("orders", f);
        }
        w.Len(1, f).I32(0).I16(0).I64(highWatermark).I64(lastStableOffset);
        if (version >= 5)
        {
            w.I64(0); // log start offset
        }
        w.Len(aborted.Length, f);
        foreach (var (producerId, firstOffset) in aborted)
        {
            w.I64(producerId).I64(firstOffset).Tags(f);
        }
        if (version >= 11)
        {
            w.I32(-1); // preferred read replica
        }
        if (f)
        {
            w.UVarInt((uint)records.Length + 1).Raw(records).Tags(true);
        }
        else
        {
            w.I32(records.Length).Raw(records);
        }
        w.Tags(f).Tags(f);
        return w.ToArray();
    }

    private static (List<(long Offset, string Value)> Messages, long Next, long LastStable) Consume(short version, byte[] body, long fetchOffset, bool readCommitted)
    {
        var reader = new KafkaReader(body);
        using var response = new FetchRequest().ReadResponse(ref reader, version);
        Assert.That(reader.End, Is.True);
        response.Attach(body, null);
        var partition = response.Topics.Single().Partitions.Single();
        using var records = new RecordSetReader();
        var chunk = new FetchChunk();
        var result = RecordDecoder.Decode(records, response.GetRecords(partition), "orders", 0, fetchOffset, partition.AbortedTransactions, readCommitted, chunk);
        Assert.That(result.Error, Is.Null);
        var messages = new List<(long, string)>();
        while (chunk.TryTake(out var message))
        {
            messages.Add((message.Offset, System.Text.Encoding.UTF8.GetString(message.Value.Span)));
        }
        return (messages, result.NextOffset, partition.LastStableOffset);
    }

    public static IEnumerable<short> Versions() => [4, 5, 7, 11, 12, 13, 16];

    [TestCaseSource(nameof(Versions))]
    public void Read_committed_drops_the_aborted_transaction_across_fetches_and_skips_the_markers(short version)
    {
        var (first, second) = Log();
        // The broker lists an aborted transaction in every fetch whose range it overlaps (its last offset, 4, is past both fetch offsets).
        var one = Consume(version, Response(version, 7, 7, [(Aborting, 0)], first), 0, readCommitted: true);
        Assert.That(one.Messages, Is.EqualTo(new[] { (2L, "t8-a") }));
        Assert.That(one.Next, Is.EqualTo(3));
        Assert.That(one.LastStable, Is.EqualTo(7));
        var two = Consume(version, Response(version, 7, 7, [(Aborting, 0)], second), one.Next, readCommitted: true);
        Assert.That(two.Messages, Is.EqualTo(new[] { (6L, "plain") }));
        Assert.That(two.Next, Is.EqualTo(7), "the next fetch starts after the markers");
    }

    [TestCaseSource(nameof(Versions))]
    public void Read_uncommitted_sees_every_message_but_no_marker(short version)
    {
        var (first, second) = Log();
        var one = Consume(version, Response(version, 7, 7, [], first), 0, readCommitted: false);
        var two = Consume(version, Response(version, 7, 7, [], second), one.Next, readCommitted: false);
        Assert.That(one.Messages.Concat(two.Messages).Select(m => m.Offset), Is.EqualTo(new[] { 0L, 1, 2, 3, 6 }));
    }

    [Test]
    public void A_transaction_still_open_stays_unread_beyond_the_last_stable_offset()
    {
        // Read committed: the broker returns nothing at or past the last stable offset (2, where producer 8's open
        // transaction starts); the consumer reads what it got and fetches again from there.
        using var log = new KafkaWriter();
        Batch(log, 0, -1, false, "before-a", "before-b");
        var response = Consume(12, Response(12, 3, 2, [], log.WrittenSpan.ToArray()), 0, readCommitted: true);
        Assert.That(response.Messages.Select(m => m.Value), Is.EqualTo(new[] { "before-a", "before-b" }));
        Assert.That((response.Next, response.LastStable), Is.EqualTo((2L, 2L)));
    }

    [Test]
    public void A_batch_of_a_producer_aborted_later_in_the_log_is_kept_until_its_aborted_transaction_begins()
    {
        // Producer 7 commits a transaction at 0, then starts one at 2 that is aborted at 3: only the second is dropped.
        using var log = new KafkaWriter();
        Batch(log, 0, Aborting, false, "kept");
        Batch(log, 1, Aborting, true, "commit");
        Batch(log, 2, Aborting, false, "dropped");
        Batch(log, 3, Aborting, true, "abort");
        var response = Consume(4, Response(4, 4, 4, [(Aborting, 2)], log.WrittenSpan.ToArray()), 0, readCommitted: true);
        Assert.That(response.Messages, Is.EqualTo(new[] { (0L, "kept") }));
        Assert.That(response.Next, Is.EqualTo(4));
    }
}
