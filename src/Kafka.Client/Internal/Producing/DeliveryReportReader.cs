using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;

namespace Kafka.Client.Internal.Producing;

/// <summary>
/// The reader of <see cref="Producer.DeliveryReports"/>: the channel's reader, except that each report read gives
/// its message's place in the queue back. A producer whose reports nobody reads therefore fills its queue and pushes
/// back (blocks or throws) instead of growing without bound, as pykafka's report queue did.
/// </summary>
internal sealed class DeliveryReportReader : ChannelReader<DeliveryReport>
{
    private readonly ChannelReader<DeliveryReport> _inner;
    private readonly ProducerEngine _engine;

    public DeliveryReportReader(ChannelReader<DeliveryReport> inner, ProducerEngine engine)
    {
        _inner = inner;
        _engine = engine;
    }

    public override Task Completion => _inner.Completion;

    public override bool CanCount => _inner.CanCount;

    public override int Count => _inner.Count;

    public override bool CanPeek => _inner.CanPeek;

    public override bool TryRead([MaybeNullWhen(false)] out DeliveryReport item)
    {
        if (_inner.TryRead(out item))
        {
            _engine.Gate.Release(1);
            return true;
        }
        return false;
    }

    public override bool TryPeek([MaybeNullWhen(false)] out DeliveryReport item) => _inner.TryPeek(out item);

    public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => _inner.WaitToReadAsync(cancellationToken);
}
