namespace Kafka.Client;

/// <summary>How a share consumer acknowledges a record it received (KIP-932); the values are Kafka's wire codes.</summary>
public enum ShareAcknowledgeType
{
    /// <summary>Handled: the record is done for the whole share group.</summary>
    Accept = 1,

    /// <summary>Not handled now: the record goes back to the group at once, to be delivered again (its delivery count grows).</summary>
    Release = 2,

    /// <summary>Never to be handled: the record is archived and no member receives it again.</summary>
    Reject = 3,
}
