using System.Diagnostics;
using Kafka.Client.Protocol;

namespace Kafka.Client.Internal;

/// <summary>
/// Where the connection layer reports requests and open connections, so that a host can turn them into metrics
/// and traces. The client itself has no meter: the hosting layer supplies an implementation per client.
/// Implementations run on the request path: they must not block, and should not allocate when nobody listens.
/// </summary>
internal interface IClientInstrumentation
{
    /// <summary>A request is about to be written; returns its trace span, or <see langword="null"/> when nobody listens.</summary>
    Activity? RequestStarting(ApiKey apiKey, short version, int brokerId, HostAddress address);

    /// <summary>A request ended: answered (<paramref name="error"/> is null), failed, or abandoned by its caller.</summary>
    void RequestCompleted(Activity? activity, ApiKey apiKey, TimeSpan duration, Exception? error);

    /// <summary>A TCP connection of traffic class <paramref name="kind"/> was opened.</summary>
    void ConnectionOpened(string kind);

    /// <summary>A connection reported by <see cref="ConnectionOpened"/> was closed.</summary>
    void ConnectionClosed(string kind);
}
