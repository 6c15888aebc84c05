using Kafka.Testing;

namespace Kafka.ZooKeeper.Tests;

/// <summary>One real ZooKeeper server for the tests that do not stop it; each test works under its own path.</summary>
[SetUpFixture]
public sealed class SharedServer
{
    private static ZooKeeperServer? s_server;

    public static ZooKeeperServer Server => s_server ?? throw new InvalidOperationException("The shared server is not running.");

    public static string ConnectString => Server.ConnectString;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        s_server = new ZooKeeperServer();
        await s_server.StartAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (s_server is not null)
        {
            await s_server.DisposeAsync();
        }
    }
}
