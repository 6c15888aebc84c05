using System.Text;

namespace Kafka.Client.Tests.Protocol;

public sealed class KafkaErrorsTests
{
    // Every code whose Java exception derives from RetriableException (directly or through InvalidMetadataException).
    private static readonly short[] RetriableCodes =
    [
        2, 3, 5, 6, 7, 9, 13, 14, 15, 16, 19, 20, 41, 51, 56, 70, 71, 72, 74, 75, 78, 80, 83, 84, 88, 89, 100, 103,
        106, 122, 123, 133,
    ];

    [TestCase(KafkaErrorCode.UnknownServerError, -1, "UNKNOWN_SERVER_ERROR", false)]
    [TestCase(KafkaErrorCode.None, 0, "NONE", false)]
    [TestCase(KafkaErrorCode.OffsetOutOfRange, 1, "OFFSET_OUT_OF_RANGE", false)]
    [TestCase(KafkaErrorCode.CorruptMessage, 2, "CORRUPT_MESSAGE", true)]
    [TestCase(KafkaErrorCode.UnknownTopicOrPartition, 3, "UNKNOWN_TOPIC_OR_PARTITION", true)]
    [TestCase(KafkaErrorCode.LeaderNotAvailable, 5, "LEADER_NOT_AVAILABLE", true)]
    [TestCase(KafkaErrorCode.NotLeaderOrFollower, 6, "NOT_LEADER_OR_FOLLOWER", true)]
    [TestCase(KafkaErrorCode.RequestTimedOut, 7, "REQUEST_TIMED_OUT", true)]
    [TestCase(KafkaErrorCode.BrokerNotAvailable, 8, "BROKER_NOT_AVAILABLE", false)]
    [TestCase(KafkaErrorCode.NetworkException, 13, "NETWORK_EXCEPTION", true)]
    [TestCase(KafkaErrorCode.NotCoordinator, 16, "NOT_COORDINATOR", true)]
    [TestCase(KafkaErrorCode.InvalidTopicException, 17, "INVALID_TOPIC_EXCEPTION", false)]
    [TestCase(KafkaErrorCode.RebalanceInProgress, 27, "REBALANCE_IN_PROGRESS", false)]
    [TestCase(KafkaErrorCode.TopicAuthorizationFailed, 29, "TOPIC_AUTHORIZATION_FAILED", false)]
    [TestCase(KafkaErrorCode.UnsupportedVersion, 35, "UNSUPPORTED_VERSION", false)]
    [TestCase(KafkaErrorCode.ConcurrentTransactions, 51, "CONCURRENT_TRANSACTIONS", true)]
    [TestCase(KafkaErrorCode.KafkaStorageError, 56, "KAFKA_STORAGE_ERROR", true)]
    [TestCase(KafkaErrorCode.InvalidProducerIdMapping, 49, "INVALID_PRODUCER_ID_MAPPING", false)]
    [TestCase(KafkaErrorCode.PositionOutOfRange, 99, "POSITION_OUT_OF_RANGE", false)]
    [TestCase(KafkaErrorCode.UnknownTopicId, 100, "UNKNOWN_TOPIC_ID", true)]
    [TestCase(KafkaErrorCode.ShareSessionNotFound, 122, "SHARE_SESSION_NOT_FOUND", true)]
    [TestCase(KafkaErrorCode.InvalidRegularExpression, 128, "INVALID_REGULAR_EXPRESSION", false)]
    [TestCase(KafkaErrorCode.RebootstrapRequired, 129, "REBOOTSTRAP_REQUIRED", false)]
    [TestCase(KafkaErrorCode.ShareSessionLimitReached, 133, "SHARE_SESSION_LIMIT_REACHED", true)]
    public void Known_codes_have_their_number_name_and_retriability(KafkaErrorCode code, int number, string name, bool retriable)
    {
        Assert.That((short)code, Is.EqualTo(number));
        Assert.That(KafkaErrors.GetName(code), Is.EqualTo(name));
        Assert.That(KafkaErrors.IsRetriable(code), Is.EqualTo(retriable));
    }

    [Test]
    public void The_enum_lists_every_code_from_minus_one_to_133_once()
    {
        var values = Enum.GetValues<KafkaErrorCode>().Select(v => (int)v).Order().ToArray();
        Assert.That(values, Is.EqualTo(Enumerable.Range(-1, 135)));
    }

    [Test]
    public void Each_member_name_is_the_protocol_name_in_pascal_case()
    {
        // Catches a table row shifted against the enum: every name is checked, not a sample.
        foreach (var code in Enum.GetValues<KafkaErrorCode>())
        {
            Assert.That(KafkaErrors.GetName(code), Is.EqualTo(ToUpperSnake(code.ToString())), $"code {(short)code}");
        }
    }

    [Test]
    public void Exactly_the_java_retriable_codes_are_retriable()
    {
        var retriable = Enum.GetValues<KafkaErrorCode>().Where(KafkaErrors.IsRetriable).Select(c => (short)c).ToArray();
        Assert.That(retriable, Is.EquivalentTo(RetriableCodes));
    }

    [Test]
    public void Every_known_code_has_its_own_sentence()
    {
        var descriptions = Enum.GetValues<KafkaErrorCode>().Select(KafkaErrors.GetDescription).ToArray();
        Assert.That(descriptions, Has.All.Match("^[A-Z].*\\.$"));
        Assert.That(descriptions, Is.Unique);
        Assert.That(KafkaErrors.GetDescription(KafkaErrorCode.NotLeaderOrFollower), Does.Contain("not the leader"));
    }

    [TestCase((short)134)]
    [TestCase((short)-2)]
    [TestCase(short.MaxValue)]
    [TestCase(short.MinValue)]
    public void Unknown_codes_are_named_by_number_and_not_retriable(short number)
    {
        var code = (KafkaErrorCode)number;
        Assert.That(KafkaErrors.GetName(code), Is.EqualTo($"UNKNOWN_ERROR_CODE_{number}"));
        Assert.That(KafkaErrors.IsRetriable(code), Is.False);
        Assert.That(KafkaErrors.GetDescription(code), Does.Contain(number.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public void Broker_exceptions_take_retriability_from_the_code()
    {
        Assert.That(new KafkaBrokerException(KafkaErrorCode.NotLeaderOrFollower, "x").IsRetriable, Is.True);
        Assert.That(new KafkaBrokerException(KafkaErrorCode.TopicAuthorizationFailed, "x").IsRetriable, Is.False);
    }

    private static string ToUpperSnake(string pascal)
    {
        var builder = new StringBuilder(pascal.Length + 8);
        for (var i = 0; i < pascal.Length; i++)
        {
            if (i > 0 && char.IsUpper(pascal[i]))
            {
                builder.Append('_');
            }
            builder.Append(char.ToUpperInvariant(pascal[i]));
        }
        return builder.ToString();
    }
}
