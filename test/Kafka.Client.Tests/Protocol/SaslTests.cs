using System.Security.Cryptography;
using System.Text;
using Kafka.Client.Internal.Sasl;
using Kafka.Client.Protocol;

namespace Kafka.Client.Tests.Protocol;

/// <summary>SaslHandshake and SaslAuthenticate byte for byte, and the mechanisms' messages against published vectors.</summary>
public sealed class SaslTests
{
    private static string Encode<T>(KafkaRequest<T> request, short version)
    {
        using var writer = new KafkaWriter();
        request.Write(writer, version);
        return Hex.Format(writer.WrittenSpan);
    }

    private static T Decode<T>(KafkaRequest<T> request, byte[] body, short version)
    {
        var reader = new KafkaReader(body);
        var response = request.ReadResponse(ref reader, version);
        Assert.That(reader.Remaining, Is.Zero, "the whole body is read");
        return response;
    }

    [Test]
    public void SaslHandshake_v1_request_and_response()
    {
        Assert.That(Encode(new SaslHandshakeRequest { Mechanism = "SCRAM-SHA-512" }, 1), Is.EqualTo(Hex.Format(new Wire().Str("SCRAM-SHA-512").ToArray())));
        var response = Decode(new SaslHandshakeRequest(), new Wire().I16(33).I32(2).Str("PLAIN").Str("GSSAPI").ToArray(), 1);
        Assert.That(response.ErrorCode, Is.EqualTo(KafkaErrorCode.UnsupportedSaslMechanism));
        Assert.That(response.Mechanisms, Is.EqualTo(new[] { "PLAIN", "GSSAPI" }));
    }

