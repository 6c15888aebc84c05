using Kafka.Client.Protocol;
using Kafka.Client.Tests.Protocol;
using Kafka.Testing;
using Kafka.Testing.Internal;

namespace Kafka.Client.Tests.Admin;

/// <summary>
/// A one-broker mock cluster behind an answering proxy that advertises the admin APIs the mock lacks, at the versions
/// a test chooses, and answers them with empty (schema-written) results, so that any client's admin requests can be
/// captured and compared. The answers (success for every item) only let the callers finish; the requests are what
/// the tests check.
/// </summary>
internal sealed class AdminCapture : IAsyncDisposable
{
    private readonly AnsweringProxy _proxy;

    public AdminCapture(params AnsweredApi[] apis)
    {
        Cluster = MockKafkaCluster.Start(brokerCount: 1);
        var address = Cluster.GetBrokerAddress(1).Split(':');
        _proxy = new AnsweringProxy(address[0], int.Parse(address[1], System.Globalization.CultureInfo.InvariantCulture), 1, apis, EchoAnswer);
        Cluster.SetBrokerHostPort(1, "127.0.0.1", _proxy.Port);
    }

    public MockKafkaCluster Cluster { get; }

    public string Address => _proxy.Address;

    /// <summary>The requests of <paramref name="apiKey"/> a client sent, by its client id.</summary>
    public IReadOnlyList<AnsweredRequest> Sent(ApiKey apiKey, string clientId) =>
        [.. _proxy.Frames.Where(f => f.ApiKey == (short)apiKey && ClientIdOf(f.Frame) == clientId)];

    /// <summary>A request's body: its frame after the header (v1, or v2 with tags for flexible versions).</summary>
    public static byte[] Body(AnsweredRequest request, ApiInfo api)
    {
        var length = System.Buffers.Binary.BinaryPrimitives.ReadInt16BigEndian(request.Frame.AsSpan(8));
        var start = 10 + Math.Max(0, (int)length);
        if (api.IsFlexible(request.ApiVersion))
        {
            start += 1; // an empty tag section: neither client sends header tags
        }
        return request.Frame[start..];
    }

    private static string? ClientIdOf(byte[] frame)
    {
        var length = System.Buffers.Binary.BinaryPrimitives.ReadInt16BigEndian(frame.AsSpan(8));
        return length < 0 ? null : System.Text.Encoding.UTF8.GetString(frame, 10, length);
    }

