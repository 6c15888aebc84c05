using Kafka.Client.Protocol;

namespace Kafka.Client.Tests.Protocol;

public sealed class VersionNegotiationTests
{
    private static readonly string[] KnownRows =
    [
        "0.9.0", "0.10.0", "0.10.1", "0.10.2", "0.11.0", "1.0", "1.1", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6",
        "2.7", "2.8", "3.0", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8", "3.9", "4.0", "4.1", "4.2",
    ];

    private static ApiVersionTable Broker(params (ApiKey Key, short Min, short Max)[] ranges) =>
        new([.. ranges.Select(r => new ApiVersionRange(r.Key, r.Min, r.Max))]);

    private static BrokerRelease Release(string text) => BrokerRelease.Parse(text)!;

    // ---- intersection ----

    [TestCase((short)0, (short)8, 8)]
    [TestCase((short)0, (short)13, 12)] // capped by the client
    [TestCase((short)5, (short)9, 9)]
    [TestCase((short)12, (short)12, 12)]
    [TestCase((short)0, (short)0, 0)]
    public void Negotiation_picks_the_highest_common_version(short brokerMin, short brokerMax, int expected)
    {
        var table = Broker((ApiKey.Metadata, brokerMin, brokerMax));
        Assert.That(table.Negotiate(KnownApis.Metadata), Is.EqualTo(expected));
        Assert.That(table.TryNegotiate(KnownApis.Metadata, out var version), Is.True);
        Assert.That(version, Is.EqualTo(expected));
    }

    [Test]
    public void A_broker_newer_than_the_client_floor_cannot_be_negotiated_with()
    {
        var table = Broker((ApiKey.Metadata, 13, 15));
        Assert.That(table.TryNegotiate(KnownApis.Metadata, out _), Is.False);
        var error = Assert.Throws<KafkaVersionException>(() => table.Negotiate(KnownApis.Metadata));
        Assert.That(error!.Message, Does.Contain("Metadata").And.Contain("v13 to v15").And.Contain("v0 to v12"));
        Assert.That(error.IsRetriable, Is.False);
    }

    [Test]
    public void A_broker_older_than_the_client_floor_cannot_be_negotiated_with()
    {
        var table = Broker((ApiKey.ListOffsets, 0, 0));
        var error = Assert.Throws<KafkaVersionException>(() => table.Negotiate(KnownApis.ListOffsets));
        Assert.That(error!.Message, Does.Contain("ListOffsets").And.Contain("v0 to v0").And.Contain("v1 to v7"));
    }

    [Test]
    public void An_api_the_broker_does_not_list_cannot_be_negotiated()
    {
        var table = Broker((ApiKey.Metadata, 0, 12));
        Assert.That(table.TryNegotiate(KnownApis.ListOffsets, out var version), Is.False);
        Assert.That(version, Is.EqualTo(-1));
        var error = Assert.Throws<KafkaVersionException>(() => table.Negotiate(KnownApis.ListOffsets));
        Assert.That(error!.Message, Does.Contain("does not support ListOffsets").And.Contain("v1 to v7"));
    }

    [Test]
    public void A_key_listed_twice_keeps_its_last_range()
    {
        var table = Broker((ApiKey.Metadata, 0, 4), (ApiKey.Metadata, 0, 9));
        Assert.That(table.Count, Is.EqualTo(1));
        Assert.That(table.Negotiate(KnownApis.Metadata), Is.EqualTo(9));
    }

    [Test]
    public void Apis_the_client_does_not_name_are_kept()
    {
        var table = Broker(((ApiKey)1000, 0, 3));
        Assert.That(table.TryGetRange((ApiKey)1000, out var range), Is.True);
        Assert.That(range, Is.EqualTo(new ApiVersionRange((ApiKey)1000, 0, 3)));
        Assert.That(table.Negotiate(new ApiInfo((ApiKey)1000, 1, 5, ApiInfo.NeverFlexible)), Is.EqualTo(3));
    }

    [Test]
    public void A_table_comes_from_an_api_versions_answer()
    {
        var response = new ApiVersionsResponse
        {
            ApiKeys = [new ApiVersionRange(ApiKey.Metadata, 0, 7), new ApiVersionRange(ApiKey.ApiVersions, 0, 2)],
        };
        var table = ApiVersionTable.FromResponse(response);
        Assert.That(table.Negotiate(KnownApis.Metadata), Is.EqualTo(7));
        Assert.That(table.Negotiate(KnownApis.ApiVersions), Is.EqualTo(2));
    }

