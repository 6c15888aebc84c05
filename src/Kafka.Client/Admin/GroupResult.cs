namespace Kafka.Client.Admin;

/// <summary>The outcome of deleting one group.</summary>
/// <param name="GroupId">The group.</param>
/// <param name="Error">Why it was not deleted (NON_EMPTY_GROUP while it has members, GROUP_ID_NOT_FOUND...), or <see langword="null"/>.</param>
public sealed record GroupResult(string GroupId, KafkaBrokerException? Error)
{
    /// <summary>Whether the group was deleted.</summary>
    public bool Succeeded => Error is null;
}
