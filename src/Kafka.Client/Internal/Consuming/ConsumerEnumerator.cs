namespace Kafka.Client.Internal.Consuming;

/// <summary>
/// Enumerates a consumer's messages as its consume call returns them, ending when that returns <see langword="null"/>
/// (the consumer timeout); a message already there is returned without an await.
/// </summary>
internal sealed class ConsumerEnumerator(Func<CancellationToken, ValueTask<ConsumedMessage?>> consume, CancellationToken cancellationToken)
    : IAsyncEnumerator<ConsumedMessage>
{
    private ConsumedMessage? _current;

    public ConsumedMessage Current => _current ?? throw new InvalidOperationException("MoveNextAsync has not returned true.");

    public ValueTask<bool> MoveNextAsync()
    {
        var next = consume(cancellationToken);
        if (next.IsCompletedSuccessfully)
        {
            _current = next.Result;
            return new ValueTask<bool>(_current is not null);
        }
        return AwaitAsync(next);
    }

    private async ValueTask<bool> AwaitAsync(ValueTask<ConsumedMessage?> next)
    {
        _current = await next.ConfigureAwait(false);
        return _current is not null;
    }

    public ValueTask DisposeAsync() => default;
}
