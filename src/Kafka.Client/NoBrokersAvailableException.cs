namespace Kafka.Client;

/// <summary>
/// No broker answered: every known broker and every seed host was tried. <see cref="Attempts"/> names each
/// host tried and why it failed; the message lists them too. Retriable, unless every host failed with an error that
/// is not (for example <see cref="KafkaAuthenticationException"/>: a TLS misconfiguration does not heal by waiting).
/// </summary>
public sealed class NoBrokersAvailableException : KafkaException
{
    /// <summary>Creates the error from the failed attempts, one per host.</summary>
    public NoBrokersAvailableException(IReadOnlyList<KeyValuePair<string, Exception>> attempts)
        : base(BuildMessage(attempts), IsAnyRetriable(attempts), attempts.Count > 0 ? attempts[^1].Value : null)
        => Attempts = attempts;

    private static bool IsAnyRetriable(IReadOnlyList<KeyValuePair<string, Exception>> attempts) =>
        attempts is null || attempts.Count == 0 || attempts.Any(a => a.Value is not KafkaException { IsRetriable: false });

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
