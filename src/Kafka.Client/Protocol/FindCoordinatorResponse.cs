namespace Kafka.Client.Protocol;

/// <summary>A broker's answer to <see cref="FindCoordinatorRequest"/>: one result per key asked for.</summary>
internal sealed class FindCoordinatorResponse
{
    /// <summary>How long the broker throttled the request for a quota violation (v1+; 0 before).</summary>
    public int ThrottleTimeMs { get; init; }

    /// <summary>The result for each key (v0–v3 answer for their one key).</summary>
    public IReadOnlyList<FindCoordinatorResult> Coordinators { get; init; } = [];
}

/// <summary>The coordinator of one key.</summary>
/// <param name="Key">The group id or transactional id.</param>
/// <param name="ErrorCode">COORDINATOR_NOT_AVAILABLE while the coordinator is elected or loading; authorization errors.</param>
/// <param name="ErrorMessage">The broker's message for the error (v1+), or <see langword="null"/>.</param>
/// <param name="NodeId">The coordinator's broker id.</param>
/// <param name="Host">The coordinator's host.</param>
/// <param name="Port">The coordinator's port.</param>
internal sealed record FindCoordinatorResult(string Key, KafkaErrorCode ErrorCode, string? ErrorMessage, int NodeId, string Host, int Port);
