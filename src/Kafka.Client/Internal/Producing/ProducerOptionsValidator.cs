namespace Kafka.Client.Internal.Producing;

/// <summary>Checks <see cref="ProducerOptions"/> and reports every problem at once, each starting with the option's name.</summary>
internal static class ProducerOptionsValidator
{
    /// <summary>The smallest MaxRequestSize: room for a request, a batch header and a small record.</summary>
    public const int MinRequestSize = 1024;

    private static readonly TimeSpan MaxTimeout = TimeSpan.FromMilliseconds(int.MaxValue);

    public static List<string> Validate(ProducerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (!Enum.IsDefined(options.Compression))
        {
            errors.Add($"{nameof(options.Compression)}: {(int)options.Compression} is not a compression type.");
        }
        else if (options.CompressionLevel is { } level)
        {
            var (min, max) = options.Compression switch
            {
                CompressionType.Gzip => (0, 9),
                CompressionType.Lz4 => (0, 12),
                CompressionType.Zstd => (-131072, 22),
                _ => (1, 0),
            };
            if (min > max)
            {
                errors.Add($"{nameof(options.CompressionLevel)}: {options.Compression} has no compression levels.");
            }
            else if (level < min || level > max)
            {
                errors.Add($"{nameof(options.CompressionLevel)}: {level} is outside {options.Compression}'s levels {min} to {max}.");
            }
        }
        if (!Enum.IsDefined(options.RequiredAcks))
        {
            errors.Add($"{nameof(options.RequiredAcks)}: {(short)options.RequiredAcks} is not 0, 1 or -1.");
        }
        if (options.MaxRetries < 0)
        {
            errors.Add($"{nameof(options.MaxRetries)}: {options.MaxRetries} is negative.");
        }
        Duration(errors, nameof(options.RetryBackoff), options.RetryBackoff, allowZero: true);
        Duration(errors, nameof(options.RetryBackoffMax), options.RetryBackoffMax, allowZero: true);
        if (options.RetryBackoffMax < options.RetryBackoff)
        {
            errors.Add($"{nameof(options.RetryBackoffMax)}: {options.RetryBackoffMax} is shorter than {nameof(options.RetryBackoff)} ({options.RetryBackoff}).");
        }
        Duration(errors, nameof(options.AckTimeout), options.AckTimeout, allowZero: false);
        Duration(errors, nameof(options.Linger), options.Linger, allowZero: true);
        Duration(errors, nameof(options.QueueEmptyTimeout), options.QueueEmptyTimeout, allowZero: true, allowInfinite: true);
        Duration(errors, nameof(options.PendingTimeout), options.PendingTimeout, allowZero: true, allowInfinite: true);
        Duration(errors, nameof(options.DeliveryTimeout), options.DeliveryTimeout, allowZero: false);
        if (options.DeliveryTimeout < options.Linger)
        {
            errors.Add($"{nameof(options.DeliveryTimeout)}: {options.DeliveryTimeout} is shorter than {nameof(options.Linger)} ({options.Linger}); a batch would expire while it lingers.");
        }
        if (options.MaxQueuedMessages < 1)
        {
            errors.Add($"{nameof(options.MaxQueuedMessages)}: {options.MaxQueuedMessages} is less than 1.");
        }
        if (options.MinQueuedMessages < 1)
        {
            errors.Add($"{nameof(options.MinQueuedMessages)}: {options.MinQueuedMessages} is less than 1.");
        }
        if (options.MaxRequestSize < MinRequestSize)
        {
            errors.Add($"{nameof(options.MaxRequestSize)}: {options.MaxRequestSize} is less than {MinRequestSize} bytes.");
        }
        if (options.BatchSize < 1)
        {
            errors.Add($"{nameof(options.BatchSize)}: {options.BatchSize} is less than 1.");
        }
        if (options.MaxInFlightRequests is < 1 or > 5)
        {
            errors.Add($"{nameof(options.MaxInFlightRequests)}: {options.MaxInFlightRequests} is outside 1 to 5.");
        }
        if (options.TransactionalId is not null)
        {
            if (string.IsNullOrWhiteSpace(options.TransactionalId))
            {
                errors.Add($"{nameof(options.TransactionalId)}: an empty or blank id; set one or leave it null.");
            }
            if (!options.EnableIdempotence)
            {
                errors.Add($"{nameof(options.EnableIdempotence)}: false, but {nameof(options.TransactionalId)} is set; a transactional producer is idempotent.");
            }
            if (Enum.IsDefined(options.RequiredAcks) && options.RequiredAcks != RequiredAcks.All)
            {
                errors.Add($"{nameof(options.RequiredAcks)}: {options.RequiredAcks}, but {nameof(options.TransactionalId)} is set; a transactional producer needs All.");
            }
            Duration(errors, nameof(options.TransactionTimeout), options.TransactionTimeout, allowZero: false);
        }
        return errors;
    }

    private static void Duration(List<string> errors, string name, TimeSpan value, bool allowZero, bool allowInfinite = false)
    {
        if (allowInfinite && value == Timeout.InfiniteTimeSpan)
        {
            return;
        }
        if (value < TimeSpan.Zero || (!allowZero && value == TimeSpan.Zero))
        {
            errors.Add($"{name}: {value} must be {(allowZero ? "zero or more" : "positive")}{(allowInfinite ? " (or infinite)" : "")}.");
        }
        else if (value > MaxTimeout)
        {
            errors.Add($"{name}: {value} exceeds {MaxTimeout}.");
        }
    }
}
