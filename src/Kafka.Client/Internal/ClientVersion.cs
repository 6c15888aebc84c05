using System.Reflection;

namespace Kafka.Client.Internal;

/// <summary>This library's version, sent to brokers in ApiVersions v3+ (client software version).</summary>
internal static class ClientVersion
{
    public static readonly string Value =
        typeof(ClientVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";
}
