using Kafka.Client;
using Microsoft.Extensions.Options;

namespace Kafka.Hosting.Internal;

/// <summary>Validates one hosted consumer's options when the host starts; each problem names its option.</summary>
internal sealed class HostedConsumerOptionsValidator(HostedConsumerRegistration registration, IOptionsMonitor<KafkaClientOptions> clients)
    : IValidateOptions<HostedConsumerOptions>
{
    private static readonly TimeSpan MaxDelay = TimeSpan.FromMinutes(10);

    public ValidateOptionsResult Validate(string? name, HostedConsumerOptions options)
    {
        if (!string.Equals(name, registration.Name, StringComparison.Ordinal))
        {
            return ValidateOptionsResult.Skip;
        }
        var prefix = $"Consumer of '{registration.Topic}' in group '{registration.Group}': ";
        var errors = new List<string>();
        if (options.Consumer is null)
        {
            errors.Add(prefix + "Consumer: must be set.");
        }
        else
        {
            if (options.Consumer.ConsumerGroup is { } group && !string.Equals(group, registration.Group, StringComparison.Ordinal))
            {
                errors.Add(prefix + $"Consumer:ConsumerGroup: '{group}' differs from the registration's group; leave it unset.");
            }
            var copy = (Kafka.Client.BalancedConsumerOptions)options.Consumer.Clone();
            copy.ConsumerGroup = registration.Group;
            errors.AddRange(copy.Validate().Select(e => prefix + "Consumer:" + e));
            if (!copy.Managed && copy.ZooKeeperHosts is null && string.IsNullOrWhiteSpace(clients.Get(registration.ClientName).ZooKeeperHosts))
            {
                errors.Add(prefix + "Consumer:ZooKeeperHosts: must be set when Managed is false (the group is balanced through ZooKeeper), unless the client's ZooKeeperHosts is.");
            }
        }
        if (options.HandlerMaxRetryAttempts is < 0 or > 100)
        {
            errors.Add(prefix + $"HandlerMaxRetryAttempts: {options.HandlerMaxRetryAttempts} is outside 0 to 100.");
        }
        if (options.HandlerRetryDelay <= TimeSpan.Zero || options.HandlerRetryDelay > MaxDelay)
        {
            errors.Add(prefix + $"HandlerRetryDelay: must be positive and at most {MaxDelay} (was {options.HandlerRetryDelay}).");
        }
        if (options.RestartDelay <= TimeSpan.Zero || options.RestartDelay > MaxDelay)
        {
            errors.Add(prefix + $"RestartDelay: must be positive and at most {MaxDelay} (was {options.RestartDelay}).");
        }
        if (!Enum.IsDefined(options.FailurePolicy))
        {
            errors.Add(prefix + $"FailurePolicy: {options.FailurePolicy} is not defined.");
        }
        if (options.FailurePolicy == HandlerFailurePolicy.DeadLetter)
        {
            if (string.IsNullOrWhiteSpace(options.DeadLetterTopic))
            {
                errors.Add(prefix + "DeadLetterTopic: must be set when FailurePolicy is DeadLetter.");
            }
            else if (string.Equals(options.DeadLetterTopic, registration.Topic, StringComparison.Ordinal))
            {
                errors.Add(prefix + "DeadLetterTopic: must differ from the consumed topic.");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
