using Kafka.Client.Protocol;

namespace Kafka.Client.Tests.Protocol;

public sealed class HeaderTests
{
    private static string WriteHeader(ApiKey key, short version, int correlationId, string? clientId, short headerVersion)
    {
        using var writer = new KafkaWriter();
        RequestHeader.Write(writer, key, version, correlationId, clientId, headerVersion);
        return Hex.Format(writer.WrittenSpan);
    }

    private static string Normalize(string hex) => Hex.Format(Hex.Parse(hex));

    [Test]
    public void Request_header_v1_is_key_version_correlation_id_and_classic_client_id() =>
        Assert.That(
            WriteHeader(ApiKey.Metadata, 5, 7, "ab", 1),
            Is.EqualTo(Normalize("0003 0005 00000007 0002 6162")));

    [Test]
    public void Request_header_v1_writes_a_null_client_id_as_length_minus_one() =>
        Assert.That(WriteHeader(ApiKey.Metadata, 1, 1, null, 1), Is.EqualTo(Normalize("0003 0001 00000001 ffff")));

    [Test]
    public void Request_header_v2_keeps_a_classic_client_id_and_adds_empty_tagged_fields()
    {
        // Not the compact "03 61 62": old brokers must be able to read any ApiVersions header.
        Assert.That(WriteHeader(ApiKey.ApiVersions, 3, 42, "ab", 2), Is.EqualTo(Normalize("0012 0003 0000002a 0002 6162 00")));
        Assert.That(WriteHeader(ApiKey.Metadata, 12, -1, null, 2), Is.EqualTo(Normalize("0003 000c ffffffff ffff 00")));
    }

    [Test]
    public void Request_header_v0_has_no_client_id() =>
        Assert.That(WriteHeader(ApiKey.ControlledShutdown, 0, 1, "ignored", 0), Is.EqualTo(Normalize("0007 0000 00000001")));

    [TestCase((short)3)]
    [TestCase((short)-1)]
    public void Unknown_request_header_versions_are_refused(short headerVersion)
    {
        using var writer = new KafkaWriter();
        Assert.Throws<ArgumentOutOfRangeException>(() => RequestHeader.Write(writer, ApiKey.Metadata, 0, 0, null, headerVersion));
    }

    [Test]
    public void Response_header_v0_is_the_correlation_id_alone()
    {
        var r = new KafkaReader(Hex.Parse("0000002a 00"));
        Assert.That(ResponseHeader.Read(ref r, 0), Is.EqualTo(42));
        Assert.That(r.Position, Is.EqualTo(4)); // the next byte belongs to the body
    }

    [Test]
    public void Response_header_v1_skips_its_tagged_fields()
    {
        var r = new KafkaReader(Hex.Parse("0000002a 00"));
        Assert.That(ResponseHeader.Read(ref r, 1), Is.EqualTo(42));
        Assert.That(r.End, Is.True);

        var tagged = new KafkaReader(Hex.Parse("ffffff00 01 05 02 abcd 1234"));
        Assert.That(ResponseHeader.Read(ref tagged, 1), Is.EqualTo(-256));
        Assert.That(tagged.ReadInt16(), Is.EqualTo(0x1234));
    }

    [Test]
    public void A_truncated_response_header_is_a_protocol_error()
    {
        Assert.Throws<KafkaProtocolException>(() =>
        {
            var r = new KafkaReader(Hex.Parse("00002a"));
            ResponseHeader.Read(ref r, 0);
        });
        Assert.Throws<KafkaProtocolException>(() =>
        {
            var r = new KafkaReader(Hex.Parse("0000002a"));
            ResponseHeader.Read(ref r, 1);
        });
    }

    [Test]
    public void Unknown_response_header_versions_are_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            var r = new KafkaReader(Hex.Parse("0000002a 00"));
            ResponseHeader.Read(ref r, 2);
        });

    [TestCase((short)ApiKey.Metadata, (short)8, 1, 0)]
    [TestCase((short)ApiKey.Metadata, (short)9, 2, 1)]
    [TestCase((short)ApiKey.ListOffsets, (short)5, 1, 0)]
    [TestCase((short)ApiKey.ListOffsets, (short)6, 2, 1)]
    [TestCase((short)ApiKey.ApiVersions, (short)2, 1, 0)]
    [TestCase((short)ApiKey.ApiVersions, (short)3, 2, 0)] // flexible, yet its response header stays v0
    [TestCase((short)ApiKey.JoinGroup, (short)5, 1, 0)]
    [TestCase((short)ApiKey.JoinGroup, (short)6, 2, 1)]
    [TestCase((short)ApiKey.SyncGroup, (short)3, 1, 0)]
    [TestCase((short)ApiKey.SyncGroup, (short)4, 2, 1)]
    [TestCase((short)ApiKey.Heartbeat, (short)3, 1, 0)]
    [TestCase((short)ApiKey.Heartbeat, (short)4, 2, 1)]
    [TestCase((short)ApiKey.LeaveGroup, (short)3, 1, 0)]
    [TestCase((short)ApiKey.LeaveGroup, (short)4, 2, 1)]
    public void Header_versions_follow_the_first_flexible_version(short key, short version, int requestHeader, int responseHeader)
    {
        var api = KnownApis.All.Single(a => a.Key == (ApiKey)key);
        Assert.That(api.RequestHeaderVersion(version), Is.EqualTo(requestHeader));
        Assert.That(api.ResponseHeaderVersion(version), Is.EqualTo(responseHeader));
    }
}
