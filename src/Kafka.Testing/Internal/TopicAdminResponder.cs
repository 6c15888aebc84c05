namespace Kafka.Testing.Internal;

/// <summary>
/// Answers CreateTopics (v2–v7) and DeleteTopics (v1–v6) for a <see cref="MockKafkaCluster"/> by calling the mock's own
/// topic functions: a created topic is a real mock topic that Metadata, Produce and Fetch then serve. The mock cannot
/// place replicas or keep topic configs, so an explicit assignment only sets the partition count and replication
/// factor, and configs are accepted and dropped.
/// </summary>
internal sealed class TopicAdminResponder(Func<string, int, int, int> createTopic, Func<string, int> deleteTopic, Func<int> brokerCount)
{
    public const short CreateTopics = 19;
    public const short DeleteTopics = 20;

    /// <summary>What the proxy advertises: Kafka 4.x's versions of both APIs.</summary>
    public static IReadOnlyList<AnsweredApi> Apis { get; } = [new(CreateTopics, 2, 7, 5), new(DeleteTopics, 1, 6, 4)];

    // The mock's own defaults for topics it creates on demand (rdkafka_mock.c).
    private const int DefaultPartitions = 4;

    public byte[] Answer(AnsweredRequest request) => request.ApiKey == CreateTopics ? Create(request) : Delete(request);

    private byte[] Create(AnsweredRequest request)
    {
        var (version, f) = (request.ApiVersion, request.Flexible);
        var reader = new FrameReader(request.Body);
        var topics = new List<(string Name, int Partitions, int Factor)>();
        var count = reader.ArrayLength(f);
        for (var i = 0; i < count; i++)
        {
            var name = reader.String(f)!;
            var partitions = reader.Int32();
            int factor = reader.Int16();
            var assignments = reader.ArrayLength(f);
            for (var a = 0; a < assignments; a++)
            {
                reader.Int32();
                var replicas = reader.ArrayLength(f);
                for (var r = 0; r < replicas; r++)
                {
                    reader.Int32();
                }
                factor = replicas;
                reader.SkipTags(f);
            }
            if (assignments > 0)
            {
                partitions = assignments;
            }
            var configs = reader.ArrayLength(f);
            for (var c = 0; c < configs; c++)
            {
                reader.String(f);
                reader.String(f);
                reader.SkipTags(f);
            }
            reader.SkipTags(f);
            topics.Add((name, partitions == -1 ? DefaultPartitions : partitions, factor == -1 ? Math.Min(3, brokerCount()) : factor));
        }
        reader.Int32(); // timeout
        var validateOnly = reader.Bool();

        var writer = new FrameWriter().Int32(0).ArrayLength(topics.Count, f);
        foreach (var (name, partitions, factor) in topics)
        {
            var (error, message) = partitions < 1 ? (37, "The partition count must be at least 1.")
                : factor < 1 ? (38, "The replication factor must be at least 1.")
                : validateOnly ? (0, null)
                : Result(createTopic(name, partitions, factor), name);
            writer.String(name, f);
            if (version >= 7)
            {
                writer.Uuid(Guid.Empty);
            }
            writer.Int16((short)error).String(message, f);
            if (version >= 5)
            {
                writer.Int32(error == 0 ? partitions : -1).Int16((short)(error == 0 ? factor : -1)).ArrayLength(-1, true).Tags(true);
            }
        }
        return writer.Tags(f).ToArray();
    }

    private byte[] Delete(AnsweredRequest request)
    {
        var (version, f) = (request.ApiVersion, request.Flexible);
        var reader = new FrameReader(request.Body);
        var names = new List<string?>();
        var count = reader.ArrayLength(f);
        for (var i = 0; i < count; i++)
        {
            names.Add(reader.String(f));
            if (version >= 6)
            {
                reader.Uuid();
                reader.SkipTags(f);
            }
        }
        var writer = new FrameWriter().Int32(0).ArrayLength(names.Count, f);
        foreach (var name in names)
        {
            // The mock knows no topic ids: a topic named only by id is unknown.
            var (error, message) = name is null ? (100, "Topics can only be deleted by name here.") : Result(deleteTopic(name), name);
            writer.String(name, f);
            if (version >= 6)
            {
                writer.Uuid(Guid.Empty);
            }
            writer.Int16((short)error);
            if (version >= 5)
            {
                writer.String(message, f);
            }
            writer.Tags(f);
        }
        return writer.Tags(f).ToArray();
    }

    // librdkafka's codes for broker errors are Kafka's (3 UNKNOWN_TOPIC_OR_PARTITION, 36 TOPIC_ALREADY_EXISTS).
    private static (int Error, string? Message) Result(int error, string name) => error switch
    {
        0 => (0, null),
        36 => (36, $"Topic '{name}' already exists."),
        3 => (3, $"Topic '{name}' does not exist."),
        > 0 => (error, null),
        _ => (-1, $"The mock cluster failed with librdkafka error {error}."),
    };
}
