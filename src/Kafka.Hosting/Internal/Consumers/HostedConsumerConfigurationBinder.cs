using System.Globalization;
using Kafka.Client;
using Microsoft.Extensions.Configuration;

namespace Kafka.Hosting.Internal;

/// <summary>
/// Binds a named hosted consumer's configuration section onto its options, key by key, without reflection (so it is
/// trimming- and AOT-safe). Every value that does not parse and every key that is not a setting is recorded in
/// <see cref="HostedConsumerOptions.ConfigurationErrors"/> with its full configuration key, so that the host's start
/// lists them all at once with the validation errors.
/// </summary>
internal static class HostedConsumerConfigurationBinder
{
    private delegate void Setter(HostedConsumerOptions options, string value, string key, List<string> errors);

    private static readonly Dictionary<string, Setter> Settings = new(StringComparer.OrdinalIgnoreCase)
    {
        [nameof(HostedConsumerOptions.Group)] = (o, v, _, _) => o.Group = v,
        [nameof(HostedConsumerOptions.MaxConcurrency)] = (o, v, k, e) => Int(v, k, e, x => o.MaxConcurrency = x),
        [nameof(HostedConsumerOptions.Ordering)] = (o, v, k, e) => Enum<MessageOrdering>(v, k, e, x => o.Ordering = x),
        [nameof(HostedConsumerOptions.MaxInFlightMessages)] = (o, v, k, e) => Int(v, k, e, x => o.MaxInFlightMessages = x),
        [nameof(HostedConsumerOptions.CommitInterval)] = (o, v, k, e) => Time(v, k, e, x => o.CommitInterval = x),
        [nameof(HostedConsumerOptions.DrainTimeout)] = (o, v, k, e) => Time(v, k, e, x => o.DrainTimeout = x),
        [nameof(HostedConsumerOptions.MaxBatchSize)] = (o, v, k, e) => Int(v, k, e, x => o.MaxBatchSize = x),
        [nameof(HostedConsumerOptions.MaxBatchWait)] = (o, v, k, e) => Time(v, k, e, x => o.MaxBatchWait = x),
        [nameof(HostedConsumerOptions.HandlerMaxRetryAttempts)] = (o, v, k, e) => Int(v, k, e, x => o.HandlerMaxRetryAttempts = x),
        [nameof(HostedConsumerOptions.HandlerRetryDelay)] = (o, v, k, e) => Time(v, k, e, x => o.HandlerRetryDelay = x),
        [nameof(HostedConsumerOptions.FailurePolicy)] = (o, v, k, e) => Enum<HandlerFailurePolicy>(v, k, e, x => o.FailurePolicy = x),
        [nameof(HostedConsumerOptions.DeadLetterTopic)] = (o, v, _, _) => o.DeadLetterTopic = v.Length == 0 ? null : v,
        [nameof(HostedConsumerOptions.RestartDelay)] = (o, v, k, e) => Time(v, k, e, x => o.RestartDelay = x),
        // The group protocol is chosen beside the group (Kafka:Consumers:{name}:GroupProtocol), not under Consumer:.
        [nameof(BalancedConsumerOptions.GroupProtocol)] = GroupProtocolSetting,
    };

