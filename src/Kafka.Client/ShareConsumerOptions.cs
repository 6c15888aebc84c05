namespace Kafka.Client;

/// <summary>
/// Settings of a <see cref="ShareConsumer"/> (KIP-932 share groups). What the group itself does — how long a record
/// stays locked to a member, how many deliveries a record gets, where a new group starts — is the broker's
/// configuration (<c>group.share.*</c>), not the client's.
/// </summary>
public sealed class ShareConsumerOptions
{
    /// <summary>Whether polls accept the previous poll's records by themselves (Kafka's <c>share.acknowledgement.mode</c>).</summary>
    /// <value>The default value is <see cref="ShareAcknowledgementMode.Implicit"/>.</value>
    public ShareAcknowledgementMode AcknowledgementMode { get; set; } = ShareAcknowledgementMode.Implicit;

    /// <summary>The most records one broker hands out per fetch (ShareFetch <c>MaxRecords</c>, Kafka's <c>max.poll.records</c>).</summary>
    /// <value>The default value is 500.</value>
    public int MaxPollRecords { get; set; } = 500;

    /// <summary>How long a broker may hold a fetch open waiting for records.</summary>
    /// <value>The default value is 500 milliseconds.</value>
    public TimeSpan FetchWaitMax { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How many bytes a broker waits for before it answers a fetch.</summary>
    /// <value>The default value is 1.</value>
    public int FetchMinBytes { get; set; } = 1;

    /// <summary>The most bytes one fetch returns (a single larger batch still comes back whole).</summary>
    /// <value>The default value is 50 MiB.</value>
    public int FetchMaxBytes { get; set; } = 50 * 1024 * 1024;

    /// <summary>The member's rack, sent to the coordinator; <see langword="null"/> for none.</summary>
    public string? RackId { get; set; }

    /// <summary>How long to wait after a failed heartbeat or fetch before trying again (doubling up to ten times this).</summary>
    /// <value>The default value is 200 milliseconds.</value>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Whether the CRC of every fetched batch is verified.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool CheckCrcs { get; set; } = true;

    /// <summary>Every problem with these settings, each naming its property; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (AcknowledgementMode is not (ShareAcknowledgementMode.Implicit or ShareAcknowledgementMode.Explicit))
        {
            errors.Add($"AcknowledgementMode must be Implicit or Explicit (was {AcknowledgementMode}).");
        }
        if (MaxPollRecords <= 0)
        {
            errors.Add($"MaxPollRecords must be positive (was {MaxPollRecords}).");
        }
        if (FetchWaitMax < TimeSpan.Zero || FetchWaitMax.TotalMilliseconds > int.MaxValue)
        {
            errors.Add($"FetchWaitMax must be between zero and {int.MaxValue} ms (was {FetchWaitMax}).");
        }
        if (FetchMinBytes < 0)
        {
            errors.Add($"FetchMinBytes must not be negative (was {FetchMinBytes}).");
        }
        if (FetchMaxBytes <= 0)
        {
            errors.Add($"FetchMaxBytes must be positive (was {FetchMaxBytes}).");
        }
        if (RetryBackoff < TimeSpan.Zero || RetryBackoff > TimeSpan.FromMinutes(10))
        {
            errors.Add($"RetryBackoff must be between zero and 10 minutes (was {RetryBackoff}).");
        }
        return errors;
    }

    /// <summary>A copy, so that the consumer is not changed by later edits to these options.</summary>
    internal ShareConsumerOptions Clone() => (ShareConsumerOptions)MemberwiseClone();
}
