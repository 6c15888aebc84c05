using Kafka.Client.Protocol;

namespace Kafka.Client.Tests.Protocol;

/// <summary>Encoding and decoding helpers shared by the admin API protocol tests.</summary>
internal static class AdminCodec
{
    public static byte[] Encode<T>(KafkaRequest<T> request, short version)
    {
        using var writer = new KafkaWriter();
        request.Write(writer, version);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes <paramref name="body"/> and checks that every byte was read.</summary>
    public static T Decode<T>(KafkaRequest<T> request, short version, byte[] body)
    {
        var reader = new KafkaReader(body);
        var response = request.ReadResponse(ref reader, version);
        Assert.That(reader.End, Is.True, $"{request.Api.Key} v{version}: {reader.Remaining} bytes left unread");
        return response;
    }

    public static IEnumerable<short> Versions(ApiInfo api)
    {
        for (var v = api.MinVersion; v <= api.MaxVersion; v++)
        {
            yield return v;
        }
    }
}
