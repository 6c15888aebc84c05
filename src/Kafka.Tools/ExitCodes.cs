namespace Kafka.Tools;

/// <summary>The process exit codes, for scripts (listed in docs/kafka-tools.md).</summary>
internal static class ExitCodes
{
    /// <summary>Everything asked was done.</summary>
    public const int Ok = 0;

    /// <summary>Kafka refused or failed the operation, for at least one item (a topic, a group, a partition).</summary>
    public const int Failed = 1;

    /// <summary>The command line or the input was wrong (unknown option, bad offset, bad JSON, unknown topic).</summary>
    public const int Usage = 2;

    /// <summary>No broker could be reached.</summary>
    public const int Unreachable = 3;

    /// <summary>Nothing was changed: the confirmation was declined, or the group has live members and --force was not given.</summary>
    public const int Refused = 4;

    /// <summary>The cluster refused the client's credentials (SASL or TLS authentication).</summary>
    public const int AuthenticationFailed = 5;

    /// <summary>Interrupted (Ctrl+C) before the command finished.</summary>
    public const int Interrupted = 130;
}
