using Kafka.Client.Protocol;

namespace Kafka.Client.Internal;

/// <summary>
/// What a broker answered to ApiVersions, kept across its connections (every traffic class and every reconnect):
/// <list type="bullet">
/// <item>the ApiVersions version it accepts, so that the fall-back from our newest version (a broker that does not
/// know it answers UNSUPPORTED_VERSION and is asked again) happens once per broker, not once per connection;</item>
/// <item>its version table, which a further connection uses without asking while the connection that got it is still
/// open: a broker's versions change only when it restarts, and a restart closes that connection. After it closed,
/// the next connection asks again (once).</item>
/// </list>
/// Seeds (which may be a load balancer in front of several brokers) remember only the version to ask with. A new
/// address forgets everything.
/// </summary>
internal sealed class ApiVersionsMemory
{
    private readonly Lock _lock = new();
    private readonly bool _shareTable;
    private HostAddress? _address;
    private short _requestVersion = KnownApis.ApiVersions.MaxVersion;
    private ApiVersionTable? _table;
    private BrokerConnection? _source;

    /// <param name="shareTable">Whether connections may share the version table (a real broker, not a seed).</param>
    public ApiVersionsMemory(bool shareTable) => _shareTable = shareTable;

    /// <summary>The table a live connection to <paramref name="address"/> negotiated, if there is one.</summary>
    public bool TryGetLiveTable(HostAddress address, out ApiVersionTable table)
    {
        lock (_lock)
        {
            if (_shareTable && _table is not null && _source is { IsAlive: true } && address.Equals(_address))
            {
                table = _table;
                return true;
            }
        }
        table = null!;
        return false;
    }

    /// <summary>The ApiVersions version to ask <paramref name="address"/> with: the one it accepted last, or our newest.</summary>
    public short RequestVersion(HostAddress address)
    {
        lock (_lock)
        {
            return address.Equals(_address) ? _requestVersion : KnownApis.ApiVersions.MaxVersion;
        }
    }

    /// <summary>
    /// Takes the ApiVersions version a seed at the same address learnt (the broker it turned out to be), so that the
    /// broker's first own connection does not fall back again. The table is not taken: the seed may have been a load
    /// balancer.
    /// </summary>
    public void LearnFrom(ApiVersionsMemory seed)
    {
        HostAddress? address;
        short version;
        lock (seed._lock)
        {
            address = seed._address;
            version = seed._requestVersion;
        }
        if (address is null)
        {
            return;
        }
        lock (_lock)
        {
            if (_address is null)
            {
                _address = address;
                _requestVersion = version;
            }
        }
    }

    /// <summary>Keeps what <paramref name="source"/> negotiated with the broker at <paramref name="address"/>.</summary>
    public void Remember(HostAddress address, short requestVersion, ApiVersionTable table, BrokerConnection source)
    {
        lock (_lock)
        {
            _address = address;
            _requestVersion = requestVersion;
            _table = table;
            _source = source;
        }
    }
}
