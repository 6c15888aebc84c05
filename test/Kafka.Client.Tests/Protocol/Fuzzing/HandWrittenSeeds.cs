using Kafka.Client.Protocol;

namespace Kafka.Client.Tests.Protocol.Fuzzing;

/// <summary>
/// Response bodies written by hand, mostly those of the per-API protocol tests: they cover the versions librdkafka's
/// mock does not serve (Fetch 17-18, OffsetFetch 7-9, FindCoordinator 4-6, the flexible group APIs) and fields the
/// mock never sends (tagged fields, aborted transactions, record errors, leader endpoints).
/// </summary>
internal static class HandWrittenSeeds
{
    private const string Source = "hand-written";

    public static IEnumerable<ResponseSeed> All(byte[] recordBatch)
    {
        for (short v = 0; v <= 3; v++)
        {
            yield return Seed(ApiKey.ApiVersions, v, ApiVersionsTests.ResponseBody(v, KafkaErrorCode.None, ApiVersionsTests.SampleKeys, 250));
        }
        // The UNSUPPORTED_VERSION answers a v3 or v1 request gets from an older broker, in the v0 layout.
        yield return Seed(ApiKey.ApiVersions, 3, Hex.Parse("0023 00000001 0012 0000 0002"));
        yield return Seed(ApiKey.ApiVersions, 1, Hex.Parse("0023 00000000"));

        for (short v = 0; v <= 12; v++)
        {
            yield return Seed(ApiKey.Metadata, v, MetadataTests.ResponseBody(v));
        }
        for (short v = 1; v <= 7; v++)
        {
            yield return Seed(ApiKey.ListOffsets, v, ListOffsetsTests.ResponseBody(v));
        }
        foreach (var v in new short[] { 4, 5, 7, 11, 12, 13, 15, 16, 17, 18 })
        {
            yield return Seed(ApiKey.Fetch, v, FetchTests.ResponseBytes(v));
        }
        foreach (var v in new short[] { 4, 11, 12, 16, 17, 18 })
        {
            yield return Seed(ApiKey.Fetch, v, FetchWithRecords(v, recordBatch));
        }
        for (short v = 2; v <= 9; v++)
        {
            yield return Seed(ApiKey.OffsetCommit, v, OffsetCommitBody(v));
        }
        for (short v = 1; v <= 9; v++)
        {
            yield return Seed(ApiKey.OffsetFetch, v, OffsetFetchBody(v));
        }
        for (short v = 0; v <= 6; v++)
        {
            yield return Seed(ApiKey.FindCoordinator, v, FindCoordinatorBody(v));
        }
        for (short v = 2; v <= 9; v++)
        {
            yield return Seed(ApiKey.JoinGroup, v, JoinGroupTests.ResponseBody(v));
        }
        // From SyncGroupTests (with a real assignment: topic "t", partitions 0 and 1, no user data),
        // HeartbeatAndLeaveGroupTests and InitProducerIdTests.
        const string Assignment = "0000 00000001 0001 74 00000002 00000000 00000001 ffffffff";
        yield return Seed(ApiKey.SyncGroup, 0, Hex.Parse("0000 00000019" + Assignment));
        yield return Seed(ApiKey.SyncGroup, 3, Hex.Parse("00000064 0000 00000019" + Assignment));
        yield return Seed(ApiKey.SyncGroup, 3, Hex.Parse("00000000 001b ffffffff"));
        yield return Seed(ApiKey.SyncGroup, 4, Hex.Parse("00000064 0000 1a" + Assignment + "00"));
        yield return Seed(ApiKey.SyncGroup, 5, Hex.Parse("00000064 0000 09 636f6e73756d6572 06 72616e6765 1a" + Assignment + "00"));
        yield return Seed(ApiKey.Heartbeat, 0, Hex.Parse("001b"));
        yield return Seed(ApiKey.Heartbeat, 3, Hex.Parse("00000064 001b"));
        yield return Seed(ApiKey.Heartbeat, 4, Hex.Parse("00000064 001b 00"));
        yield return Seed(ApiKey.LeaveGroup, 0, Hex.Parse("0019"));
        yield return Seed(ApiKey.LeaveGroup, 2, Hex.Parse("00000064 0019"));
        yield return Seed(ApiKey.LeaveGroup, 3, Hex.Parse("00000064 0000 00000002 0001 6d ffff 0000 0000 0001 69 0052"));
        yield return Seed(ApiKey.LeaveGroup, 4, Hex.Parse("00000064 0000 03 02 6d 00 0000 00 01 02 69 0052 00 00"));
        yield return Seed(ApiKey.LeaveGroup, 5, Hex.Parse("00000064 0000 03 02 6d 00 0000 00 01 02 69 0052 00 00"));
        yield return Seed(ApiKey.ConsumerGroupHeartbeat, 0, Hex.Parse("00000064 0000 00 02 6d 00000003 00001388 01 02 00112233445566778899aabbccddeeff 02 00000002 00 00 00"));
        yield return Seed(ApiKey.ConsumerGroupHeartbeat, 1, Hex.Parse("00000000 006e 02 78 00 ffffffff 00000000 ff 00"));
        yield return Seed(ApiKey.ShareGroupHeartbeat, 1, Hex.Parse("00000064 0000 00 02 6d 00000003 00001388 01 02 00112233445566778899aabbccddeeff 03 00000000 00000002 00 00 00"));
        yield return Seed(ApiKey.ShareFetch, 1, Hex.Parse("00000000 0000 00 00007530 02 00112233445566778899aabbccddeeff 02 00000000 0000 00 0079 02 72 ffffffff ffffffff 00 04 aabbcc 02 0000000000000005 0000000000000007 0002 00 00 00 02 00000002 02 68 00002384 00 00 00"));
        yield return Seed(ApiKey.ShareAcknowledge, 1, Hex.Parse("00000000 0000 00 02 00112233445566778899aabbccddeeff 02 00000000 0079 02 78 00000002 00000004 00 00 00 02 00000002 02 68 00002384 00 00 00"));
        yield return Seed(ApiKey.InitProducerId, 1, Hex.Parse("00000000 0000 00000000000003e8 0002"));
        yield return Seed(ApiKey.InitProducerId, 4, Hex.Parse("00000000 0000 00000000000003e8 0002 00"));
        yield return Seed(ApiKey.SaslHandshake, 1, Hex.Parse("0000 00000002 0005 504c41494e 0006 475353415049"));
        yield return Seed(ApiKey.SaslHandshake, 1, Hex.Parse("0021 00000001 0005 504c41494e"));
        yield return Seed(ApiKey.SaslAuthenticate, 0, Hex.Parse("0000 ffff 00000004 01020304"));
        yield return Seed(ApiKey.SaslAuthenticate, 1, Hex.Parse("003a 0002 6e6f 00000000 000000000000ea60"));
        yield return Seed(ApiKey.SaslAuthenticate, 2, Hex.Parse("0000 00 05 01020304 000000000036ee80 00"));
        foreach (var seed in ProduceBodies())
        {
            yield return seed;
        }
        foreach (var seed in AdminBodies())
        {
            yield return seed;
        }
    }