    /// <summary>
    /// A well-formed answer, from each API's response schema, that answers every item asked with success (librdkafka
    /// asserts that every item it asked about is answered).
    /// </summary>
    private static byte[] EchoAnswer(AnsweredRequest request)
    {
        var (v, f) = (request.ApiVersion, request.Flexible);
        var r = new FrameReader(request.Body);
        var w = new Wire();
        switch ((ApiKey)request.ApiKey)
        {
            case ApiKey.ListGroups:
                if (v >= 1)
                {
                    w.I32(0);
                }
                w.I16(0).Len(0, f);
                break;
            case ApiKey.DescribeGroups:
            {
                if (v >= 1)
                {
                    w.I32(0);
                }
                var groups = Strings(ref r, f);
                w.Len(groups.Count, f);
                foreach (var group in groups)
                {
                    w.I16(0);
                    if (v >= 6)
                    {
                        w.S(null, f);
                    }
                    w.S(group, f).S("Empty", f).S("consumer", f).S("", f).Len(0, f);
                    if (v >= 3)
                    {
                        w.I32(int.MinValue);
                    }
                    w.Tags(f);
                }
                break;
            }
            case ApiKey.DeleteGroups:
            {
                var groups = Strings(ref r, f);
                w.I32(0).Len(groups.Count, f);
                foreach (var group in groups)
                {
                    w.S(group, f).I16(0).Tags(f);
                }
                break;
            }
            case ApiKey.CreateTopics:
            {
                var names = new List<string>();
                var count = r.ArrayLength(f);
                for (var i = 0; i < count; i++)
                {
                    names.Add(r.String(f)!);
                    r.Int32();
                    r.Int16();
                    var assignments = r.ArrayLength(f);
                    for (var a = 0; a < assignments; a++)
                    {
                        r.Int32();
                        var replicas = r.ArrayLength(f);
                        for (var b = 0; b < replicas; b++)
                        {
                            r.Int32();
                        }
                        r.SkipTags(f);
                    }
                    var configs = r.ArrayLength(f);
                    for (var c = 0; c < configs; c++)
                    {
                        r.String(f);
                        r.String(f);
                        r.SkipTags(f);
                    }
                    r.SkipTags(f);
                }
                w.I32(0).Len(names.Count, f);
                foreach (var name in names)
                {
                    w.S(name, f).I16(0).S(null, f);
                    if (v >= 5)
                    {
                        w.I32(-1).I16(-1).Len(-1, true).Tags(true);
                    }
                }
                break;
            }
            case ApiKey.DeleteTopics:
            {
                var names = Strings(ref r, f);
                w.I32(0).Len(names.Count, f);
                foreach (var name in names)
                {
                    w.S(name, f).I16(0);
                    if (v >= 5)
                    {
                        w.S(null, f);
                    }
                    w.Tags(f);
                }
                break;
            }
            case ApiKey.CreatePartitions:
            {
                var names = new List<string>();
                var count = r.ArrayLength(f);
                for (var i = 0; i < count; i++)
                {
                    names.Add(r.String(f)!);
                    r.Int32();
                    var assignments = r.ArrayLength(f);
                    for (var a = 0; a < assignments; a++)
                    {
                        var replicas = r.ArrayLength(f);
                        for (var b = 0; b < replicas; b++)
                        {
                            r.Int32();
                        }
                        r.SkipTags(f);
                    }
                    r.SkipTags(f);
                }
                w.I32(0).Len(names.Count, f);
                foreach (var name in names)
                {
                    w.S(name, f).I16(0).S(null, f).Tags(f);
                }
                break;
            }
            case ApiKey.DescribeConfigs:
            case ApiKey.IncrementalAlterConfigs:
            {
                var resources = new List<(sbyte Type, string Name)>();
                var count = r.ArrayLength(f);
                for (var i = 0; i < count; i++)
                {
                    var type = r.Int8();
                    var name = r.String(f)!;
                    var entries = r.ArrayLength(f);
                    for (var e = 0; e < entries; e++)
                    {
                        r.String(f);
                        if (request.ApiKey == (short)ApiKey.IncrementalAlterConfigs)
                        {
                            r.Int8();
                            r.String(f);
                            r.SkipTags(f);
                        }
                    }
                    r.SkipTags(f);
                    resources.Add((type, name));
                }
                w.I32(0).Len(resources.Count, f);
                foreach (var (type, name) in resources)
                {
                    w.I16(0).S(null, f).I8(type).S(name, f);
                    if (request.ApiKey == (short)ApiKey.DescribeConfigs)
                    {
                        w.Len(0, f);
                    }
                    w.Tags(f);
                }
                break;
            }
            case ApiKey.DeleteRecords:
            {
                w.I32(0);
                var topics = r.ArrayLength(f);
                w.Len(topics, f);
                for (var t = 0; t < topics; t++)
                {
                    w.S(r.String(f), f);
                    var partitions = r.ArrayLength(f);
                    w.Len(partitions, f);
                    for (var p = 0; p < partitions; p++)
                    {
                        w.I32(r.Int32()).I64(0).I16(0).Tags(f);
                        r.Int32();
                        r.Int32(); // the offset's two halves
                        r.SkipTags(f);
                    }
                    r.SkipTags(f);
                    w.Tags(f);
                }
                break;
            }
            default:
                throw new InvalidOperationException($"No answer for API {request.ApiKey}.");
        }
        return w.Tags(f).ToArray();
    }

    private static List<string> Strings(ref FrameReader reader, bool flexible)
    {
        var values = new List<string>();
        var count = reader.ArrayLength(flexible);
        for (var i = 0; i < count; i++)
        {
            values.Add(reader.String(flexible)!);
        }
        return values;
    }

    public async ValueTask DisposeAsync()
    {
        _proxy.Dispose();
        await Cluster.DisposeAsync();
    }
}
