using System.Globalization;
using Kafka.Testing;
using Kafka.Testing.Internal;

namespace Kafka.Tools.Tests;

/// <summary>A group as <see cref="GroupsFixture"/> reports it: one consumer-protocol member per assignment.</summary>
internal sealed record ScriptedGroup(string GroupId, string State, params (string MemberId, string Topic, int[] Partitions)[] Members);

/// <summary>
/// A one-broker mock cluster behind an answering proxy that serves what librdkafka's mock does not: ListGroups and
/// DescribeGroups, answered from <see cref="Groups"/> (written from Kafka's response schemas, with each member's
/// subscription and assignment in the consumer protocol), and IncrementalAlterConfigs (accepted, recorded). Offsets,
/// metadata, produce and fetch are the mock's own. Confluent.Kafka reads the same groups through it (see
/// GroupCommandTests), which shows the answers are Kafka's.
/// </summary>
internal sealed class GroupsFixture : IAsyncDisposable
{
    private readonly AnsweringProxy _proxy;

    public GroupsFixture()
    {
        Cluster = MockKafkaCluster.Start(brokerCount: 1);
        var address = Cluster.GetBrokerAddress(1).Split(':');
        _proxy = new AnsweringProxy(address[0], int.Parse(address[1], CultureInfo.InvariantCulture), 1,
            [new(16, 0, 5, 3), new(15, 0, 6, 5), new(44, 0, 1, 1)], Answer);
        Cluster.SetBrokerHostPort(1, "127.0.0.1", _proxy.Port);
    }

    public MockKafkaCluster Cluster { get; }

    public string Address => _proxy.Address;

    public List<ScriptedGroup> Groups { get; } = [];

    /// <summary>The IncrementalAlterConfigs requests received (their bodies).</summary>
    public List<byte[]> ConfigChanges { get; } = [];

    private byte[] Answer(AnsweredRequest request)
    {
        var (v, f) = (request.ApiVersion, request.Flexible);
        var w = new FrameWriter();
        switch (request.ApiKey)
        {
            case 16: // ListGroups
                if (v >= 1)
                {
                    w.Int32(0);
                }
                w.Int16(0).ArrayLength(Groups.Count, f);
                foreach (var group in Groups)
                {
                    w.String(group.GroupId, f).String("consumer", f);
                    if (v >= 4)
                    {
                        w.String(group.State, f);
                    }
                    if (v >= 5)
                    {
                        w.String("classic", f);
                    }
                    w.Tags(f);
                }
                break;
            case 15: // DescribeGroups
            {
                var reader = new FrameReader(request.Body);
                var asked = new List<string>();
                var count = reader.ArrayLength(f);
                for (var i = 0; i < count; i++)
                {
                    asked.Add(reader.String(f)!);
                }
                if (v >= 1)
                {
                    w.Int32(0);
                }
                w.ArrayLength(asked.Count, f);
                foreach (var id in asked)
                {
                    var group = Groups.FirstOrDefault(g => g.GroupId == id);
                    w.Int16((short)(group is null && v >= 6 ? 69 : 0));
                    if (v >= 6)
                    {
                        w.String(group is null ? $"Group {id} not found." : null, f);
                    }
                    w.String(id, f).String(group?.State ?? "Dead", f).String(group is null ? "" : "consumer", f)
                        .String(group is { Members.Length: > 0 } ? "range" : "", f);
                    var members = group?.Members ?? [];
                    w.ArrayLength(members.Length, f);
                    foreach (var (memberId, topic, partitions) in members)
                    {
                        w.String(memberId, f);
                        if (v >= 4)
                        {
                            w.String(null, f);
                        }
                        w.String("rdkafka", f).String("/127.0.0.1", f);
                        Bytes(w, Subscription(topic), f);
                        Bytes(w, Assignment(topic, partitions), f);
                        w.Tags(f);
                    }
                    if (v >= 3)
                    {
                        w.Int32(int.MinValue);
                    }
                    w.Tags(f);
                }
                break;
            }
            case 44: // IncrementalAlterConfigs: accepted as asked
            {
                ConfigChanges.Add(request.Body);
                var reader = new FrameReader(request.Body);
                var count = reader.ArrayLength(f);
                w.Int32(0).ArrayLength(count, f);
                for (var i = 0; i < count; i++)
                {
                    var type = reader.Int8();
                    var name = reader.String(f);
                    var configs = reader.ArrayLength(f);
                    for (var c = 0; c < configs; c++)
                    {
                        reader.String(f);
                        reader.Int8();
                        reader.String(f);
                        reader.SkipTags(f);
                    }
                    reader.SkipTags(f);
                    w.Int16(0).String(null, f).Int8(type).String(name, f).Tags(f);
                }
                break;
            }
        }
        return w.Tags(f).ToArray();
    }

    private static void Bytes(FrameWriter w, byte[] value, bool compact)
    {
        if (compact)
        {
            w.UVarInt((uint)value.Length + 1);
        }
        else
        {
            w.Int32(value.Length);
        }
        w.Raw(value);
    }

    // ConsumerProtocolSubscription v0: version, topics, user data (null).
    private static byte[] Subscription(string topic) => new FrameWriter().Int16(0).Int32(1).String(topic, false).Int32(-1).ToArray();

    // ConsumerProtocolAssignment v0: version, [topic, partitions], user data (null).
    private static byte[] Assignment(string topic, int[] partitions)
    {
        var w = new FrameWriter().Int16(0).Int32(1).String(topic, false).Int32(partitions.Length);
        foreach (var p in partitions)
        {
            w.Int32(p);
        }
        return w.Int32(-1).ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        _proxy.Dispose();
        await Cluster.DisposeAsync();
    }
}