    [Test]
    public void An_api_versions_answer_with_an_error_is_a_broker_error()
    {
        var error = Assert.Throws<KafkaBrokerException>(() =>
            ApiVersionTable.FromResponse(new ApiVersionsResponse { ErrorCode = KafkaErrorCode.UnsupportedVersion }));
        Assert.That(error!.ErrorCode, Is.EqualTo(KafkaErrorCode.UnsupportedVersion));
        Assert.That(error.Message, Does.Contain("UNSUPPORTED_VERSION"));
    }

    // ---- caps ----

    [Test]
    public void A_release_caps_what_the_broker_advertises()
    {
        var broker = Release("4.0").ToApiVersionTable(); // what a 4.0 broker advertises for these APIs
        var capped = broker.CapBy(Release("2.8"));
        Assert.That(capped.Negotiate(KnownApis.Metadata), Is.EqualTo(11));
        Assert.That(capped.Negotiate(KnownApis.ListOffsets), Is.EqualTo(6));
        Assert.That(capped.Negotiate(KnownApis.ApiVersions), Is.EqualTo(3));
        Assert.That(capped.TryGetRange(ApiKey.Fetch, out var fetch), Is.True);
        Assert.That(fetch, Is.EqualTo(new ApiVersionRange(ApiKey.Fetch, 4, 12))); // the broker's floor, the release's max
        Assert.That(capped.Cap, Is.EqualTo(Release("2.8")));

        // The uncapped table is unchanged.
        Assert.That(broker.Negotiate(KnownApis.Metadata), Is.EqualTo(12));
    }

    [Test]
    public void A_cap_above_the_broker_changes_nothing()
    {
        var broker = Broker((ApiKey.Metadata, 0, 5));
        Assert.That(broker.CapBy(Release("4.1")).Negotiate(KnownApis.Metadata), Is.EqualTo(5));
    }

    [Test]
    public void A_cap_below_the_broker_floor_names_the_cap()
    {
        var broker = Release("4.0").ToApiVersionTable();
        var capped = broker.CapBy(Release("0.10.0"));
        var error = Assert.Throws<KafkaVersionException>(() => capped.Negotiate(KnownApis.ListOffsets));
        Assert.That(error!.Message, Does.Contain("ListOffsets").And.Contain("v1 to v10").And.Contain("BrokerVersion 0.10.0").And.Contain("v1 to v7"));
    }

    [Test]
    public void A_cap_by_a_release_without_the_api_removes_it()
    {
        var initProducerId = new ApiInfo(ApiKey.InitProducerId, 0, 4, 2);
        var broker = Broker((ApiKey.InitProducerId, 0, 5));
        var capped = broker.CapBy(Release("0.10.2"));
        Assert.That(capped.TryGetRange(ApiKey.InitProducerId, out _), Is.False);
        var error = Assert.Throws<KafkaVersionException>(() => capped.Negotiate(initProducerId));
        Assert.That(error!.Message, Does.Contain("InitProducerId").And.Contain("0.10.2"));
        Assert.That(broker.Negotiate(initProducerId), Is.EqualTo(4));
    }

    [Test]
    public void Apis_outside_the_release_table_are_not_capped()
    {
        Assert.That(KafkaReleases.Covers(ApiKey.DescribeConfigs), Is.False);
        var capped = Broker((ApiKey.DescribeConfigs, 0, 4)).CapBy(Release("0.10.0"));
        Assert.That(capped.TryGetRange(ApiKey.DescribeConfigs, out var range), Is.True);
        Assert.That(range, Is.EqualTo(new ApiVersionRange(ApiKey.DescribeConfigs, 0, 4)));
    }

    // ---- release parsing ----

    [TestCase("auto")]
    [TestCase("AUTO")]
    [TestCase(" auto ")]
    public void Auto_parses_to_no_release(string text)
    {
        Assert.That(BrokerRelease.Parse(text), Is.Null);
        Assert.That(BrokerRelease.TryParse(text, out var release), Is.True);
        Assert.That(release, Is.Null);
    }

