using System.Reflection;

namespace Kafka.Client.Protocol;

/// <summary>
/// ApiVersions (key 18): asks a broker which versions of each API it supports. Sent first on every connection.
/// v0–v2 have an empty body; v3 (flexible) sends the client's software name and version.
/// </summary>
/// <remarks>
/// A broker that does not support the version sent still answers: error UNSUPPORTED_VERSION with a v0 body,
/// listing (since Kafka 2.4) the ApiVersions versions it does support. <see cref="ReadResponse"/> recognises that
/// answer, and <see cref="ApiVersionsResponse.TryGetRetryVersion"/> says which version to send next.
/// </remarks>
internal sealed class ApiVersionsRequest : KafkaRequest<ApiVersionsResponse>
{
    /// <summary>The <see cref="ClientSoftwareVersion"/> used when none is set: this assembly's version.</summary>
    public static readonly string DefaultSoftwareVersion = SanitizeSoftwareField(
        typeof(ApiVersionsRequest).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion);

    private string _clientSoftwareName = "kafka-hosting";
    private string _clientSoftwareVersion = DefaultSoftwareVersion;

    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.ApiVersions;

    /// <summary>
    /// The client's name, sent from v3 (brokers expose it in metrics). Brokers reject values outside
    /// <c>[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?</c> with INVALID_REQUEST, so such values are refused here.
    /// </summary>
    public string ClientSoftwareName
    {
        get => _clientSoftwareName;
        set => _clientSoftwareName = ValidateSoftwareField(value, nameof(ClientSoftwareName));
    }

