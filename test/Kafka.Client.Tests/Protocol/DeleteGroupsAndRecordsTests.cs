using Kafka.Client.Protocol;
using static Kafka.Client.Tests.Protocol.AdminCodec;

namespace Kafka.Client.Tests.Protocol;

// Vectors written from DeleteGroups*.json (validVersions 0-2, flexible 2+) and DeleteRecords*.json (0-2, flexible 2+).
public sealed class DeleteGroupsAndRecordsTests
{
    public static IEnumerable<short> GroupVersions() => Versions(KnownApis.DeleteGroups);

    public static IEnumerable<short> RecordVersions() => Versions(KnownApis.DeleteRecords);

    [TestCaseSource(nameof(GroupVersions))]
    public void DeleteGroups_request_every_version(short version)
    {
        var f = version >= 2;
        var expected = new Wire().Len(2, f).S("g1", f).S("g2", f).Tags(f).ToArray();
        Assert.That(Hex.Format(Encode(new DeleteGroupsRequest { GroupsNames = ["g1", "g2"] }, version)), Is.EqualTo(Hex.Format(expected)));
    }

    internal static byte[] DeleteGroupsBody(short version)
    {
        var f = version >= 2;
        return new Wire().I32(0).Len(2, f).S("g1", f).I16(0).Tags(f).S("g2", f).I16(68).Tags(f).Tags(f).ToArray();
    }

    internal static byte[] DeleteRecordsBody(short version)
    {
        var f = version >= 2;
        return new Wire().I32(0).Len(1, f).S("t", f).Len(2, f)
            .I32(0).I64(10).I16(0).Tags(f)
            .I32(3).I64(-1).I16(1).Tags(f)
            .Tags(f).Tags(f).ToArray();
    }

    [TestCaseSource(nameof(GroupVersions))]
    public void DeleteGroups_response_every_version(short version)
    {
        Assert.That(Decode(new DeleteGroupsRequest(), version, DeleteGroupsBody(version)).Results, Is.EqualTo(new[]
        {
            new DeletableGroupResult("g1", KafkaErrorCode.None),
            new DeletableGroupResult("g2", KafkaErrorCode.NonEmptyGroup),
        }));
    }

    [TestCaseSource(nameof(RecordVersions))]
    public void DeleteRecords_request_every_version(short version)
    {
        var f = version >= 2;
        var expected = new Wire().Len(1, f).S("t", f).Len(2, f)
            .I32(0).I64(10).Tags(f)
            .I32(3).I64(-1).Tags(f)
            .Tags(f).I32(30000).Tags(f).ToArray();
        var request = new DeleteRecordsRequest { Topics = [new DeleteRecordsTopic("t", [(0, 10L), (3, -1L)])], TimeoutMs = 30000 };
        Assert.That(Hex.Format(Encode(request, version)), Is.EqualTo(Hex.Format(expected)));
    }

    [TestCaseSource(nameof(RecordVersions))]
    public void DeleteRecords_response_every_version(short version)
    {
        var topic = Decode(new DeleteRecordsRequest(), version, DeleteRecordsBody(version)).Topics.Single();
        Assert.That(topic.Name, Is.EqualTo("t"));
        Assert.That(topic.Partitions, Is.EqualTo(new[]
        {
            new DeleteRecordsPartitionResult(0, 10, KafkaErrorCode.None),
            new DeleteRecordsPartitionResult(3, -1, KafkaErrorCode.OffsetOutOfRange),
        }));
    }
}
