namespace Kafka.Client;

/// <summary>
/// No broker answered: every known broker and every seed host was tried. <see cref="Attempts"/> names each
/// host tried and why it failed; the message lists them too.
/// </summary>
public sealed class NoBrokersAvailableException : KafkaException
{
    /// <summary>Creates the error from the failed attempts, one per host.</summary>
    public NoBrokersAvailableException(IReadOnlyList<KeyValuePair<string, Exception>> attempts)
        : base(BuildMessage(attempts), isRetriable: true, attempts.Count > 0 ? attempts[^1].Value : null)
        => Attempts = attempts;

    /// <summary>Each host tried ("host:port"), with the error it failed with, in the order tried.</summary>
    public IReadOnlyList<KeyValuePair<string, Exception>> Attempts { get; }

    private static string BuildMessage(IReadOnlyList<KeyValuePair<string, Exception>> attempts)
    {
        ArgumentNullException.ThrowIfNull(attempts);
        if (attempts.Count == 0)
        {
            return "No Kafka broker is available: there were no hosts to try.";
        }
        var lines = attempts.Select(a => $"  {a.Key}: {a.Value.Message}");
        return $"No Kafka broker is available; tried {attempts.Count} host(s):{Environment.NewLine}{string.Join(Environment.NewLine, lines)}";
    }
}