    /// <summary>
    /// The admin APIs' responses from their protocol tests, every version (the mock serves none of them), and the
    /// transaction APIs' (the mock serves only their older versions).
    /// </summary>
    private static IEnumerable<ResponseSeed> AdminBodies()
    {
        (ApiInfo Api, Func<short, byte[]> Body)[] apis =
        [
            (KnownApis.CreateTopics, CreateTopicsTests.ResponseBody),
            (KnownApis.DeleteTopics, DeleteTopicsTests.ResponseBody),
            (KnownApis.CreatePartitions, CreatePartitionsTests.ResponseBody),
            (KnownApis.DescribeCluster, DescribeClusterTests.ResponseBody),
            (KnownApis.DescribeConfigs, DescribeConfigsTests.ResponseBody),
            (KnownApis.IncrementalAlterConfigs, IncrementalAlterConfigsTests.ResponseBody),
            (KnownApis.ListGroups, ListGroupsTests.ResponseBody),
            (KnownApis.DescribeGroups, DescribeGroupsTests.ResponseBody),
            (KnownApis.DeleteGroups, DeleteGroupsAndRecordsTests.DeleteGroupsBody),
            (KnownApis.DeleteRecords, DeleteGroupsAndRecordsTests.DeleteRecordsBody),
            (KnownApis.AddPartitionsToTxn, TransactionCodecTests.AddPartitionsBody),
            (KnownApis.AddOffsetsToTxn, TransactionCodecTests.AddOffsetsBody),
            (KnownApis.EndTxn, TransactionCodecTests.EndTxnBody),
            (KnownApis.TxnOffsetCommit, TransactionCodecTests.TxnOffsetCommitBody),
        ];
        foreach (var (api, body) in apis)
        {
            for (var v = api.MinVersion; v <= api.MaxVersion; v++)
            {
                yield return Seed(api.Key, v, body(v));
            }
        }
    }