    [TestCase("0.9", 0, 9, 0, 0, "0.9.0", false)]
    [TestCase("0.9.0", 0, 9, 0, 0, "0.9.0", false)]
    [TestCase("0.9.0.1", 0, 9, 0, 1, "0.9.0", false)]
    [TestCase("0.10", 0, 10, 0, 0, "0.10.0", true)]
    [TestCase("0.10.1.1", 0, 10, 1, 1, "0.10.1", true)]
    [TestCase("0.10.2", 0, 10, 2, 0, "0.10.2", true)]
    [TestCase("0.10.2.1", 0, 10, 2, 1, "0.10.2", true)]
    [TestCase("0.11.0.3", 0, 11, 0, 3, "0.11.0", true)]
    [TestCase("1.0", 1, 0, 0, 0, "1.0", true)]
    [TestCase("1.1.1", 1, 1, 1, 0, "1.1", true)]
    [TestCase("2.8", 2, 8, 0, 0, "2.8", true)]
    [TestCase("3.7.0", 3, 7, 0, 0, "3.7", true)]
    [TestCase("3.7.2", 3, 7, 2, 0, "3.7", true)]
    [TestCase("3.10", 3, 10, 0, 0, "3.9", true)]
    [TestCase("4.0", 4, 0, 0, 0, "4.0", true)]
    [TestCase("4.1", 4, 1, 0, 0, "4.1", true)]
    [TestCase("4.1.1", 4, 1, 1, 0, "4.1", true)]
    [TestCase("5.0", 5, 0, 0, 0, "4.2", true)] // newer than the table: its newest row
    [TestCase(" 2.8 ", 2, 8, 0, 0, "2.8", true)]
    public void Release_numbers_parse(string text, int a, int b, int c, int d, string row, bool supportsApiVersions)
    {
        var release = Release(text);
        Assert.That(release.Version, Is.EqualTo(new Version(a, b, c, d)));
        Assert.That(KafkaReleases.RowName(release), Is.EqualTo(row));
        Assert.That(release.SupportsApiVersionsRequest, Is.EqualTo(supportsApiVersions));
        Assert.That(release.ToString(), Is.EqualTo(text.Trim()));
        Assert.That(BrokerRelease.TryParse(text, out var again), Is.True);
        Assert.That(again, Is.EqualTo(release));
    }

    [TestCase("")]
    [TestCase("   ")]
    [TestCase("latest")]
    [TestCase("2")]
    [TestCase("2.")]
    [TestCase(".8")]
    [TestCase("2..8")]
    [TestCase("2.8.0.1")]
    [TestCase("0.10.2.1.0")]
    [TestCase("v2.8")]
    [TestCase("2.8-IV1")]
    [TestCase("-1.0")]
    [TestCase("+2.8")]
    [TestCase("2.8 .0")]
    [TestCase("1e3.0")]
    [TestCase("123456.0")]
    [TestCase("٣.٧")] // digits, but not ASCII ones
    public void Garbage_is_refused_naming_the_value(string text)
    {
        var error = Assert.Throws<ArgumentException>(() => BrokerRelease.Parse(text));
        Assert.That(error!.Message, Does.Contain($"'{text}'"));
        Assert.That(BrokerRelease.TryParse(text, out var release), Is.False);
        Assert.That(release, Is.Null);
    }

    [TestCase("0.8")]
    [TestCase("0.8.2")]
    [TestCase("0.8.2.2")]
    [TestCase("0.0")]
    public void Releases_before_0_9_are_refused(string text)
    {
        var error = Assert.Throws<ArgumentException>(() => BrokerRelease.Parse(text));
        Assert.That(error!.Message, Does.Contain(text).And.Contain("0.9.0"));
        Assert.That(BrokerRelease.TryParse(text, out _), Is.False);
    }

    [Test]
    public void Null_is_refused()
    {
        Assert.Throws<ArgumentNullException>(() => BrokerRelease.Parse(null!));
        Assert.That(BrokerRelease.TryParse(null, out _), Is.False);
    }

