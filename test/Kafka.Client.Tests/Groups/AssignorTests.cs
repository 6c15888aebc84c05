namespace Kafka.Client.Tests.Groups;

public sealed class AssignorTests
{
    private static GroupMemberSubscription Member(string id, params string[] topics) => new(id, topics);

    private static GroupMemberSubscription Static(string id, string instance, params string[] topics) => new(id, topics, instance);

    private static Dictionary<string, int> Topics(params (string Name, int Partitions)[] topics) =>
        topics.ToDictionary(t => t.Name, t => t.Partitions);

    /// <summary>"t0p0 t0p1 t1p2" → partitions, in the notation of the Java client's documentation.</summary>
    private static TopicAndPartition[] P(string partitions) =>
        partitions.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => new TopicAndPartition(s[..s.LastIndexOf('p')], int.Parse(s[(s.LastIndexOf('p') + 1)..], System.Globalization.CultureInfo.InvariantCulture)))
            .ToArray();

    // ---- range ----

    [Test]
    public void Range_java_documentation_example()
    {
        var result = new RangeAssignor().Assign([Member("C0", "t0", "t1"), Member("C1", "t0", "t1")], Topics(("t0", 3), ("t1", 3)));
        Assert.That(result["C0"], Is.EqualTo(P("t0p0 t0p1 t1p0 t1p1")));
        Assert.That(result["C1"], Is.EqualTo(P("t0p2 t1p2")));
    }

    [Test]
    public void Range_java_documentation_static_members_keep_their_ranges_across_new_member_ids()
    {
        // After a rolling bounce C0 became C3 and C1 became C2; the instance ids I0 and I1 decide the order.
        var result = new RangeAssignor().Assign(
            [Static("C3", "I0", "t0", "t1"), Static("C2", "I1", "t0", "t1")], Topics(("t0", 3), ("t1", 3)));
        Assert.That(result["C3"], Is.EqualTo(P("t0p0 t0p1 t1p0 t1p1")));
        Assert.That(result["C2"], Is.EqualTo(P("t0p2 t1p2")));
    }

    [Test]
    public void Range_twelve_partitions_over_three_members_are_contiguous_quarters()
    {
        var result = new RangeAssignor().Assign([Member("b", "t"), Member("c", "t"), Member("a", "t")], Topics(("t", 12)));
        Assert.That(result["a"], Is.EqualTo(P("tp0 tp1 tp2 tp3")));
        Assert.That(result["b"], Is.EqualTo(P("tp4 tp5 tp6 tp7")));
        Assert.That(result["c"], Is.EqualTo(P("tp8 tp9 tp10 tp11")));
    }

    [Test]
    public void Range_the_first_members_get_one_more_when_partitions_do_not_divide()
    {
        var result = new RangeAssignor().Assign([Member("m1", "t"), Member("m2", "t"), Member("m3", "t")], Topics(("t", 10)));
        Assert.That(result["m1"], Is.EqualTo(P("tp0 tp1 tp2 tp3")));
        Assert.That(result["m2"], Is.EqualTo(P("tp4 tp5 tp6")));
        Assert.That(result["m3"], Is.EqualTo(P("tp7 tp8 tp9")));
    }

    [Test]
    public void Range_works_topic_by_topic_over_each_topics_own_subscribers()
    {
        var result = new RangeAssignor().Assign(
            [Member("C0", "t0"), Member("C1", "t0", "t1"), Member("C2", "t1")], Topics(("t0", 3), ("t1", 2)));
        Assert.That(result["C0"], Is.EqualTo(P("t0p0 t0p1")));
        Assert.That(result["C1"], Is.EqualTo(P("t0p2 t1p0")));
        Assert.That(result["C2"], Is.EqualTo(P("t1p1")));
    }

    [Test]
    public void Range_more_members_than_partitions_leaves_the_last_members_empty()
    {
        var result = new RangeAssignor().Assign([Member("a", "t"), Member("b", "t"), Member("c", "t")], Topics(("t", 2)));
        Assert.That(result["a"], Is.EqualTo(P("tp0")));
        Assert.That(result["b"], Is.EqualTo(P("tp1")));
        Assert.That(result["c"], Is.Empty);
    }

    // ---- round robin ----

    [Test]
    public void RoundRobin_java_documentation_example()
    {
        var result = new RoundRobinAssignor().Assign([Member("C0", "t0", "t1"), Member("C1", "t0", "t1")], Topics(("t0", 3), ("t1", 3)));
        Assert.That(result["C0"], Is.EqualTo(P("t0p0 t0p2 t1p1")));
        Assert.That(result["C1"], Is.EqualTo(P("t0p1 t1p0 t1p2")));
    }

    [Test]
    public void RoundRobin_java_documentation_example_with_different_subscriptions()
    {
        var result = new RoundRobinAssignor().Assign(
            [Member("C0", "t0"), Member("C1", "t0", "t1"), Member("C2", "t0", "t1", "t2")],
            Topics(("t0", 1), ("t1", 2), ("t2", 3)));
        Assert.That(result["C0"], Is.EqualTo(P("t0p0")));
        Assert.That(result["C1"], Is.EqualTo(P("t1p0")));
        Assert.That(result["C2"], Is.EqualTo(P("t1p1 t2p0 t2p1 t2p2")));
    }

    [Test]
    public void RoundRobin_java_documentation_examples_with_three_members_dynamic_and_static()
    {
        var topics = Topics(("t0", 3), ("t1", 3));
        var dynamic = new RoundRobinAssignor().Assign([Member("C0", "t0", "t1"), Member("C1", "t0", "t1"), Member("C2", "t0", "t1")], topics);
        Assert.That(dynamic["C0"], Is.EqualTo(P("t0p0 t1p0")));
        Assert.That(dynamic["C1"], Is.EqualTo(P("t0p1 t1p1")));
        Assert.That(dynamic["C2"], Is.EqualTo(P("t0p2 t1p2")));

        // After a rolling bounce the member ids change (C0→C5, C1→C3, C2→C4); by member id the partitions would move,
        // by instance id they stay.
        var reshuffled = new RoundRobinAssignor().Assign([Member("C5", "t0", "t1"), Member("C3", "t0", "t1"), Member("C4", "t0", "t1")], topics);
        Assert.That(reshuffled["C3"], Is.EqualTo(P("t0p0 t1p0")));
        Assert.That(reshuffled["C4"], Is.EqualTo(P("t0p1 t1p1")));
        Assert.That(reshuffled["C5"], Is.EqualTo(P("t0p2 t1p2")));

        var stable = new RoundRobinAssignor().Assign(
            [Static("C5", "I0", "t0", "t1"), Static("C3", "I1", "t0", "t1"), Static("C4", "I2", "t0", "t1")], topics);
        Assert.That(stable["C5"], Is.EqualTo(P("t0p0 t1p0")));
        Assert.That(stable["C3"], Is.EqualTo(P("t0p1 t1p1")));
        Assert.That(stable["C4"], Is.EqualTo(P("t0p2 t1p2")));
    }

    [Test]
    public void RoundRobin_twelve_partitions_over_three_members_deal_every_third()
    {
        var result = new RoundRobinAssignor().Assign([Member("c", "t"), Member("a", "t"), Member("b", "t")], Topics(("t", 12)));
        Assert.That(result["a"], Is.EqualTo(P("tp0 tp3 tp6 tp9")));
        Assert.That(result["b"], Is.EqualTo(P("tp1 tp4 tp7 tp10")));
        Assert.That(result["c"], Is.EqualTo(P("tp2 tp5 tp8 tp11")));
    }

    // ---- shared rules ----

    private static IEnumerable<IPartitionAssignor> Assignors() => [new RangeAssignor(), new RoundRobinAssignor()];

    [TestCaseSource(nameof(Assignors))]
    public void Member_ids_compare_ordinally_not_numerically_or_by_culture(IPartitionAssignor assignor)
    {
        // Ordinal: "consumer-10" < "consumer-2" < "consumer-B" < "consumer-a".
        var members = new[] { Member("consumer-a", "t"), Member("consumer-2", "t"), Member("consumer-B", "t"), Member("consumer-10", "t") };
        var result = assignor.Assign(members, Topics(("t", 4)));
        Assert.That(result["consumer-10"], Is.EqualTo(P("tp0")));
        Assert.That(result["consumer-2"], Is.EqualTo(P("tp1")));
        Assert.That(result["consumer-B"], Is.EqualTo(P("tp2")));
        Assert.That(result["consumer-a"], Is.EqualTo(P("tp3")));
    }

    [TestCaseSource(nameof(Assignors))]
    public void Static_members_come_before_dynamic_ones(IPartitionAssignor assignor)
    {
        var result = assignor.Assign([Member("a", "t"), Static("z", "instance", "t")], Topics(("t", 2)));
        Assert.That(result["z"], Is.EqualTo(P("tp0")));
        Assert.That(result["a"], Is.EqualTo(P("tp1")));
    }

    [TestCaseSource(nameof(Assignors))]
    public void The_result_does_not_depend_on_the_order_of_the_input(IPartitionAssignor assignor)
    {
        var members = Enumerable.Range(0, 7).Select(i => Member($"m-{i}", i % 2 == 0 ? ["x", "y"] : ["y", "z"])).ToArray();
        var topics = Topics(("x", 5), ("y", 11), ("z", 3));
        var expected = assignor.Assign(members, topics);
        var random = new Random(42);
        for (var round = 0; round < 10; round++)
        {
            var shuffled = members.ToArray();
            random.Shuffle(shuffled);
            var reversedTopics = topics.Reverse().ToDictionary(t => t.Key, t => t.Value);
            Assert.That(assignor.Assign(shuffled, reversedTopics), Is.EquivalentTo(expected));
        }
    }

    [TestCaseSource(nameof(Assignors))]
    public void Every_partition_goes_to_exactly_one_subscriber(IPartitionAssignor assignor)
    {
        var members = Enumerable.Range(0, 5).Select(i => Member($"m{i}", i == 0 ? ["a"] : ["a", "b", "c"])).ToArray();
        var topics = Topics(("a", 7), ("b", 13), ("c", 1), ("unsubscribed", 4));
        var result = assignor.Assign(members, topics);
        Assert.That(result.Keys, Is.EquivalentTo(members.Select(m => m.MemberId)));
        var all = result.Values.SelectMany(p => p).ToList();
        Assert.That(all, Is.Unique);
        Assert.That(all, Has.Count.EqualTo(7 + 13 + 1));
        Assert.That(result["m0"].Select(p => p.Topic), Is.All.EqualTo("a"));
    }

    [TestCaseSource(nameof(Assignors))]
    public void Topics_without_metadata_and_empty_groups_assign_nothing(IPartitionAssignor assignor)
    {
        var result = assignor.Assign([Member("a", "missing"), Member("b")], Topics());
        Assert.That(result["a"], Is.Empty);
        Assert.That(result["b"], Is.Empty);
        Assert.That(assignor.Assign([], Topics(("t", 3))), Is.Empty);
    }

    [TestCaseSource(nameof(Assignors))]
    public void Duplicate_member_ids_and_negative_counts_are_refused(IPartitionAssignor assignor)
    {
        Assert.Throws<ArgumentException>(() => assignor.Assign([Member("a", "t"), Member("a", "t")], Topics(("t", 1))));
        Assert.Throws<ArgumentException>(() => assignor.Assign([Member("a", "t")], Topics(("t", -1))));
        Assert.Throws<ArgumentNullException>(() => assignor.Assign(null!, Topics()));
    }

    [Test]
    public void Names_are_the_kafka_protocol_names()
    {
        Assert.That(new RangeAssignor().Name, Is.EqualTo("range"));
        Assert.That(new RoundRobinAssignor().Name, Is.EqualTo("roundrobin"));
    }

    [Test]
    public void Topic_partitions_order_by_topic_then_number()
    {
        var list = new List<TopicAndPartition> { new("b", 0), new("a", 10), new("a", 2), new("B", 5) };
        list.Sort();
        Assert.That(list, Is.EqualTo(new TopicAndPartition[] { new("B", 5), new("a", 2), new("a", 10), new("b", 0) }));
        Assert.That(new TopicAndPartition("orders", 3).ToString(), Is.EqualTo("orders/3"));
    }
}
