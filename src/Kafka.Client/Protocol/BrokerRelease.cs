using System.Globalization;

namespace Kafka.Client.Protocol;

/// <summary>
/// A Kafka release named by a broker-version setting: <c>0.9</c>, <c>0.10.2</c>,
/// <c>0.10.2.1</c>, <c>2.8</c>, <c>3.7.0</c>, <c>4.1</c>... Releases before 1.0 have up to four parts
/// (0.major.minor.patch), later ones up to three. The oldest release the client accepts is 0.9.0.
/// </summary>
internal sealed class BrokerRelease : IComparable<BrokerRelease>, IEquatable<BrokerRelease>
{
    /// <summary>The setting that names no release: negotiate each API's version with every broker.</summary>
    public const string Auto = "auto";

    /// <summary>The oldest release the client speaks to: 0.9.0 (the first with the group coordinator APIs).</summary>
    public static BrokerRelease Minimum { get; } = new(new Version(0, 9, 0, 0), "0.9.0");

    // The first release with ApiVersions (KIP-35).
    private static readonly Version FirstWithApiVersions = new(0, 10, 0, 0);

    private readonly string _text;

    private BrokerRelease(Version version, string text)
    {
        Version = version;
        _text = text;
    }

    /// <summary>The release as four numbers (0.10.2.1 is 0.10.2.1; 2.8 is 2.8.0.0), for ordering.</summary>
    public Version Version { get; }

    /// <summary>Whether the release answers ApiVersions (0.10.0 and later). For 0.9 the client uses the release's table.</summary>
    public bool SupportsApiVersionsRequest => Version >= FirstWithApiVersions;

    /// <summary>The versions the release supports of the APIs in <see cref="KafkaReleases"/>' table.</summary>
    public ApiVersionTable ToApiVersionTable() => KafkaReleases.TableFor(this);

    /// <summary>
    /// Parses a BrokerVersion value. Returns <see langword="null"/> for <c>auto</c> (negotiate with each broker).
    /// </summary>
    /// <exception cref="ArgumentException">The value is not a release number, or names a release before 0.9.0.</exception>
    public static BrokerRelease? Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return TryParse(value, out var release, out var error)
            ? release
            : throw new ArgumentException(error, nameof(value));
    }

    /// <summary>
    /// Parses a BrokerVersion value without throwing: true with <see langword="null"/> for <c>auto</c>, true with the
    /// release for a release number from 0.9.0 on, false for anything else.
    /// </summary>
    public static bool TryParse(string? value, out BrokerRelease? release) => TryParse(value, out release, out _);

    internal static bool TryParse(string? value, out BrokerRelease? release, out string error)
    {
        release = null;
        var text = value?.Trim() ?? string.Empty;
        if (text.Equals(Auto, StringComparison.OrdinalIgnoreCase))
        {
            error = string.Empty;
            return true;
        }

        Span<int> parts = stackalloc int[4];
        var count = 0;
        var valid = text.Length > 0;
        foreach (var range in text.AsSpan().Split('.'))
        {
            var part = text.AsSpan(range);
            if (count == parts.Length || part.Length is 0 or > 5 || !IsAsciiDigits(part))
            {
                valid = false;
                break;
            }
            parts[count++] = int.Parse(part, NumberStyles.None, CultureInfo.InvariantCulture);
        }

        // 0.x releases have four parts at most (0.10.2.1), later ones three (3.7.0); all need major.minor.
        if (!valid || count < 2 || (parts[0] > 0 && count > 3))
        {
            error = $"'{value}' is not a Kafka release: use '{Auto}' or a release number such as 0.10.2, 2.8 or 3.7.0.";
            return false;
        }

        var version = parts[0] == 0
            ? new Version(0, parts[1], parts[2], parts[3])
            : new Version(parts[0], parts[1], parts[2], 0);
        if (version < Minimum.Version)
        {
            error = $"Kafka {text} is older than the oldest release this client supports, {Minimum}.";
            return false;
        }
        release = new BrokerRelease(version, text);
        error = string.Empty;
        return true;
    }

    private static bool IsAsciiDigits(ReadOnlySpan<char> span)
    {
        foreach (var c in span)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        return true;
    }

    /// <inheritdoc/>
    public int CompareTo(BrokerRelease? other) => other is null ? 1 : Version.CompareTo(other.Version);

    /// <inheritdoc/>
    public bool Equals(BrokerRelease? other) => other is not null && Version.Equals(other.Version);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as BrokerRelease);

    /// <inheritdoc/>
    public override int GetHashCode() => Version.GetHashCode();

    /// <summary>The release as it was written (trimmed), such as <c>0.10.2</c> or <c>3.7</c>.</summary>
    public override string ToString() => _text;

    /// <summary>Whether two releases are the same (2.8 and 2.8.0 are).</summary>
    public static bool operator ==(BrokerRelease? left, BrokerRelease? right) => left?.Equals(right) ?? right is null;

    /// <summary>Whether two releases differ.</summary>
    public static bool operator !=(BrokerRelease? left, BrokerRelease? right) => !(left == right);

    /// <summary>Whether <paramref name="left"/> is older; null is older than any release.</summary>
    public static bool operator <(BrokerRelease? left, BrokerRelease? right) => Compare(left, right) < 0;

    /// <summary>Whether <paramref name="left"/> is older or the same.</summary>
    public static bool operator <=(BrokerRelease? left, BrokerRelease? right) => Compare(left, right) <= 0;

    /// <summary>Whether <paramref name="left"/> is newer.</summary>
    public static bool operator >(BrokerRelease? left, BrokerRelease? right) => Compare(left, right) > 0;

    /// <summary>Whether <paramref name="left"/> is newer or the same.</summary>
    public static bool operator >=(BrokerRelease? left, BrokerRelease? right) => Compare(left, right) >= 0;

    private static int Compare(BrokerRelease? left, BrokerRelease? right) =>
        left is null ? (right is null ? 0 : -1) : left.CompareTo(right);
}
