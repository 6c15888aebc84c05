using Kafka.ZooKeeper.Internal;

namespace Kafka.ZooKeeper.Tests;

/// <summary>Connect strings and paths: pure parsing, no server.</summary>
public sealed class ConnectStringTests
{
    [Test]
    public void Several_servers_with_a_chroot()
    {
        var parsed = ConnectString.Parse("zk1:2181, zk2:2182 ,zk3/kafka/prod", "test");
        Assert.Multiple(() =>
        {
            Assert.That(parsed.Servers, Is.EqualTo(new[]
            {
                new ServerAddress("zk1", 2181), new ServerAddress("zk2", 2182), new ServerAddress("zk3", 2181),
            }));
            Assert.That(parsed.Chroot, Is.EqualTo("/kafka/prod"));
        });
    }

    [Test]
    public void Ipv6_in_brackets_and_a_root_chroot_that_is_ignored()
    {
        var parsed = ConnectString.Parse("[::1]:2182,[fe80::1]/", "test");
        Assert.Multiple(() =>
        {
            Assert.That(parsed.Servers, Is.EqualTo(new[] { new ServerAddress("::1", 2182), new ServerAddress("fe80::1", 2181) }));
            Assert.That(parsed.Servers[0].ToString(), Is.EqualTo("[::1]:2182"));
            Assert.That(parsed.Chroot, Is.Null);
        });
    }

    [TestCase("")]
    [TestCase(" ")]
    [TestCase(",")]
    [TestCase("host:0")]
    [TestCase("host:70000")]
    [TestCase("host:abc")]
    [TestCase(":2181")]
    [TestCase("::1:2181")]
    [TestCase("[::1")]
    [TestCase("host/chroot/")]
    [TestCase("host/a//b")]
    public void Invalid_connect_strings_are_rejected(string value)
    {
        Assert.Throws<ArgumentException>(() => ConnectString.Parse(value, "test"));
        Assert.Throws<ArgumentException>(() => _ = new ZooKeeperClient(new ZooKeeperClientOptions { ConnectString = value }));
    }

    [Test]
    public void Chroot_maps_paths_both_ways()
    {
        Assert.Multiple(() =>
        {
            Assert.That(ZooKeeperPath.ToServer("/app", "/"), Is.EqualTo("/app"));
            Assert.That(ZooKeeperPath.ToServer("/app", "/a/b"), Is.EqualTo("/app/a/b"));
            Assert.That(ZooKeeperPath.ToServer(null, "/a"), Is.EqualTo("/a"));
            Assert.That(ZooKeeperPath.ToClient("/app", "/app"), Is.EqualTo("/"));
            Assert.That(ZooKeeperPath.ToClient("/app", "/app/a"), Is.EqualTo("/a"));
            Assert.That(ZooKeeperPath.ToClient("/app", "/apple"), Is.EqualTo("/apple"));
        });
    }

    [TestCase("/", false)]
    [TestCase("/a", false)]
    [TestCase("/a/b-c_d.e", false)]
    [TestCase("/a/", true)]
    [TestCase("/", true)]
    public void Valid_paths(string path, bool sequential) =>
        Assert.DoesNotThrow(() => ZooKeeperPath.Validate(path, "path", sequential));

    [TestCase("")]
    [TestCase("a")]
    [TestCase("/a/")]
    [TestCase("//")]
    [TestCase("/a//b")]
    [TestCase("/./a")]
    [TestCase("/a/..")]
    [TestCase("/a\0b")]
    [TestCase("/a\u007fb")]
    [TestCase("/a\ud800b")]
    [TestCase("/a\ufff5b")]
    public void Invalid_paths(string path) =>
        Assert.Throws<ArgumentException>(() => ZooKeeperPath.Validate(path, "path"));

    [Test]
    public void Options_are_validated()
    {
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentNullException>(() => _ = new ZooKeeperClient(null!));
            Assert.Throws<ArgumentException>(() => _ = new ZooKeeperClient(new ZooKeeperClientOptions { SessionTimeout = TimeSpan.Zero }));
            Assert.Throws<ArgumentException>(() => _ = new ZooKeeperClient(new ZooKeeperClientOptions { ConnectTimeout = TimeSpan.FromSeconds(-1) }));
            Assert.Throws<ArgumentException>(() => _ = new ZooKeeperClient(new ZooKeeperClientOptions { MaxFrameLength = 10 }));
        });
    }
}