    /// <summary>The settings of <see cref="HostedConsumerOptions.Consumer"/> that configuration can set (the rest are code-only or managed by the hosted consumer).</summary>
    private static readonly Dictionary<string, Setter> ConsumerSettings = new(StringComparer.OrdinalIgnoreCase)
    {
        [nameof(BalancedConsumerOptions.SessionTimeout)] = (o, v, k, e) => Time(v, k, e, x => o.Consumer.SessionTimeout = x),
        [nameof(BalancedConsumerOptions.RebalanceTimeout)] = (o, v, k, e) => Time(v, k, e, x => o.Consumer.RebalanceTimeout = x),
        [nameof(BalancedConsumerOptions.HeartbeatInterval)] = (o, v, k, e) => Time(v, k, e, x => o.Consumer.HeartbeatInterval = x),
        [nameof(BalancedConsumerOptions.RebalanceMaxRetries)] = (o, v, k, e) => Int(v, k, e, x => o.Consumer.RebalanceMaxRetries = x),
        [nameof(BalancedConsumerOptions.RebalanceBackoff)] = (o, v, k, e) => Time(v, k, e, x => o.Consumer.RebalanceBackoff = x),
        [nameof(BalancedConsumerOptions.GroupInstanceId)] = (o, v, _, _) => o.Consumer.GroupInstanceId = v.Length == 0 ? null : v,
        [nameof(BalancedConsumerOptions.Managed)] = (o, v, k, e) => Bool(v, k, e, x => o.Consumer.Managed = x),
        [nameof(BalancedConsumerOptions.ZooKeeperHosts)] = (o, v, _, _) => o.Consumer.ZooKeeperHosts = v.Length == 0 ? null : v,
        [nameof(BalancedConsumerOptions.ZooKeeperSessionTimeout)] = (o, v, k, e) => Time(v, k, e, x => o.Consumer.ZooKeeperSessionTimeout = x),
        [nameof(BalancedConsumerOptions.MembershipProtocol)] = Assignor,
        [nameof(BalancedConsumerOptions.ServerAssignor)] = (o, v, _, _) => o.Consumer.ServerAssignor = v.Length == 0 ? null : v,
        [nameof(BalancedConsumerOptions.TopicRegex)] = (o, v, _, _) => o.Consumer.TopicRegex = v.Length == 0 ? null : v,
        [nameof(SimpleConsumerOptions.FetchMessageMaxBytes)] = (o, v, k, e) => Int(v, k, e, x => o.Consumer.FetchMessageMaxBytes = x),
        [nameof(SimpleConsumerOptions.NumConsumerFetchers)] = (o, v, k, e) => Int(v, k, e, x => o.Consumer.NumConsumerFetchers = x),
        [nameof(SimpleConsumerOptions.QueuedMaxMessages)] = (o, v, k, e) => Int(v, k, e, x => o.Consumer.QueuedMaxMessages = x),
        [nameof(SimpleConsumerOptions.FetchMinBytes)] = (o, v, k, e) => Int(v, k, e, x => o.Consumer.FetchMinBytes = x),
        [nameof(SimpleConsumerOptions.FetchErrorBackoff)] = (o, v, k, e) => Time(v, k, e, x => o.Consumer.FetchErrorBackoff = x),
        [nameof(SimpleConsumerOptions.FetchWaitMax)] = (o, v, k, e) => Time(v, k, e, x => o.Consumer.FetchWaitMax = x),
        [nameof(SimpleConsumerOptions.OffsetsChannelBackoff)] = (o, v, k, e) => Time(v, k, e, x => o.Consumer.OffsetsChannelBackoff = x),
        [nameof(SimpleConsumerOptions.OffsetsCommitMaxRetries)] = (o, v, k, e) => Int(v, k, e, x => o.Consumer.OffsetsCommitMaxRetries = x),
        [nameof(SimpleConsumerOptions.AutoOffsetReset)] = (o, v, k, e) => Enum<OffsetType>(v, k, e, x => o.Consumer.AutoOffsetReset = x),
        [nameof(SimpleConsumerOptions.ResetOffsetOnStart)] = (o, v, k, e) => Bool(v, k, e, x => o.Consumer.ResetOffsetOnStart = x),
        [nameof(SimpleConsumerOptions.ResetOffsetOnFetch)] = (o, v, k, e) => Bool(v, k, e, x => o.Consumer.ResetOffsetOnFetch = x),
        [nameof(SimpleConsumerOptions.IsolationLevel)] = (o, v, k, e) => Enum<KafkaIsolationLevel>(v, k, e, x => o.Consumer.IsolationLevel = x),
        [nameof(SimpleConsumerOptions.CheckCrcs)] = (o, v, k, e) => Bool(v, k, e, x => o.Consumer.CheckCrcs = x),
    };

