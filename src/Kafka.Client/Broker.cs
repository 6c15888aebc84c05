using Kafka.Client.Internal;
using Kafka.Client.Protocol;

namespace Kafka.Client;

/// <summary>
/// A broker of the cluster, as the latest metadata describes it. One object per broker id lives as long as the
/// broker is in the cluster; when the broker moves to another host or port the object is updated in place and
/// its connections are reopened at the new address.
/// </summary>
public sealed class Broker
{
    private readonly ConnectionSettings _settings;
    private readonly CancellationToken _lifetime;
    private readonly ConnectionSlot?[] _slots = new ConnectionSlot?[Enum.GetValues<ConnectionKind>().Length];
    private readonly Lock _lock = new();
    private volatile HostAddress _address;
    private volatile bool _lastConnectFailed;
    private bool _disposed;

    internal Broker(int id, HostAddress address, string? rack, ConnectionSettings settings, CancellationToken lifetime)
    {
        Id = id;
        _address = address;
        Rack = rack;
        _settings = settings;
        _lifetime = lifetime;
        ApiVersionsMemory = new ApiVersionsMemory(shareTable: id >= 0);
    }

    /// <summary>The broker's node id (negative for a seed host not yet identified).</summary>
    public int Id { get; }

    /// <summary>The host the broker advertises.</summary>
    public string Host => _address.Host;

    /// <summary>The port the broker advertises.</summary>
    public int Port => _address.Port;

    /// <summary>The broker's rack, when the cluster assigns racks.</summary>
    public string? Rack { get; private set; }

    /// <summary>Whether any connection to this broker is open.</summary>
    public bool IsConnected
    {
        get
        {
            for (var i = 0; i < _slots.Length; i++)
            {
                if (Volatile.Read(ref _slots[i])?.Current is not null)
                {
                    return true;
                }
            }
            return false;
        }
    }

    internal HostAddress Address => _address;

    /// <summary>What the broker answered to ApiVersions, shared by its connections (see <see cref="Internal.ApiVersionsMemory"/>).</summary>
    internal ApiVersionsMemory ApiVersionsMemory { get; }

    /// <summary>
    /// Whether the broker accepted the client's last connection attempt: <see langword="true"/> until an attempt
    /// fails (after the resilience pipeline's retries), and again once one succeeds. Health checks read it: it is what
    /// the client knows without opening anything, kept current by the client's background refresh, which tries every
    /// known broker after each refresh.
    /// </summary>
    public bool IsReachable => !_lastConnectFailed;

    /// <summary>Called by a connection slot when an attempt to connect (with the resilience pipeline's retries) ends.</summary>
    internal void OnConnectAttempt(bool succeeded) => _lastConnectFailed = !succeeded;

    /// <inheritdoc/>
    public override string ToString() => Id >= 0 ? $"broker {Id} at {_address}" : $"seed {_address}";

    /// <summary>The connection for a traffic class, opened if needed.</summary>
    internal Task<BrokerConnection> GetConnectionAsync(ConnectionKind kind, CancellationToken cancellationToken)
    {
        ConnectionSlot slot;
        lock (_lock)
        {
            if (_disposed)
            {
                throw new KafkaConnectionException(Host, Port, $"No connection to {this}: it left the cluster metadata, or the client was disposed.");
            }
            slot = _slots[(int)kind] ??= new ConnectionSlot(this, kind, _settings, _lifetime);
        }
        return slot.GetAsync(cancellationToken);
    }

    /// <summary>What the connection attempt of <paramref name="kind"/> in progress waits on; <see langword="null"/> when none is in progress.</summary>
    internal string? AttemptStep(ConnectionKind kind) => Volatile.Read(ref _slots[(int)kind])?.AttemptStep;

    /// <summary>The request timeout of a traffic class: the offsets channel has its own.</summary>
    internal TimeSpan TimeoutFor(ConnectionKind kind) =>
        kind == ConnectionKind.OffsetsChannel ? _settings.OffsetsChannelSocketTimeout : _settings.SocketTimeout;

    /// <summary>Sends a request on the connection of <paramref name="kind"/> at the negotiated version.</summary>
    internal async Task<TResponse> SendAsync<TResponse>(ConnectionKind kind, KafkaRequest<TResponse> request, CancellationToken cancellationToken)
    {
        var connection = await GetConnectionAsync(kind, cancellationToken).ConfigureAwait(false);
        return await connection.SendAsync(request, TimeoutFor(kind), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Applies a broker's entry from newer metadata; a changed address closes the old connections.</summary>
    internal void Update(HostAddress address, string? rack)
    {
        Rack = rack;
        if (address.Equals(_address))
        {
            return;
        }
        ConnectionSlot?[] slots;
        lock (_lock)
        {
            _address = address;
            slots = (ConnectionSlot?[])_slots.Clone();
        }
        foreach (var slot in slots)
        {
            slot?.CloseCurrent();
        }
    }

    /// <summary>Closes the open connections; the broker stays usable and reconnects on its next request.</summary>
    internal void CloseConnections()
    {
        ConnectionSlot?[] slots;
        lock (_lock)
        {
            slots = (ConnectionSlot?[])_slots.Clone();
        }
        foreach (var slot in slots)
        {
            slot?.CloseCurrent();
        }
    }

    internal async ValueTask CloseAsync()
    {
        ConnectionSlot?[] slots;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            slots = (ConnectionSlot?[])_slots.Clone();
        }
        foreach (var slot in slots)
        {
            if (slot is not null)
            {
                await slot.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
