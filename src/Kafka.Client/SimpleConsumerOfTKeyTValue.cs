namespace Kafka.Client;

/// <summary>
/// A <see cref="SimpleConsumer"/> that deserializes keys and values (pykafka's <c>deserializer</c> hook), from
/// <see cref="Topic.GetSimpleConsumer{TKey, TValue}(SimpleConsumerOptions{TKey, TValue})"/>. The messages it returns
/// own their data. A deserializer that throws makes <see cref="ConsumeAsync"/> throw; the message counts as consumed
/// (reset the partition's offset to read it again).
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public sealed class SimpleConsumer<TKey, TValue> : IAsyncDisposable, IAsyncEnumerable<ConsumedMessage<TKey, TValue>>
{
    private readonly IDeserializer<TKey> _keys;
    private readonly IDeserializer<TValue> _values;

    internal SimpleConsumer(Topic topic, SimpleConsumerOptions<TKey, TValue> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _keys = options.KeyDeserializer ?? throw new ArgumentException("KeyDeserializer is required (Deserializers.Ignore for keys not used).", nameof(options));
        _values = options.ValueDeserializer ?? throw new ArgumentException("ValueDeserializer is required.", nameof(options));
        Inner = new SimpleConsumer(topic, options);
    }

    /// <summary>The consumer of raw messages underneath: offsets, partitions, commits and resets.</summary>
    public SimpleConsumer Inner { get; }

    /// <summary>The topic consumed.</summary>
    public Topic Topic => Inner.Topic;

    /// <summary>The offset of the next message to consume from each partition (see <see cref="SimpleConsumer.HeldOffsets"/>).</summary>
    public IReadOnlyDictionary<int, long> HeldOffsets => Inner.HeldOffsets;

    /// <summary>The next message, deserialized; <see langword="null"/> on <see cref="ConsumerOptions.ConsumerTimeout"/>.</summary>
    public async ValueTask<ConsumedMessage<TKey, TValue>?> ConsumeAsync(CancellationToken cancellationToken = default)
    {
        var raw = await Inner.ConsumeAsync(cancellationToken).ConfigureAwait(false);
        return raw is null ? null : Deserialize(raw);
    }

    private ConsumedMessage<TKey, TValue> Deserialize(ConsumedMessage raw) => raw.Deserialize(_keys, _values);

    /// <inheritdoc cref="SimpleConsumer.GetAsyncEnumerator"/>
    public async IAsyncEnumerator<ConsumedMessage<TKey, TValue>> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        while (await ConsumeAsync(cancellationToken).ConfigureAwait(false) is { } message)
        {
            yield return message;
        }
    }

    /// <inheritdoc cref="SimpleConsumer.CommitOffsetsAsync(CancellationToken)"/>
    public Task CommitOffsetsAsync(CancellationToken cancellationToken = default) => Inner.CommitOffsetsAsync(cancellationToken);

    /// <inheritdoc cref="SimpleConsumer.CommitOffsetsAsync(IReadOnlyDictionary{int, long}, CancellationToken)"/>
    public Task CommitOffsetsAsync(IReadOnlyDictionary<int, long> offsets, CancellationToken cancellationToken = default) =>
        Inner.CommitOffsetsAsync(offsets, cancellationToken);

    /// <inheritdoc cref="SimpleConsumer.FetchOffsetsAsync"/>
    public Task<IReadOnlyDictionary<int, long>> FetchOffsetsAsync(CancellationToken cancellationToken = default) => Inner.FetchOffsetsAsync(cancellationToken);

    /// <inheritdoc cref="SimpleConsumer.ResetOffsetsAsync(IReadOnlyDictionary{int, long}, CancellationToken)"/>
    public Task ResetOffsetsAsync(IReadOnlyDictionary<int, long> offsets, CancellationToken cancellationToken = default) =>
        Inner.ResetOffsetsAsync(offsets, cancellationToken);

    /// <inheritdoc cref="SimpleConsumer.ResetOffsetsAsync(OffsetType, CancellationToken)"/>
    public Task ResetOffsetsAsync(OffsetType offsetType, CancellationToken cancellationToken = default) =>
        Inner.ResetOffsetsAsync(offsetType, cancellationToken);

    /// <inheritdoc cref="SimpleConsumer.ResetOffsetsAsync(DateTimeOffset, CancellationToken)"/>
    public Task ResetOffsetsAsync(DateTimeOffset timestamp, CancellationToken cancellationToken = default) =>
        Inner.ResetOffsetsAsync(timestamp, cancellationToken);

    /// <inheritdoc cref="SimpleConsumer.DisposeAsync"/>
    public ValueTask DisposeAsync() => Inner.DisposeAsync();
}