    /// <summary>The settings only a transactional consumer (<see cref="TransactionalConsumerOptions"/>) has.</summary>
    private static readonly Dictionary<string, Setter> TransactionalSettings = new(StringComparer.OrdinalIgnoreCase)
    {
        [nameof(TransactionalConsumerOptions.TransactionalId)] = (o, v, _, _) => ((TransactionalConsumerOptions)o).TransactionalId = v.Length == 0 ? null : v,
        [nameof(ProducerOptions.TransactionTimeout)] = (o, v, k, e) => Time(v, k, e, x => ((TransactionalConsumerOptions)o).Producer.TransactionTimeout = x),
    };

    /// <summary>The settings only a share consumer (<see cref="HostedShareConsumerOptions"/>) has, beside its <c>Share</c> section.</summary>
    private static readonly Dictionary<string, Setter> ShareConsumerSettings = new(StringComparer.OrdinalIgnoreCase)
    {
        [nameof(HostedShareConsumerOptions.DeliveryAttemptLimit)] = (o, v, k, e) => Int(v, k, e, x => ((HostedShareConsumerOptions)o).DeliveryAttemptLimit = x),
    };

    /// <summary>The settings of <see cref="HostedShareConsumerOptions.Share"/> that configuration can set (the acknowledgement mode is the hosted consumer's).</summary>
    private static readonly Dictionary<string, Setter> ShareSettings = new(StringComparer.OrdinalIgnoreCase)
    {
        [nameof(ShareConsumerOptions.MaxPollRecords)] = (o, v, k, e) => Int(v, k, e, x => ((HostedShareConsumerOptions)o).Share.MaxPollRecords = x),
        [nameof(ShareConsumerOptions.FetchWaitMax)] = (o, v, k, e) => Time(v, k, e, x => ((HostedShareConsumerOptions)o).Share.FetchWaitMax = x),
        [nameof(ShareConsumerOptions.FetchMinBytes)] = (o, v, k, e) => Int(v, k, e, x => ((HostedShareConsumerOptions)o).Share.FetchMinBytes = x),
        [nameof(ShareConsumerOptions.FetchMaxBytes)] = (o, v, k, e) => Int(v, k, e, x => ((HostedShareConsumerOptions)o).Share.FetchMaxBytes = x),
        [nameof(ShareConsumerOptions.RetryBackoff)] = (o, v, k, e) => Time(v, k, e, x => ((HostedShareConsumerOptions)o).Share.RetryBackoff = x),
        [nameof(ShareConsumerOptions.RackId)] = (o, v, _, _) => ((HostedShareConsumerOptions)o).Share.RackId = v.Length == 0 ? null : v,
        [nameof(ShareConsumerOptions.CheckCrcs)] = (o, v, k, e) => Bool(v, k, e, x => ((HostedShareConsumerOptions)o).Share.CheckCrcs = x),
    };

    /// <summary>Every key configuration can set, relative to the consumer's section (for tests and documentation).</summary>
    internal static IEnumerable<string> Keys =>
        Settings.Keys.Append(nameof(HostedConsumerOptions.Topics)).Concat(ConsumerSettings.Keys.Select(k => $"{nameof(HostedConsumerOptions.Consumer)}:{k}"));

    /// <summary>Binds <paramref name="section"/> onto <paramref name="options"/>; problems go to <see cref="HostedConsumerOptions.ConfigurationErrors"/>.</summary>
    public static void Bind(IConfigurationSection section, HostedConsumerOptions options)
    {
        var errors = options.ConfigurationErrors;
        foreach (var child in section.GetChildren())
        {
            if (string.Equals(child.Key, nameof(HostedConsumerOptions.Topics), StringComparison.OrdinalIgnoreCase))
            {
                BindTopics(child, options);
            }
            else if (string.Equals(child.Key, nameof(HostedConsumerOptions.Consumer), StringComparison.OrdinalIgnoreCase))
            {
                foreach (var setting in child.GetChildren())
                {
                    Apply(ConsumerSettings, setting, options, errors, "a setting of Consumer (the group member)");
                }
            }
            else if (options is HostedShareConsumerOptions && string.Equals(child.Key, nameof(HostedShareConsumerOptions.Share), StringComparison.OrdinalIgnoreCase))
            {
                foreach (var setting in child.GetChildren())
                {
                    Apply(ShareSettings, setting, options, errors, "a setting of Share (the share consumer)");
                }
            }
            else if (options is HostedShareConsumerOptions && ShareConsumerSettings.ContainsKey(child.Key))
            {
                Apply(ShareConsumerSettings, child, options, errors, "a setting of a share consumer");
            }
            else if (options is TransactionalConsumerOptions && TransactionalSettings.ContainsKey(child.Key))
            {
                Apply(TransactionalSettings, child, options, errors, "a setting of a transactional consumer");
            }
            else
            {
                Apply(Settings, child, options, errors, "a setting of a hosted consumer");
            }
        }
    }

