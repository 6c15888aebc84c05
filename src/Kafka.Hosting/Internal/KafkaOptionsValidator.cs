using System.Globalization;
using Kafka.Client;
using Microsoft.Extensions.Options;

namespace Kafka.Hosting.Internal;

/// <summary>
/// Validates one client's options, its <see cref="KafkaClientOptions"/> and <see cref="KafkaHostingOptions"/> alike,
/// and reports every problem in one <see cref="OptionsValidationException"/>, each prefixed with its configuration
/// key (<c>Kafka:Hosts: 'broker:abc' has port 'abc'...</c>). No I/O: it runs when the host starts.
/// </summary>
internal sealed class KafkaOptionsValidator : IValidateOptions<KafkaClientOptions>
{
    private static readonly TimeSpan MaxDelay = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromHours(1); // as the client's timeouts
    private static readonly TimeSpan MinAttemptTimeout = TimeSpan.FromMilliseconds(10); // Polly's lower bound

    private readonly string _name;
    private readonly string? _path;
    private readonly IOptionsMonitor<KafkaHostingOptions> _hosting;

    public KafkaOptionsValidator(string name, string? configurationPath, IOptionsMonitor<KafkaHostingOptions> hosting)
    {
        _name = name;
        _path = string.IsNullOrEmpty(configurationPath) ? null : configurationPath;
        _hosting = hosting;
    }

    public ValidateOptionsResult Validate(string? name, KafkaClientOptions options)
    {
        if (!string.Equals(name ?? Options.DefaultName, _name, StringComparison.Ordinal))
        {
            return ValidateOptionsResult.Skip;
        }
        var errors = new List<string>();
        // The client names each problem "Option: ..."; a configuration path in front makes it the key.
        errors.AddRange(options.Validate().Select(Key));
        errors.AddRange(ValidateHosting(_hosting.Get(_name)).Select(Key));
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private string Key(string error) => _path is null ? error : $"{_path}:{error}";

    internal static List<string> ValidateHosting(KafkaHostingOptions options)
    {
        var errors = new List<string>();
        Positive(errors, nameof(options.WaitForClusterTimeout), options.WaitForClusterTimeout, MaxTimeout);

        var resilience = options.Resilience;
        const string prefix = nameof(options.Resilience) + ":";
        if (resilience is null)
        {
            errors.Add($"{nameof(options.Resilience)}: must be set.");
            return errors;
        }
        if (resilience.MaxRetryAttempts is < 0 or > KafkaResilienceOptions.MaxAllowedRetryAttempts)
        {
            errors.Add($"{prefix}{nameof(resilience.MaxRetryAttempts)}: {resilience.MaxRetryAttempts.ToString(CultureInfo.InvariantCulture)} is outside 0 to {KafkaResilienceOptions.MaxAllowedRetryAttempts.ToString(CultureInfo.InvariantCulture)}.");
        }
        Positive(errors, prefix + nameof(resilience.BaseDelay), resilience.BaseDelay, MaxDelay);
        Positive(errors, prefix + nameof(resilience.MaxDelay), resilience.MaxDelay, MaxDelay);
        if (resilience.MaxDelay < resilience.BaseDelay)
        {
            errors.Add($"{prefix}{nameof(resilience.MaxDelay)}: {resilience.MaxDelay} is shorter than {nameof(resilience.BaseDelay)} ({resilience.BaseDelay}).");
        }
        if (resilience.AttemptTimeout < MinAttemptTimeout || resilience.AttemptTimeout > MaxTimeout)
        {
            errors.Add($"{prefix}{nameof(resilience.AttemptTimeout)}: {resilience.AttemptTimeout} is outside {MinAttemptTimeout} to {MaxTimeout}.");
        }
        return errors;
    }

    private static void Positive(List<string> errors, string name, TimeSpan value, TimeSpan max)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{name}: must be positive (was {value}).");
        }
        else if (value > max)
        {
            errors.Add($"{name}: {value} is longer than the maximum of {max}.");
        }
    }
}
