using Kafka.Client.Protocol;
using static Kafka.Client.Tests.Protocol.AdminCodec;

namespace Kafka.Client.Tests.Protocol;

// Vectors written from AddPartitionsToTxn*.json (client versions 0-3, flexible 3+), AddOffsetsToTxn*.json (0-4,
// flexible 3+), EndTxn*.json (0-5, flexible 3+, v5 answers the producer id and epoch) and TxnOffsetCommit*.json (0-4,
// flexible 3+, leader epoch from v2, generation, member id and instance id from v3).
public sealed class TransactionCodecTests
{
    public static IEnumerable<short> AddPartitionsVersions() => Versions(KnownApis.AddPartitionsToTxn);

    public static IEnumerable<short> AddOffsetsVersions() => Versions(KnownApis.AddOffsetsToTxn);

    public static IEnumerable<short> EndTxnVersions() => Versions(KnownApis.EndTxn);

    public static IEnumerable<short> TxnOffsetCommitVersions() => Versions(KnownApis.TxnOffsetCommit);

    [TestCaseSource(nameof(AddPartitionsVersions))]
    public void AddPartitionsToTxn_request_every_version(short version)
    {
        var f = version >= 3;
        var expected = new Wire().S("tx", f).I64(1000).I16(3).Len(2, f)
            .S("a", f).Len(2, f).I32(0).I32(2).Tags(f)
            .S("b", f).Len(1, f).I32(1).Tags(f)
            .Tags(f).ToArray();
        var request = new AddPartitionsToTxnRequest
        {
            TransactionalId = "tx", ProducerId = 1000, ProducerEpoch = 3, Topics = [("a", [0, 2]), ("b", [1])],
        };
        Assert.That(Hex.Format(Encode(request, version)), Is.EqualTo(Hex.Format(expected)));
    }

    internal static byte[] AddPartitionsBody(short version)
    {
        var f = version >= 3;
        return new Wire().I32(5).Len(1, f).S("a", f).Len(2, f)
            .I32(0).I16(0).Tags(f)
            .I32(2).I16(90).Tags(f)
            .Tags(f).Tags(f).ToArray();
    }

    [TestCaseSource(nameof(AddPartitionsVersions))]
    public void AddPartitionsToTxn_response_every_version(short version)
    {
        var response = Decode(new AddPartitionsToTxnRequest(), version, AddPartitionsBody(version));
        Assert.That(response.ThrottleTimeMs, Is.EqualTo(5));
        Assert.That(response.Results, Is.EqualTo(new[]
        {
            new TxnPartitionResult("a", 0, KafkaErrorCode.None),
            new TxnPartitionResult("a", 2, KafkaErrorCode.ProducerFenced),
        }));
    }

    [TestCaseSource(nameof(AddOffsetsVersions))]
    public void AddOffsetsToTxn_request_every_version(short version)
    {
        var f = version >= 3;
        var expected = new Wire().S("tx", f).I64(1000).I16(3).S("group", f).Tags(f).ToArray();
        var request = new AddOffsetsToTxnRequest { TransactionalId = "tx", ProducerId = 1000, ProducerEpoch = 3, GroupId = "group" };
        Assert.That(Hex.Format(Encode(request, version)), Is.EqualTo(Hex.Format(expected)));
    }

    internal static byte[] AddOffsetsBody(short version) => new Wire().I32(7).I16(51).Tags(version >= 3).ToArray();

    [TestCaseSource(nameof(AddOffsetsVersions))]
    public void AddOffsetsToTxn_response_every_version(short version) =>
        Assert.That(Decode(new AddOffsetsToTxnRequest(), version, AddOffsetsBody(version)),
            Is.EqualTo(new TxnResponse(7, KafkaErrorCode.ConcurrentTransactions)));

    [TestCaseSource(nameof(EndTxnVersions))]
    public void EndTxn_request_every_version(short version)
    {
        var f = version >= 3;
        var expected = new Wire().S("tx", f).I64(1000).I16(3).Bool(true).Tags(f).ToArray();
        var request = new EndTxnRequest { TransactionalId = "tx", ProducerId = 1000, ProducerEpoch = 3, Committed = true };
        Assert.That(Hex.Format(Encode(request, version)), Is.EqualTo(Hex.Format(expected)));
    }

    internal static byte[] EndTxnBody(short version)
    {
        var w = new Wire().I32(0).I16(0);
        if (version >= 5)
        {
            w.I64(1000).I16(4);
        }
        return w.Tags(version >= 3).ToArray();
    }

    [TestCaseSource(nameof(EndTxnVersions))]
    public void EndTxn_response_every_version(short version) =>
        Assert.That(Decode(new EndTxnRequest(), version, EndTxnBody(version)),
            Is.EqualTo(version >= 5 ? new TxnResponse(0, KafkaErrorCode.None, 1000, 4) : new TxnResponse(0, KafkaErrorCode.None)));

    [TestCaseSource(nameof(TxnOffsetCommitVersions))]
    public void TxnOffsetCommit_request_every_version(short version)
    {
        var f = version >= 3;
        var w = new Wire().S("tx", f).S("group", f).I64(1000).I16(3);
        if (version >= 3)
        {
            w.I32(12).S("member-1", f).S("static-1", f);
        }
        w.Len(1, f).S("orders", f).Len(2, f).I32(0).I64(42);
        if (version >= 2)
        {
            w.I32(5);
        }
        w.S(null, f).Tags(f).I32(3).I64(7);
        if (version >= 2)
        {
            w.I32(-1);
        }
        w.S("m", f).Tags(f).Tags(f).Tags(f);
        var request = new TxnOffsetCommitRequest
        {
            TransactionalId = "tx", GroupId = "group", ProducerId = 1000, ProducerEpoch = 3, GenerationId = 12, MemberId = "member-1",
            GroupInstanceId = "static-1", Topics = [("orders", [(0, 42L, 5, null), (3, 7L, -1, "m")])],
        };
        Assert.That(Hex.Format(Encode(request, version)), Is.EqualTo(Hex.Format(w.ToArray())));
    }

    internal static byte[] TxnOffsetCommitBody(short version)
    {
        var f = version >= 3;
        return new Wire().I32(0).Len(1, f).S("orders", f).Len(2, f)
            .I32(0).I16(0).Tags(f)
            .I32(3).I16(22).Tags(f)
            .Tags(f).Tags(f).ToArray();
    }

    [TestCaseSource(nameof(TxnOffsetCommitVersions))]
    public void TxnOffsetCommit_response_every_version(short version) =>
        Assert.That(Decode(new TxnOffsetCommitRequest(), version, TxnOffsetCommitBody(version)).Results, Is.EqualTo(new[]
        {
            new TxnPartitionResult("orders", 0, KafkaErrorCode.None),
            new TxnPartitionResult("orders", 3, KafkaErrorCode.IllegalGeneration),
        }));

    [Test]
    public void A_hostile_partition_count_is_a_protocol_error()
    {
        var body = new Wire().I32(0).Len(1, false).S("a", false).I32(int.MaxValue).ToArray();
        Assert.Throws<KafkaProtocolException>(() => Decode(new AddPartitionsToTxnRequest(), 1, body));
    }
}
