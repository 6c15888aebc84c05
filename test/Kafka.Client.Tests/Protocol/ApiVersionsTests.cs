using Kafka.Client.Protocol;

namespace Kafka.Client.Tests.Protocol;

public sealed class ApiVersionsTests
{
    private static byte[] Encode(ApiVersionsRequest request, short version)
    {
        using var writer = new KafkaWriter();
        request.Write(writer, version);
        return writer.WrittenSpan.ToArray();
    }

    private static ApiVersionsResponse Decode(byte[] body, short version, bool expectEnd = true)
    {
        var reader = new KafkaReader(body);
        var response = new ApiVersionsRequest().ReadResponse(ref reader, version);
        if (expectEnd)
        {
            Assert.That(reader.Remaining, Is.Zero, "the whole body is read");
        }
        return response;
    }

    // ---- request ----

    [TestCase((short)0)]
    [TestCase((short)1)]
    [TestCase((short)2)]
    public void Requests_before_v3_have_an_empty_body(short version) =>
        Assert.That(Encode(new ApiVersionsRequest(), version), Is.Empty);

    [Test]
    public void Request_v3_is_the_software_name_and_version_as_compact_strings_then_tagged_fields()
    {
        var request = new ApiVersionsRequest { ClientSoftwareName = "kafka-hosting", ClientSoftwareVersion = "1.2.3" };
        // 0e = 13 + 1: "kafka-hosting"; 06 = 5 + 1: "1.2.3"; 00: no tagged fields.
        var expected = Hex.Parse("0e 6b 61 66 6b 61 2d 68 6f 73 74 69 6e 67 06 31 2e 32 2e 33 00");
        Assert.That(Hex.Format(Encode(request, 3)), Is.EqualTo(Hex.Format(expected)));
    }

    [Test]
    public void The_default_software_name_and_version_are_acceptable_to_brokers()
    {
        var request = new ApiVersionsRequest();
        Assert.That(request.ClientSoftwareName, Is.EqualTo("kafka-hosting"));
        Assert.That(ApiVersionsRequest.IsValidSoftwareField(request.ClientSoftwareVersion), Is.True, request.ClientSoftwareVersion);
        var expected = new Wire().CStr("kafka-hosting").CStr(request.ClientSoftwareVersion).U8(0).ToArray();
        Assert.That(Encode(request, 3), Is.EqualTo(expected));
    }

    [TestCase("")]
    [TestCase("-abc")]
    [TestCase("abc.")]
    [TestCase("a b")]
    [TestCase("a_b")]
    [TestCase("1.0+sha")]
    public void Software_fields_brokers_would_refuse_are_refused(string value)
    {
        var request = new ApiVersionsRequest();
        Assert.Throws<ArgumentException>(() => request.ClientSoftwareName = value);
        Assert.Throws<ArgumentException>(() => request.ClientSoftwareVersion = value);
    }

    [TestCase("a")]
    [TestCase("a.b-c")]
    [TestCase("1.0.0-beta.1")]
    public void Software_fields_brokers_accept_are_accepted(string value) =>
        Assert.That(new ApiVersionsRequest { ClientSoftwareVersion = value }.ClientSoftwareVersion, Is.EqualTo(value));