    [Test]
    public void Releases_are_ordered()
    {
        Assert.That(Release("0.10.2.1"), Is.GreaterThan(Release("0.10.2")));
        Assert.That(Release("0.10.2"), Is.GreaterThan(Release("0.10.1.1")));
        Assert.That(Release("1.0"), Is.GreaterThan(Release("0.11.0.3")));
        Assert.That(Release("2.10"), Is.GreaterThan(Release("2.9")));
        Assert.That(Release("2.8") == Release("2.8.0"), Is.True);
        Assert.That(Release("0.9") < Release("0.10"), Is.True);
        Assert.That(Release("4.0") >= Release("3.9.1"), Is.True);
        Assert.That(BrokerRelease.Minimum, Is.EqualTo(Release("0.9.0")));
    }

    // ---- release tables ----

    [Test]
    public void The_0_9_table_has_the_group_apis_but_no_api_versions()
    {
        var release = Release("0.9");
        Assert.That(release.SupportsApiVersionsRequest, Is.False);
        var table = release.ToApiVersionTable();
        Assert.That(table.Source, Is.EqualTo("Kafka 0.9"));
        (ApiKey, short, short)[] expected =
        [
            (ApiKey.Produce, 0, 1), (ApiKey.Fetch, 0, 1), (ApiKey.ListOffsets, 0, 0), (ApiKey.Metadata, 0, 0),
            (ApiKey.OffsetCommit, 0, 2), (ApiKey.OffsetFetch, 0, 1), (ApiKey.FindCoordinator, 0, 0),
            (ApiKey.JoinGroup, 0, 0), (ApiKey.Heartbeat, 0, 0), (ApiKey.LeaveGroup, 0, 0), (ApiKey.SyncGroup, 0, 0),
            (ApiKey.DescribeGroups, 0, 0), (ApiKey.ListGroups, 0, 0),
        ];
        Assert.That(table.Count, Is.EqualTo(expected.Length));
        foreach (var (key, min, max) in expected)
        {
            Assert.That(table.TryGetRange(key, out var range), Is.True, key.ToString());
            Assert.That(range, Is.EqualTo(new ApiVersionRange(key, min, max)));
        }
        Assert.That(table.TryGetRange(ApiKey.ApiVersions, out _), Is.False);
        Assert.That(table.TryGetRange(ApiKey.SaslHandshake, out _), Is.False);
        Assert.That(table.TryGetRange(ApiKey.CreateTopics, out _), Is.False);

        Assert.That(table.Negotiate(KnownApis.Metadata), Is.Zero);
        var error = Assert.Throws<KafkaVersionException>(() => table.Negotiate(KnownApis.ListOffsets));
        Assert.That(error!.Message, Does.Contain("Kafka 0.9").And.Contain("ListOffsets"));
    }

    [TestCase("0.10.0", 0, 1)]
    [TestCase("0.10.1", 0, 2)]
    [TestCase("0.11.0", 1, 4)]
    [TestCase("1.0", 1, 5)]
    [TestCase("2.0", 2, 6)]
    [TestCase("2.1", 2, 7)]
    [TestCase("2.4", 3, 9)]
    [TestCase("2.8", 3, 11)]
    [TestCase("3.1", 3, 12)]
    [TestCase("3.9", 4, 12)]
    [TestCase("4.0", 4, 13)]
    public void Release_maxima_match_kafka(string text, int apiVersionsMax, int metadataMax)
    {
        var release = Release(text);
        Assert.That(KafkaReleases.TryGetRange(release, ApiKey.ApiVersions, out var apiVersions), Is.True);
        Assert.That(apiVersions.MaxVersion, Is.EqualTo(apiVersionsMax));
        Assert.That(KafkaReleases.TryGetRange(release, ApiKey.Metadata, out var metadata), Is.True);
        Assert.That(metadata.MaxVersion, Is.EqualTo(metadataMax));
    }

