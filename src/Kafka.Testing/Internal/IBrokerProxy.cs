namespace Kafka.Testing.Internal;

/// <summary>What a <see cref="MockKafkaCluster"/> needs of the proxy it puts in front of a broker.</summary>
internal interface IBrokerProxy : IDisposable
{
    int BrokerId { get; }

    int Port { get; }

    string Address { get; }

    IReadOnlyList<ProxiedRequest> Requests { get; }

    void ClearRequests();
}