    private static ResponseSeed Seed(ApiKey key, short version, byte[] body) => ResponseSeed.FromBody(Source, key, version, body);

    /// <summary>A Fetch body whose one partition carries real records (and an aborted transaction and a tag).</summary>
    private static byte[] FetchWithRecords(short version, byte[] records)
    {
        var flexible = version >= 12;
        var w = new Wire().I32(0);
        if (version >= 7)
        {
            w.I16(0).I32(0);
        }
        w.Len(1, flexible);
        if (version >= FetchRequest.FirstTopicIdVersion)
        {
            w.Uuid("0102030405060708090a0b0c0d0e0f10");
        }
        else
        {
            w.S("orders", flexible);
        }
        w.Len(1, flexible).I32(3).I16(0).I64(40).I64(40);
        if (version >= 5)
        {
            w.I64(0);
        }
        w.Len(1, flexible).I64(7).I64(0).Tags(flexible);
        if (version >= 11)
        {
            w.I32(-1);
        }
        if (flexible)
        {
            w.UVarInt((uint)records.Length + 1).Raw(records);
            w.UVarInt(1).UVarInt(1).UVarInt(9).I32(2).I32(9).U8(0); // CurrentLeader tag, skipped
        }
        else
        {
            w.I32(records.Length).Raw(records);
        }
        return w.Tags(flexible).Tags(flexible).ToArray();
    }

    // OffsetCommitTests.Response_every_version.
    private static byte[] OffsetCommitBody(short version)
    {
        var flexible = version >= 8;
        var w = new Wire();
        if (version >= 3)
        {
            w.I32(4);
        }
        return w.Len(1, flexible).S("t", flexible).Len(2, flexible)
            .I32(0).I16(0).Tags(flexible)
            .I32(1).I16(16).Tags(flexible)
            .Tags(flexible).Tags(flexible).ToArray();
    }

    // OffsetFetchTests.Response_every_version, for group "g".
    private static byte[] OffsetFetchBody(short version)
    {
        var flexible = version >= 6;
        var w = new Wire();
        if (version >= 3)
        {
            w.I32(1);
        }
        if (version >= 8)
        {
            w.Len(2, true).CStr("other").Len(0, true).I16(0).Tags(true);
            w.CStr("g");
            OffsetFetchTopics(w, version, flexible).I16(14).Tags(true);
        }
        else
        {
            OffsetFetchTopics(w, version, flexible);
            if (version >= 2)
            {
                w.I16(14);
            }
        }
        return w.Tags(flexible).ToArray();
    }

    private static Wire OffsetFetchTopics(Wire w, short version, bool flexible)
    {
        w.Len(1, flexible).S("t", flexible).Len(2, flexible);
        w.I32(0).I64(42);
        if (version >= 5)
        {
            w.I32(3);
        }
        w.S("meta", flexible).I16(0).Tags(flexible);
        w.I32(2).I64(-1);
        if (version >= 5)
        {
            w.I32(-1);
        }
        w.S(null, flexible).I16(0).Tags(flexible);
        return w.Tags(flexible);
    }