    [Test]
    public void Kafka_4_raises_the_floor_and_4_1_restores_old_join_group()
    {
        var v40 = Release("4.0");
        Assert.That(Range(v40, ApiKey.Produce), Is.EqualTo((3, 12)));
        Assert.That(Range(v40, ApiKey.Fetch), Is.EqualTo((4, 17)));
        Assert.That(Range(v40, ApiKey.ListOffsets), Is.EqualTo((1, 10)));
        Assert.That(Range(v40, ApiKey.OffsetCommit), Is.EqualTo((2, 9)));
        Assert.That(Range(v40, ApiKey.OffsetFetch), Is.EqualTo((1, 9)));
        Assert.That(Range(v40, ApiKey.JoinGroup), Is.EqualTo((2, 9)));
        Assert.That(Range(v40, ApiKey.CreateTopics), Is.EqualTo((2, 7)));
        Assert.That(Range(v40, ApiKey.DeleteTopics), Is.EqualTo((1, 6)));
        Assert.That(Range(v40, ApiKey.Metadata), Is.EqualTo((0, 13)));

        var v41 = Release("4.1");
        Assert.That(Range(v41, ApiKey.JoinGroup), Is.EqualTo((0, 9)));
        Assert.That(Range(v41, ApiKey.Produce), Is.EqualTo((3, 13)));
        Assert.That(Range(v41, ApiKey.Fetch), Is.EqualTo((4, 18)));

        Assert.That(Range(Release("3.9"), ApiKey.Fetch), Is.EqualTo((0, 17)));
    }

    private static (int, int) Range(BrokerRelease release, ApiKey key)
    {
        Assert.That(KafkaReleases.TryGetRange(release, key, out var range), Is.True, key.ToString());
        return (range.MinVersion, range.MaxVersion);
    }

    [Test]
    public void Every_release_row_is_consistent_with_the_one_before()
    {
        // An API, once added, stays; its maximum never goes down; its minimum never exceeds its maximum.
        for (var i = 0; i < KnownRows.Length; i++)
        {
            var release = Release(KnownRows[i]);
            Assert.That(KafkaReleases.RowName(release), Is.EqualTo(KnownRows[i]));
            foreach (var key in KafkaReleases.CoveredApis)
            {
                var has = KafkaReleases.TryGetRange(release, key, out var range);
                if (has)
                {
                    Assert.That(range.MinVersion, Is.LessThanOrEqualTo(range.MaxVersion), $"{key} in {release}");
                }
                if (i == 0)
                {
                    continue;
                }
                var hadBefore = KafkaReleases.TryGetRange(Release(KnownRows[i - 1]), key, out var before);
                if (hadBefore)
                {
                    Assert.That(has, Is.True, $"{key} disappeared in {release}");
                    Assert.That(range.MaxVersion, Is.GreaterThanOrEqualTo(before.MaxVersion), $"{key} max went down in {release}");
                }
            }
        }
    }

    [Test]
    public void The_table_covers_every_api_the_client_will_use()
    {
        ApiKey[] used =
        [
            ApiKey.Produce, ApiKey.Fetch, ApiKey.ListOffsets, ApiKey.Metadata, ApiKey.OffsetCommit, ApiKey.OffsetFetch,
            ApiKey.FindCoordinator, ApiKey.JoinGroup, ApiKey.Heartbeat, ApiKey.LeaveGroup, ApiKey.SyncGroup,
            ApiKey.DescribeGroups, ApiKey.ListGroups, ApiKey.ApiVersions, ApiKey.CreateTopics, ApiKey.DeleteTopics,
            ApiKey.InitProducerId,
        ];
        Assert.That(KafkaReleases.CoveredApis, Is.SupersetOf(used));
        foreach (var key in used)
        {
            Assert.That(KafkaReleases.TryGetRange(Release("4.1"), key, out _), Is.True, key.ToString());
        }
    }

    [TestCase("0.10.0", 0, 1, -1)]
    [TestCase("0.10.1", 0, 2, 1)]
    [TestCase("2.0", 2, 6, 3)]
    [TestCase("2.8", 3, 11, 6)]
    [TestCase("3.9", 3, 12, 7)]
    [TestCase("4.0", 3, 12, 7)]
    public void Known_apis_negotiate_against_each_release(string text, int apiVersions, int metadata, int listOffsets)
    {
        var table = Release(text).ToApiVersionTable();
        Assert.That(table.Negotiate(KnownApis.ApiVersions), Is.EqualTo(apiVersions));
        Assert.That(table.Negotiate(KnownApis.Metadata), Is.EqualTo(metadata));
        if (listOffsets < 0)
        {
            Assert.Throws<KafkaVersionException>(() => table.Negotiate(KnownApis.ListOffsets));
        }
        else
        {
            Assert.That(table.Negotiate(KnownApis.ListOffsets), Is.EqualTo(listOffsets));
        }
    }
}
