using Kafka.Client;
using Microsoft.Extensions.Options;

namespace Kafka.Hosting.Internal;

/// <summary>
/// Validates one hosted consumer's options when the host starts. Every problem is listed, each named by its
/// configuration key for a consumer bound from configuration (<c>Kafka:Consumers:orders:MaxConcurrency: ...</c>), or by
/// its option after the consumer's topics and group otherwise; problems met while binding come first.
/// </summary>
internal sealed class HostedConsumerOptionsValidator<TOptions>(
    HostedConsumerRegistration registration,
    IOptionsMonitor<KafkaClientOptions> clients,
    Func<TOptions, IEnumerable<string>>? extraChecks = null)
    : IValidateOptions<TOptions>
    where TOptions : HostedConsumerOptions
{
    private static readonly TimeSpan MaxDelay = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan MinCommitInterval = TimeSpan.FromMilliseconds(10);

    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        if (!string.Equals(name, registration.OptionsName, StringComparison.Ordinal))
        {
            return ValidateOptionsResult.Skip;
        }
        var problems = new List<string>();
        Check(options, problems);
        if (extraChecks is not null)
        {
            problems.AddRange(extraChecks(options));
        }
        var prefix = registration.ConfigurationPath is { } path
            ? path + ":"
            : $"Consumer of '{string.Join(",", options.Topics ?? [])}' in group '{options.Group}': ";
        var errors = new List<string>(options.ConfigurationErrors);
        errors.AddRange(problems.Select(p => prefix + p));
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private void Check(TOptions options, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(options.Group))
        {
            errors.Add("Group: must be set (the consumer group to join).");
        }
        var topics = options.Topics ?? [];
        if (topics.Count == 0)
        {
            errors.Add("Topics: must list at least one topic.");
        }
        else if (topics.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add("Topics: a topic name is empty.");
        }
        else if (topics.Distinct(StringComparer.Ordinal).Count() != topics.Count)
        {
            errors.Add($"Topics: '{string.Join(",", topics)}' names a topic twice.");
        }
        if (options.Consumer is null)
        {
            errors.Add("Consumer: must be set.");
        }
        else
        {
            CheckConsumer(options, errors);
        }
        Range(errors, nameof(options.MaxConcurrency), options.MaxConcurrency, 1, 1024);
        Range(errors, nameof(options.MaxInFlightMessages), options.MaxInFlightMessages, 1, 1_000_000);
        Range(errors, nameof(options.MaxBatchSize), options.MaxBatchSize, 1, 100_000);
        Range(errors, nameof(options.HandlerMaxRetryAttempts), options.HandlerMaxRetryAttempts, 0, 100);
        if (!Enum.IsDefined(options.Ordering))
        {
            errors.Add($"Ordering: {options.Ordering} is not defined.");
        }
        else if (registration.Kind == HandlerKind.Batch && options.Ordering != MessageOrdering.Partition)
        {
            errors.Add($"Ordering: a batch consumer handles each partition's batches in order; {options.Ordering} is for message handlers.");
        }
        Between(errors, nameof(options.CommitInterval), options.CommitInterval, MinCommitInterval, MaxDelay);
        Between(errors, nameof(options.DrainTimeout), options.DrainTimeout, TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1));
        if (options.MaxBatchWait < TimeSpan.Zero || options.MaxBatchWait > MaxDelay)
        {
            errors.Add($"MaxBatchWait: must be between 0 and {MaxDelay} (was {options.MaxBatchWait}).");
        }
        Between(errors, nameof(options.HandlerRetryDelay), options.HandlerRetryDelay, TimeSpan.FromTicks(1), MaxDelay);
        Between(errors, nameof(options.RestartDelay), options.RestartDelay, TimeSpan.FromTicks(1), MaxDelay);
        if (!Enum.IsDefined(options.FailurePolicy))
        {
            errors.Add($"FailurePolicy: {options.FailurePolicy} is not defined.");
        }
        if (options.FailurePolicy == HandlerFailurePolicy.DeadLetter)
        {
            if (string.IsNullOrWhiteSpace(options.DeadLetterTopic))
            {
                errors.Add("DeadLetterTopic: must be set when FailurePolicy is DeadLetter.");
            }
            else if (topics.Contains(options.DeadLetterTopic, StringComparer.Ordinal))
            {
                errors.Add("DeadLetterTopic: must differ from the consumed topics.");
            }
        }
    }

    private void CheckConsumer(TOptions options, List<string> errors)
    {
        var consumer = options.Consumer;
        if (consumer.ConsumerGroup is { } group && !string.Equals(group, options.Group, StringComparison.Ordinal))
        {
            errors.Add($"Consumer:ConsumerGroup: '{group}' differs from the consumer's group '{options.Group}'; leave it unset.");
        }
        var copy = (BalancedConsumerOptions)consumer.Clone();
        copy.ConsumerGroup = string.IsNullOrWhiteSpace(options.Group) ? "group" : options.Group;
        errors.AddRange(copy.Validate().Select(e => "Consumer:" + e));
        if (!copy.Managed)
        {
            if (copy.ZooKeeperHosts is null && string.IsNullOrWhiteSpace(clients.Get(registration.ClientName).ZooKeeperHosts))
            {
                errors.Add("Consumer:ZooKeeperHosts: must be set when Managed is false (the group is balanced through ZooKeeper), unless the client's ZooKeeperHosts is.");
            }
            if ((options.Topics?.Count ?? 0) > 1)
            {
                errors.Add("Topics: a consumer balanced through ZooKeeper (Consumer:Managed false) consumes one topic, as pykafka's does.");
            }
        }
    }

    private static void Range(List<string> errors, string name, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            errors.Add($"{name}: {value} is outside {min} to {max}.");
        }
    }

    private static void Between(List<string> errors, string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            errors.Add($"{name}: must be between {min} and {max} (was {value}).");
        }
    }
}
