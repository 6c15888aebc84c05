using System.Globalization;

namespace Kafka.Client.Internal;

/// <summary>
/// Where one full metadata refresh stands, for diagnostics (<see cref="KafkaClientStatus.RefreshActivity"/>): the
/// broker or seed it is asking, whether it is still connecting (and at which setup step) or waiting for the Metadata
/// response, and the hosts it already tried. Names hosts and steps only: never credentials.
/// </summary>
internal sealed class RefreshProgress
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly List<string> _tried = [];
    private Broker? _broker;
    private bool _connected;
    private string? _step;

    public RefreshProgress(TimeProvider time)
    {
        _time = time;
        _started = time.GetTimestamp();
    }

    /// <summary>The refresh asks <paramref name="broker"/> now, opening its connection first if need be.</summary>
    public void Asking(Broker broker)
    {
        lock (_lock)
        {
            _broker = broker;
            _connected = false;
            _step = null;
        }
    }

    /// <summary>The connection to the broker being asked is open: the Metadata request is on its way.</summary>
    public void Connected()
    {
        lock (_lock)
        {
            _connected = true;
        }
    }

    /// <summary>The broker being asked did not answer; the refresh moves on.</summary>
    public void Failed(Broker broker)
    {
        lock (_lock)
        {
            _tried.Add(broker.ToString());
            _broker = null;
        }
    }

    /// <summary>A step that is not a broker's (reading the brokers from ZooKeeper).</summary>
    public void Doing(string step)
    {
        lock (_lock)
        {
            _broker = null;
            _step = step;
        }
    }

    /// <summary>For example <c>seed 127.0.0.1:9092: connecting: ApiVersions; running for 12.3 s; already tried broker 2 at …</c>.</summary>
    public string Describe()
    {
        Broker? broker;
        bool connected;
        string? step;
        string tried;
        lock (_lock)
        {
            broker = _broker;
            connected = _connected;
            step = _step;
            tried = string.Join(", ", _tried);
        }
        string doing;
        if (broker is not null)
        {
            // A reconnect inside the request's resilience pipeline shows as a connection step too.
            var connecting = broker.AttemptStep(ConnectionKind.General);
            doing = $"{broker}: {connecting ?? (connected ? "waiting for the Metadata response" : "connecting")}";
        }
        else
        {
            doing = step ?? "choosing a broker to ask";
        }
        var elapsed = _time.GetElapsedTime(_started).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
        return tried.Length == 0
            ? $"{doing}; running for {elapsed} s"
            : $"{doing}; running for {elapsed} s; already tried {tried}";
    }
}
