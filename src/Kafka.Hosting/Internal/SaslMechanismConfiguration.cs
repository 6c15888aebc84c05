using Kafka.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Primitives;

namespace Kafka.Hosting.Internal;

/// <summary>
/// A client's configuration section as the binder reads it, with <c>Sasl:Mechanism</c> accepted as Kafka writes it
/// (<c>SCRAM-SHA-256</c>, as in another client's <c>sasl.mechanism</c>) as well as by <see cref="SaslMechanism"/>'s
/// names. Everything else, paths included (binding errors name the full key), is the section itself.
/// </summary>
internal sealed class SaslMechanismConfiguration : IConfigurationSection
{
    private readonly IConfigurationSection _inner;
    private readonly string _mechanismPath;

    private SaslMechanismConfiguration(IConfigurationSection inner, string mechanismPath)
    {
        _inner = inner;
        _mechanismPath = mechanismPath;
    }

    /// <summary>The section to bind a client's options from.</summary>
    public static IConfiguration For(IConfiguration section)
    {
        const string key = nameof(KafkaClientOptions.Sasl) + ":" + nameof(SaslConfig.Mechanism);
        // Wrapped whatever the value is now: it is read when the options are bound, after any reload.
        return section is IConfigurationSection root ? new SaslMechanismConfiguration(root, ConfigurationPath.Combine(root.Path, key)) : section;
    }

    // Left to the binder when it reads the value itself, or when it is no mechanism at all (its error names the key).
    private static bool NeedsTranslation(string? value) =>
        value is not null && !Enum.TryParse<SaslMechanism>(value, ignoreCase: true, out _) && SaslMechanismNames.TryParse(value, out _);

    public string Key => _inner.Key;

    public string Path => _inner.Path;

    public string? Value
    {
        get => string.Equals(_inner.Path, _mechanismPath, StringComparison.OrdinalIgnoreCase) && NeedsTranslation(_inner.Value)
            && SaslMechanismNames.TryParse(_inner.Value, out var mechanism) ? mechanism.ToString() : _inner.Value;
        set => _inner.Value = value;
    }

    public string? this[string key]
    {
        get => GetSection(key).Value;
        set => _inner[key] = value;
    }

    public IConfigurationSection GetSection(string key) => Wrap(_inner.GetSection(key));

    public IEnumerable<IConfigurationSection> GetChildren() => _inner.GetChildren().Select(Wrap);

    public IChangeToken GetReloadToken() => _inner.GetReloadToken();

    private IConfigurationSection Wrap(IConfigurationSection section) =>
        _mechanismPath.StartsWith(section.Path, StringComparison.OrdinalIgnoreCase) ? new SaslMechanismConfiguration(section, _mechanismPath) : section;
}