    [TestCase((short)0)]
    [TestCase((short)2)]
    public void SaslHandshake_versions_other_than_v1_are_not_spoken(short version) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(new SaslHandshakeRequest { Mechanism = "PLAIN" }, version));

    [TestCase((short)0, "00000003 616263")]
    [TestCase((short)1, "00000003 616263")]
    [TestCase((short)2, "04 616263 00")]
    public void SaslAuthenticate_request_every_version(short version, string hex) =>
        Assert.That(Encode(new SaslAuthenticateRequest { AuthBytes = "abc"u8.ToArray() }, version), Is.EqualTo(Hex.Format(Hex.Parse(hex))));

    [Test]
    public void SaslAuthenticate_response_every_version()
    {
        var v0 = Decode(new SaslAuthenticateRequest(), new Wire().I16(0).Str(null).Len(2, false).U8(1).U8(2).ToArray(), 0);
        Assert.That(v0, Is.EqualTo(v0 with { ErrorCode = KafkaErrorCode.None, ErrorMessage = null, SessionLifetimeMs = 0 }));
        Assert.That(v0.AuthBytes, Is.EqualTo(new byte[] { 1, 2 }));

        var v1 = Decode(new SaslAuthenticateRequest(), new Wire().I16(58).Str("no").Len(0, false).I64(60_000).ToArray(), 1);
        Assert.That((v1.ErrorCode, v1.ErrorMessage, v1.AuthBytes.Length, v1.SessionLifetimeMs), Is.EqualTo((KafkaErrorCode.SaslAuthenticationFailed, "no", 0, 60_000L)));

        var v2 = Decode(new SaslAuthenticateRequest(), new Wire().I16(0).CStr(null).Len(1, true).U8(7).I64(3_600_000).U8(0).ToArray(), 2);
        Assert.That((v2.ErrorCode, v2.ErrorMessage, v2.AuthBytes.Single(), v2.SessionLifetimeMs), Is.EqualTo((KafkaErrorCode.None, (string?)null, (byte)7, 3_600_000L)));
    }

    [Test]
    public void SaslAuthenticate_auth_bytes_longer_than_the_frame_are_a_protocol_error() =>
        Assert.Throws<KafkaProtocolException>(() => Decode(new SaslAuthenticateRequest(), new Wire().I16(0).Str(null).I32(1000).U8(1).ToArray(), 0));

    /// <summary>RFC 7677 section 3: the SCRAM-SHA-256 exchange for user "user", password "pencil".</summary>
    [Test]
    public void Scram_sha_256_replays_the_RFC_7677_example()
    {
        using var exchange = new ScramExchange(HashAlgorithmName.SHA256, "user", "pencil", new ScramKeyCache(), clientNonce: "rOprNGfwEbeRWgbNEkqO");

        var first = Encoding.UTF8.GetString(exchange.Start());
        var final = Encoding.UTF8.GetString(exchange.Next("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"u8)!);
        var done = exchange.Next("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="u8);

        Assert.That(first, Is.EqualTo("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"));
        Assert.That(final, Is.EqualTo("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="));
        Assert.That(done, Is.Null, "the server signature proves the server knows the password");
    }

    [TestCase("r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "does not extend")]
    [TestCase("r=someoneElsesNonce123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "does not extend")]
    [TestCase("r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1000", "iterations")]
    [TestCase("r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=2000000000", "iterations")]
    [TestCase("r=rOprNGfwEbeRWgbNEkqOxyz,s=!!!,i=4096", "salt")]
    [TestCase("m=ext,r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "mandatory extension")]
    [TestCase("garbage", "malformed")]
    public void A_server_first_message_the_client_cannot_trust_is_refused(string serverFirst, string reason)
    {
        using var exchange = new ScramExchange(HashAlgorithmName.SHA256, "user", "pencil", new ScramKeyCache(), clientNonce: "rOprNGfwEbeRWgbNEkqO");
        exchange.Start();

        var error = Assert.Throws<SaslExchangeException>(() => exchange.Next(Encoding.UTF8.GetBytes(serverFirst)));

        Assert.That(error!.Message, Does.Contain(reason));
        Assert.That(error.Message, Does.Not.Contain("pencil"));
    }

    [Test]
    public void Scram_escapes_comma_and_equals_in_the_user_name()
    {
        using var exchange = new ScramExchange(HashAlgorithmName.SHA512, "a,b=c", "p", new ScramKeyCache(), clientNonce: "n0nce");
        Assert.That(Encoding.UTF8.GetString(exchange.Start()), Is.EqualTo("n,,n=a=2Cb=3Dc,r=n0nce"));
    }

    [Test]
    public void Plain_sends_an_empty_authzid_the_user_and_the_password()
    {
        using var exchange = new PlainExchange("alice", "pässword");
        Assert.That(exchange.Start(), Is.EqualTo("\0alice\0pässword"u8.ToArray()));
    }

    /// <summary>RFC 7628 section 3.1 with Kafka's layout (KIP-255) and extensions (KIP-342).</summary>
    [Test]
    public void Oauthbearer_initial_response_follows_RFC_7628()
    {
        var token = new OAuthBearerToken("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.", DateTimeOffset.UtcNow.AddHours(1), "a",
            new Dictionary<string, string> { ["traceId"] = "t 1", ["logicalCluster"] = "lkc-1" });
        using var exchange = OAuthBearerMechanism.CreateExchange(token);

        var message = Encoding.UTF8.GetString(exchange.Start());
        var refusal = exchange.Next("{\"status\":\"invalid_token\"}"u8);

        Assert.That(message, Is.EqualTo("n,,\u0001auth=Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.\u0001logicalCluster=lkc-1\u0001traceId=t 1\u0001\u0001"));
        Assert.That(refusal, Is.EqualTo(new byte[] { 1 }), "an error challenge is answered with %x01");
        Assert.That(exchange.RefusalDetail, Does.Contain("invalid_token"));
    }

    [TestCase("auth", "x", "reserved")]
    [TestCase("trace-id", "x", "letters only")]
    [TestCase("traceId", "", "empty")]
    [TestCase("traceId", "\u0001", "does not allow")]
    public void Extensions_the_protocol_cannot_carry_are_refused(string name, string value, string reason)
    {
        var error = Assert.Throws<ArgumentException>(() => new OAuthBearerToken("t", DateTimeOffset.UtcNow, extensions: new Dictionary<string, string> { [name] = value }));
        Assert.That(error!.Message, Does.Contain(reason));
    }

    [Test]
    public void The_unsecured_token_helper_makes_an_alg_none_JWT_with_sub_iat_exp_and_scope()
    {
        var now = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var token = OAuthBearerToken.CreateUnsecured("alice", TimeSpan.FromMinutes(10), ["read", "write"], timeProvider: new Microsoft.Extensions.Time.Testing.FakeTimeProvider(now));

        var parts = token.Value.Split('.');
        Assert.That(parts, Has.Length.EqualTo(3));
        Assert.That(parts[2], Is.Empty, "no signature");
        Assert.That(Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(parts[0])), Is.EqualTo("{\"alg\":\"none\"}"));
        Assert.That(Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1])),
            Is.EqualTo($"{{\"sub\":\"alice\",\"iat\":{now.ToUnixTimeSeconds()},\"exp\":{now.AddMinutes(10).ToUnixTimeSeconds()},\"scope\":\"read write\"}}"));
        Assert.That(token.Expiration, Is.EqualTo(now.AddMinutes(10)));
        Assert.That(token.ToString(), Does.Not.Contain(token.Value).And.Contain("alice"));
    }
}