    [TestCase((short)-1)]
    [TestCase((short)4)]
    public void Versions_the_client_does_not_speak_are_refused(short version)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(new ApiVersionsRequest(), version));
        Assert.Throws<ArgumentOutOfRangeException>(() => Decode([0, 0, 0, 0, 0, 0], version, expectEnd: false));
    }

    // ---- response ----

    internal static byte[] ResponseBody(short version, KafkaErrorCode error, (short Key, short Min, short Max)[] keys, int throttle)
    {
        var flexible = version >= 3;
        using var w = new KafkaWriter();
        w.WriteInt16((short)error);
        w.WriteArrayLength(keys.Length, flexible);
        foreach (var (key, min, max) in keys)
        {
            w.WriteInt16(key);
            w.WriteInt16(min);
            w.WriteInt16(max);
            if (flexible)
            {
                w.WriteEmptyTaggedFields();
            }
        }
        if (version >= 1)
        {
            w.WriteInt32(throttle);
        }
        if (flexible)
        {
            // SupportedFeatures (tag 0) and FinalizedFeaturesEpoch (tag 1): the client skips both.
            w.WriteUnsignedVarInt(2);
            w.WriteUnsignedVarInt(0);
            w.WriteUnsignedVarInt(15); // its size: count, name, two int16, tags
            w.WriteUnsignedVarInt(2); // one feature
            w.WriteString("metadata", compact: true);
            w.WriteInt16(1);
            w.WriteInt16(20);
            w.WriteEmptyTaggedFields();
            w.WriteUnsignedVarInt(1);
            w.WriteUnsignedVarInt(8);
            w.WriteInt64(7);
        }
        return w.WrittenSpan.ToArray();
    }

    internal static readonly (short, short, short)[] SampleKeys = [(0, 3, 12), (3, 0, 13), (18, 0, 4), (1000, 1, 2)];

    [TestCase((short)0)]
    [TestCase((short)1)]
    [TestCase((short)2)]
    [TestCase((short)3)]
    public void Responses_decode_every_field(short version)
    {
        var response = Decode(ResponseBody(version, KafkaErrorCode.None, SampleKeys, 250), version);
        Assert.That(response.ErrorCode, Is.EqualTo(KafkaErrorCode.None));
        Assert.That(response.ApiKeys, Is.EqualTo(new[]
        {
            new ApiVersionRange(ApiKey.Produce, 3, 12),
            new ApiVersionRange(ApiKey.Metadata, 0, 13),
            new ApiVersionRange(ApiKey.ApiVersions, 0, 4),
            new ApiVersionRange((ApiKey)1000, 1, 2), // an API this client does not name is kept
        }));
        Assert.That(response.ThrottleTimeMs, Is.EqualTo(version >= 1 ? 250 : 0));
        Assert.That(response.BodyVersion, Is.EqualTo(version));
    }

    [Test]
    public void Response_v3_fixed_vector()
    {
        // error 0; compact array of 2: Metadata 0-12, ApiVersions 0-3 (each with empty tags); throttle 0; no tags.
        var body = Hex.Parse("0000 03 0003 0000 000c 00 0012 0000 0003 00 00000000 00");
        var response = Decode(body, 3);
        Assert.That(response.ApiKeys, Is.EqualTo(new[]
        {
            new ApiVersionRange(ApiKey.Metadata, 0, 12),
            new ApiVersionRange(ApiKey.ApiVersions, 0, 3),
        }));
    }

    [Test]
    public void Response_v0_fixed_vector()
    {
        // error 0; array of 1: Produce 0-2.
        var response = Decode(Hex.Parse("0000 00000001 0000 0000 0002"), 0);
        Assert.That(response.ApiKeys, Is.EqualTo(new[] { new ApiVersionRange(ApiKey.Produce, 0, 2) }));
    }

    // ---- the UNSUPPORTED_VERSION fallback ----

    [Test]
    public void A_v0_error_answer_to_v3_is_read_as_v0_and_names_the_version_to_retry()
    {
        // What a 2.1 broker (ApiVersions up to v2) sends for a v3 request: error 35 and, v0-encoded,
        // the ApiVersions range it supports (KIP-511).
        var body = Hex.Parse("0023 00000001 0012 0000 0002");
        var response = Decode(body, 3);
        Assert.That(response.ErrorCode, Is.EqualTo(KafkaErrorCode.UnsupportedVersion));
        Assert.That(response.BodyVersion, Is.Zero);
        Assert.That(response.ThrottleTimeMs, Is.Zero);
        Assert.That(response.ApiKeys, Is.EqualTo(new[] { new ApiVersionRange(ApiKey.ApiVersions, 0, 2) }));
        Assert.That(response.TryGetRetryVersion(3, out var retry), Is.True);
        Assert.That(retry, Is.EqualTo(2));
    }

    [Test]
    public void A_broker_that_lists_nothing_is_retried_at_v0()
    {
        // Brokers before 2.4 answer an unknown ApiVersions version with an empty list.
        var response = Decode(Hex.Parse("0023 00000000"), 3);
        Assert.That(response.ErrorCode, Is.EqualTo(KafkaErrorCode.UnsupportedVersion));
        Assert.That(response.ApiKeys, Is.Empty);
        Assert.That(response.TryGetRetryVersion(3, out var retry), Is.True);
        Assert.That(retry, Is.Zero);
    }

    [Test]
    public void A_v0_error_answer_to_v1_is_read_as_v0()
    {
        var response = Decode(Hex.Parse("0023 00000000"), 1);
        Assert.That(response.BodyVersion, Is.Zero);
        Assert.That(response.TryGetRetryVersion(1, out var retry), Is.True);
        Assert.That(retry, Is.Zero);
    }

    [Test]
    public void A_real_v1_error_answer_keeps_its_version()
    {
        // The throttle time after the array means this is not the v0 shape.
        var response = Decode(Hex.Parse("0023 00000000 00000007"), 1);
        Assert.That(response.BodyVersion, Is.EqualTo(1));
        Assert.That(response.ThrottleTimeMs, Is.EqualTo(7));
    }

    [Test]
    public void The_fallback_applies_only_to_unsupported_version()
    {
        // The same v0 shape with error 0 is read as v3, where it is too short.
        Assert.Throws<KafkaProtocolException>(() => Decode(Hex.Parse("0000 00000000"), 3));
    }

    [Test]
    public void No_retry_without_unsupported_version_or_without_a_lower_version()
    {
        var ok = Decode(ResponseBody(3, KafkaErrorCode.None, SampleKeys, 0), 3);
        Assert.That(ok.TryGetRetryVersion(3, out _), Is.False);

        // The broker claims to support the version it refused: retrying would loop.
        var contradictory = Decode(Hex.Parse("0023 00000001 0012 0000 0003"), 3);
        Assert.That(contradictory.TryGetRetryVersion(3, out _), Is.False);

        // A broker listing v4 is capped at the client's v3, which was the version sent.
        var newer = Decode(Hex.Parse("0023 00000001 0012 0000 0004"), 3);
        Assert.That(newer.TryGetRetryVersion(3, out _), Is.False);
        Assert.That(newer.TryGetRetryVersion(4, out var capped), Is.True);
        Assert.That(capped, Is.EqualTo(3));

        var atZero = Decode(Hex.Parse("0023 00000000"), 0);
        Assert.That(atZero.TryGetRetryVersion(0, out _), Is.False);
    }

    [Test]
    public void A_hostile_key_count_is_a_protocol_error()
    {
        Assert.Throws<KafkaProtocolException>(() => Decode(Hex.Parse("0000 7fffffff 0000 0000 0001"), 0));
        // Two entries announced, one present.
        Assert.Throws<KafkaProtocolException>(() => Decode(Hex.Parse("0000 03 0003 0000 000c 00 00000000 00"), 3));
    }

    // ---- features (KIP-584) in v3's tagged fields: what turns on transactions V2 (KIP-890) ----

    // "transaction.version" as a compact string: length 19 + 1, then its bytes.
    private const string TransactionVersionName = "14 7472616e73616374696f6e2e76657273696f6e";

    [Test]
    public void Response_v3_reads_supported_and_finalized_features_from_the_tagged_fields()
    {
        // error 0; Produce 0-12; throttle 0; three tags: 0 SupportedFeatures [transaction.version 0-2] (26 bytes),
        // 1 FinalizedFeaturesEpoch 7 (8 bytes), 2 FinalizedFeatures [transaction.version max level 2, min level 1]
        // (26 bytes: the schema puts MaxVersionLevel before MinVersionLevel).
        var body = Hex.Parse($"0000 02 0000 0000 000c 00 00000000 03 00 1a 02 {TransactionVersionName} 0000 0002 00"
            + $" 01 08 0000000000000007 02 1a 02 {TransactionVersionName} 0002 0001 00");
        var response = Decode(body, 3);
        Assert.That(response.SupportedFeatures, Is.EqualTo(new[] { new FeatureRange("transaction.version", 0, 2) }));
        Assert.That(response.FinalizedFeaturesEpoch, Is.EqualTo(7));
        Assert.That(response.FinalizedFeatures, Is.EqualTo(new[] { new FeatureRange("transaction.version", 1, 2) }));
        Assert.That(ApiVersionTable.FromResponse(response).FinalizedLevel("transaction.version"), Is.EqualTo(2));
    }

    [Test]
    public void Finalized_features_with_an_unknown_epoch_count_for_nothing()
    {
        // The same finalized list under epoch -1 (the schema: valid only when the epoch is >= 0), and tag 3 skipped.
        var body = Hex.Parse($"0000 01 00000000 03 01 08 ffffffffffffffff 02 1a 02 {TransactionVersionName} 0002 0001 00 03 01 01");
        var table = ApiVersionTable.FromResponse(Decode(body, 3));
        Assert.That(table.FinalizedLevel("transaction.version"), Is.Zero);
        Assert.That(table.FinalizedLevel("metadata.version"), Is.Zero);
    }

    [Test]
    public void A_feature_tag_with_trailing_bytes_is_a_protocol_error() =>
        // Tag 1 announces 9 bytes for an int64.
        Assert.Throws<KafkaProtocolException>(() => Decode(Hex.Parse("0000 01 00000000 01 01 09 000000000000000700"), 3));
}