    private static void Apply(Dictionary<string, Setter> settings, IConfigurationSection setting, HostedConsumerOptions options, List<string> errors, string what)
    {
        if (!settings.TryGetValue(setting.Key, out var setter))
        {
            var known = settings.Keys.FirstOrDefault(k => Distance(k, setting.Key) <= 2);
            errors.Add($"{setting.Path}: is not {what}{(known is null ? "" : $" (did you mean {known}?)")}.");
            return;
        }
        if (setting.Value is null)
        {
            if (setting.GetChildren().Any())
            {
                errors.Add($"{setting.Path}: must be a single value, not a section.");
            }
            return;
        }
        setter(options, setting.Value.Trim(), setting.Path, errors);
    }

    /// <summary>A list (<c>Topics:0</c>, <c>Topics:1</c>) or one comma-separated value.</summary>
    private static void BindTopics(IConfigurationSection section, HostedConsumerOptions options)
    {
        var topics = section.Value is { } value
            ? value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            : section.GetChildren().Select(c => c.Value?.Trim()).Where(t => !string.IsNullOrEmpty(t)).Select(t => t!).ToArray();
        options.Topics = [.. topics];
    }

    private static void GroupProtocolSetting(HostedConsumerOptions options, string value, string key, List<string> errors) =>
        Enum<GroupProtocol>(value, key, errors, x => options.Consumer.GroupProtocol = x);

    private static void Assignor(HostedConsumerOptions options, string value, string key, List<string> errors)
    {
        if (string.Equals(value, "range", StringComparison.OrdinalIgnoreCase))
        {
            options.Consumer.MembershipProtocol = new RangeAssignor();
        }
        else if (string.Equals(value, "roundrobin", StringComparison.OrdinalIgnoreCase))
        {
            options.Consumer.MembershipProtocol = new RoundRobinAssignor();
        }
        else
        {
            errors.Add($"{key}: '{value}' is not range or roundrobin (an assignor of your own is set in code).");
        }
    }

    private static void Int(string value, string key, List<string> errors, Action<int> set)
    {
        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var result))
        {
            set(result);
        }
        else
        {
            errors.Add($"{key}: '{value}' is not a whole number.");
        }
    }

    private static void Bool(string value, string key, List<string> errors, Action<bool> set)
    {
        if (bool.TryParse(value, out var result))
        {
            set(result);
        }
        else
        {
            errors.Add($"{key}: '{value}' is not true or false.");
        }
    }

    private static void Time(string value, string key, List<string> errors, Action<TimeSpan> set)
    {
        if (TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var result))
        {
            set(result);
        }
        else
        {
            errors.Add($"{key}: '{value}' is not a time span such as 00:00:30 (30 seconds) or 00:00:00.250 (250 ms).");
        }
    }

    private static void Enum<T>(string value, string key, List<string> errors, Action<T> set)
        where T : struct, System.Enum
    {
        // Names only: a number would pass Enum.TryParse whatever it is.
        if (!char.IsAsciiDigit(value.FirstOrDefault()) && value.FirstOrDefault() != '-'
            && System.Enum.TryParse<T>(value, ignoreCase: true, out var result) && System.Enum.IsDefined(result))
        {
            set(result);
        }
        else
        {
            errors.Add($"{key}: '{value}' is not one of {string.Join(", ", System.Enum.GetNames<T>())}.");
        }
    }

    /// <summary>Edit distance, for suggesting the key meant by a misspelled one.</summary>
    private static int Distance(string a, string b)
    {
        a = a.ToUpperInvariant();
        b = b.ToUpperInvariant();
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