    // FindCoordinatorTests: one key before v4, a batch of keys from v4.
    private static byte[] FindCoordinatorBody(short version)
    {
        if (version >= 4)
        {
            return new Wire().I32(0).Len(2, true)
                .CStr("a").I32(1).CStr("h1").I32(9092).I16(0).CStr(null).Tags(true)
                .CStr("b").I32(-1).CStr("").I32(-1).I16(15).CStr("not yet").Tags(true)
                .Tags(true).ToArray();
        }
        var flexible = version >= 3;
        var w = new Wire();
        if (version >= 1)
        {
            w.I32(5);
        }
        w.I16(15);
        if (version >= 1)
        {
            w.S("loading", flexible);
        }
        return w.I32(2).S("broker2", flexible).I32(9093).Tags(flexible).ToArray();
    }

    // ProduceTests: topic "t", partition 2.
    private static IEnumerable<ResponseSeed> ProduceBodies()
    {
        yield return Seed(ApiKey.Produce, 0, new Wire().Len(1, false).Str("t").Len(1, false).I32(2).I16(0).I64(5).ToArray());
        yield return Seed(ApiKey.Produce, 1, new Wire().Len(1, false).Str("t").Len(1, false).I32(2).I16(6).I64(-1).I32(7).ToArray());
        yield return Seed(ApiKey.Produce, 2,
            new Wire().Len(1, false).Str("t").Len(1, false).I32(2).I16(0).I64(5).I64(1_700_000_000_000).I32(0).ToArray());
        yield return Seed(ApiKey.Produce, 5, new Wire().Len(1, false).Str("t").Len(1, false).I32(2).I16(0).I64(5).I64(-1).I64(3).I32(0).ToArray());
        yield return Seed(ApiKey.Produce, 8, new Wire().Len(1, false).Str("t").Len(1, false)
            .I32(2).I16(87).I64(-1).I64(-1).I64(0)
            .Len(2, false).I32(0).Str("bad key").I32(3).Str(null)
            .Str("invalid record")
            .I32(0).ToArray());
        yield return Seed(ApiKey.Produce, 9, new Wire().Len(1, true).CStr("t").Len(1, true)
            .I32(2).I16(0).I64(5).I64(-1).I64(0).Len(0, true).CStr(null).Tags(true)
            .Tags(true).I32(4).Tags(true).ToArray());
        var endpoint = new Wire().Len(1, true).I32(3).CStr("b3").I32(9093).CStr(null).Tags(true).ToArray();
        yield return Seed(ApiKey.Produce, 10, new Wire().Len(1, true).CStr("t").Len(1, true)
            .I32(2).I16(6).I64(-1).I64(-1).I64(-1).Len(0, true).CStr(null)
            .UVarInt(1).UVarInt(0).UVarInt(9).I32(3).I32(7).Tags(true) // CurrentLeader: broker 3, epoch 7
            .Tags(true)
            .I32(0)
            .UVarInt(1).UVarInt(0).UVarInt((uint)endpoint.Length).Raw(endpoint)
            .ToArray());
        yield return Seed(ApiKey.Produce, 10, new Wire().Len(1, true).CStr("t").Len(1, true)
            .I32(2).I16(0).I64(5).I64(-1).I64(-1).Len(0, true).CStr(null)
            .UVarInt(1).UVarInt(5).UVarInt(2).Raw(0xAB, 0xCD)
            .Tags(true).I32(0).Tags(true).ToArray());
        // v11 (TRANSACTION_ABORTABLE, 120) and v12 (transactions V2) keep v10's shape.
        yield return Seed(ApiKey.Produce, 11, new Wire().Len(1, true).CStr("t").Len(1, true)
            .I32(2).I16(120).I64(-1).I64(-1).I64(-1).Len(0, true).CStr(null).Tags(true)
            .Tags(true).I32(0).Tags(true).ToArray());
        yield return Seed(ApiKey.Produce, 12, new Wire().Len(1, true).CStr("t").Len(1, true)
            .I32(2).I16(0).I64(5).I64(-1).I64(0).Len(0, true).CStr(null).Tags(true)
            .Tags(true).I32(0).Tags(true).ToArray());
    }
}