    /// <summary>The client's version, sent from v3; same rules as <see cref="ClientSoftwareName"/>.</summary>
    public string ClientSoftwareVersion
    {
        get => _clientSoftwareVersion;
        set => _clientSoftwareVersion = ValidateSoftwareField(value, nameof(ClientSoftwareVersion));
    }

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        if (version >= 3)
        {
            writer.WriteString(_clientSoftwareName, compact: true);
            writer.WriteString(_clientSoftwareVersion, compact: true);
            writer.WriteEmptyTaggedFields();
        }
    }

    /// <summary>
    /// Reads the response to a request sent at <paramref name="version"/>. When the body is instead the v0 answer
    /// to an unsupported version (error UNSUPPORTED_VERSION, then exactly a v0 array and nothing else), it is read
    /// as v0 and <see cref="ApiVersionsResponse.BodyVersion"/> is 0.
    /// </summary>
    /// <remarks>
    /// The v0 shape cannot be mistaken for a real v1+ answer: v1 and v2 end with a throttle time after the array, so
    /// the bytes left after a v0 array would not be exactly six per entry; in v3 the count is a compact varint whose
    /// first byte is at least 1, which read as a v0 int32 count would need over 100 MB of entries.
    /// </remarks>
    public override ApiVersionsResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        if (version > 0 && IsVersionZeroErrorBody(reader))
        {
            version = 0;
        }
        var flexible = Api.IsFlexible(version);
        var errorCode = (KafkaErrorCode)reader.ReadInt16();
        var count = reader.ReadCount(flexible, flexible ? 7 : 6);
        var ranges = new ApiVersionRange[count];
        for (var i = 0; i < ranges.Length; i++)
        {
            var key = (ApiKey)reader.ReadInt16();
            var min = reader.ReadInt16();
            var max = reader.ReadInt16();
            reader.SkipTaggedFieldsIf(flexible);
            ranges[i] = new ApiVersionRange(key, min, max);
        }
        var throttleTimeMs = version >= 1 ? reader.ReadInt32() : 0;
        IReadOnlyList<FeatureRange> supported = [];
        IReadOnlyList<FeatureRange> finalized = [];
        long finalizedEpoch = -1;
        if (flexible)
        {
            // Tagged: 0 SupportedFeatures, 1 FinalizedFeaturesEpoch, 2 FinalizedFeatures (3, ZkMigrationReady, is skipped).
            var tags = reader.ReadUnsignedVarInt();
            for (uint i = 0; i < tags; i++)
            {
                var tag = reader.ReadUnsignedVarInt();
                var size = reader.ReadUnsignedVarInt();
                if (size > (uint)reader.Remaining)
                {
                    throw new KafkaProtocolException($"ApiVersions tagged field {tag} of {size} bytes exceeds the {reader.Remaining} bytes that remain.");
                }
                var field = new KafkaReader(reader.ReadRaw((int)size));
                switch (tag)
                {
                    case 0:
                        supported = ReadFeatures(ref field, finalized: false);
                        break;
                    case 1:
                        finalizedEpoch = field.ReadInt64();
                        break;
                    case 2:
                        finalized = ReadFeatures(ref field, finalized: true);
                        break;
                    default:
                        continue;
                }
                if (!field.End)
                {
                    throw new KafkaProtocolException($"ApiVersions tagged field {tag} has {field.Remaining} unexpected trailing bytes.");
                }
            }
        }
        return new ApiVersionsResponse
        {
            ErrorCode = errorCode,
            ApiKeys = ranges,
            ThrottleTimeMs = throttleTimeMs,
            BodyVersion = version,
            SupportedFeatures = supported,
            FinalizedFeaturesEpoch = finalizedEpoch,
            FinalizedFeatures = finalized,
        };
    }

    // SupportedFeatureKey: name, min, max; FinalizedFeatureKey: name, max level, min level (the schema's order).
    private static FeatureRange[] ReadFeatures(ref KafkaReader reader, bool finalized)
    {
        var count = reader.ReadCount(compact: true, 1 + 2 + 2 + 1);
        var features = new FeatureRange[count];
        for (var i = 0; i < features.Length; i++)
        {
            var name = reader.ReadString(compact: true);
            var first = reader.ReadInt16();
            var second = reader.ReadInt16();
            reader.SkipTaggedFields();
            features[i] = finalized ? new FeatureRange(name, second, first) : new FeatureRange(name, first, second);
        }
        return features;
    }

    // Takes the reader by value: a copy, so peeking does not move the caller's position.
    private static bool IsVersionZeroErrorBody(KafkaReader peek)
    {
        if (peek.Remaining < 6 || peek.ReadInt16() != (short)KafkaErrorCode.UnsupportedVersion)
        {
            return false;
        }
        var count = peek.ReadInt32();
        return count >= 0 && (long)count * 6 == peek.Remaining;
    }

    private static string ValidateSoftwareField(string value, string name)
    {
        ArgumentNullException.ThrowIfNull(value, name);
        if (!IsValidSoftwareField(value))
        {
            throw new ArgumentException(
                $"'{value}' is not a valid {name}: use letters, digits, '-' and '.', starting and ending with a letter or digit.", name);
        }
        return value;
    }

    /// <summary>The broker's rule for client software names and versions (KIP-511).</summary>
    internal static bool IsValidSoftwareField(string value)
    {
        if (value.Length == 0 || !char.IsAsciiLetterOrDigit(value[0]) || !char.IsAsciiLetterOrDigit(value[^1]))
        {
            return false;
        }
        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '.')
            {
                return false;
            }
        }
        return true;
    }

    // An informational version such as "1.2.0-beta.1+3f2a9c" becomes "1.2.0-beta.1": the build metadata after '+'
    // is dropped and any other character the broker would refuse becomes '-'.
    private static string SanitizeSoftwareField(string? version)
    {
        if (string.IsNullOrEmpty(version))
        {
            return "0.0.0";
        }
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        var chars = (plus >= 0 ? version[..plus] : version).ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!char.IsAsciiLetterOrDigit(chars[i]) && chars[i] != '.')
            {
                chars[i] = '-';
            }
        }
        var result = new string(chars).Trim('-', '.');
        return IsValidSoftwareField(result) ? result : "0.0.0";
    }
}
