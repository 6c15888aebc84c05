namespace Kafka.Client.Protocol;

/// <summary>
/// FindCoordinator (key 10): which broker coordinates a consumer group (or a transactional id). v0–v6, flexible
/// from v3. v0–v3 ask for one key; from v4 the request carries a list of keys (KIP-699) and the response one result per
/// key: this codec sends <see cref="Keys"/> either way, and v0–v3 can only carry one.
/// </summary>
internal sealed class FindCoordinatorRequest : KafkaRequest<FindCoordinatorResponse>
{
    /// <summary>The key type of a consumer group.</summary>
    public const sbyte GroupKeyType = 0;

    /// <summary>The key type of a transactional id (v1+).</summary>
    public const sbyte TransactionKeyType = 1;

    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.FindCoordinator;

    /// <summary>The group ids (or transactional ids) to look up; one before v4.</summary>
    public IReadOnlyList<string> Keys { get; set; } = [];

    /// <summary><see cref="GroupKeyType"/> or <see cref="TransactionKeyType"/> (v1+; v0 only knows groups).</summary>
    public sbyte KeyType { get; set; } = GroupKeyType;

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        var keys = Keys;
        if (version < 4)
        {
            if (keys.Count != 1)
            {
                throw new KafkaVersionException($"FindCoordinator v{version} looks up exactly one key; {keys.Count} were given (batches need v4 or later).");
            }
            writer.WriteString(keys[0], flexible);
        }
        if (version >= 1)
        {
            writer.WriteInt8(KeyType);
        }
        else if (KeyType != GroupKeyType)
        {
            throw new KafkaVersionException("FindCoordinator v0 only finds group coordinators.");
        }
        if (version >= 4)
        {
            writer.WriteArrayLength(keys.Count, flexible);
            for (var i = 0; i < keys.Count; i++)
            {
                writer.WriteString(keys[i], flexible);
            }
        }
        writer.WriteEmptyTaggedFieldsIf(flexible);
    }

    /// <inheritdoc/>
    public override FindCoordinatorResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        var throttleTimeMs = version >= 1 ? reader.ReadInt32() : 0;
        FindCoordinatorResult[] results;
        if (version < 4)
        {
            var errorCode = (KafkaErrorCode)reader.ReadInt16();
            var errorMessage = version >= 1 ? reader.ReadNullableString(flexible) : null;
            var nodeId = reader.ReadInt32();
            var host = reader.ReadString(flexible);
            var port = reader.ReadInt32();
            results = [new FindCoordinatorResult(Keys.Count > 0 ? Keys[0] : string.Empty, errorCode, errorMessage, nodeId, host, port)];
        }
        else
        {
            // Each: key, node id, host, port, error code, message (+ tags).
            var count = reader.ReadCount(flexible, 1 + 4 + 1 + 4 + 2 + 1 + 1);
            results = new FindCoordinatorResult[count];
            for (var i = 0; i < count; i++)
            {
                var key = reader.ReadString(flexible);
                var nodeId = reader.ReadInt32();
                var host = reader.ReadString(flexible);
                var port = reader.ReadInt32();
                var errorCode = (KafkaErrorCode)reader.ReadInt16();
                var errorMessage = reader.ReadNullableString(flexible);
                reader.SkipTaggedFieldsIf(flexible);
                results[i] = new FindCoordinatorResult(key, errorCode, errorMessage, nodeId, host, port);
            }
        }
        reader.SkipTaggedFieldsIf(flexible);
        return new FindCoordinatorResponse { ThrottleTimeMs = throttleTimeMs, Coordinators = results };
    }
}
