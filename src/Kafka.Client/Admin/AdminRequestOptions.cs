namespace Kafka.Client.Admin;

/// <summary>Settings of one admin call that changes the cluster.</summary>
public sealed class AdminRequestOptions
{
    /// <summary>
    /// How long the brokers may take to carry the change out (the request's <c>timeout_ms</c>), and how long the call
    /// keeps retrying a moved controller or coordinator. 30 seconds by default.
    /// </summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Only check that the change would be accepted; change nothing. Topics, partitions and configs support it.</summary>
    public bool ValidateOnly { get; init; }
}
