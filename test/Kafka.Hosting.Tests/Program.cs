using Kafka.Hosting.Tests.Consumers;

namespace Kafka.Hosting.Tests;

/// <summary>
/// The test assembly's entry point. The test host does not use it; with <c>--member</c> the assembly runs a hosted
/// consumer in a process of its own (<see cref="SeparateMember"/>), which a test can kill.
/// </summary>
internal static class Program
{
    public static Task<int> Main(string[] args) =>
        args is ["--member", var bootstrap, var topic, var group] ? SeparateMember.RunAsync(bootstrap, topic, group) : Task.FromResult(0);
}
