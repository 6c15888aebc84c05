using Kafka.Testing;
using Microsoft.Extensions.Time.Testing;
using static Kafka.ZooKeeper.Tests.TestSupport;

namespace Kafka.ZooKeeper.Tests;

/// <summary>The server goes away and comes back: sessions resume, or expire, as ZooKeeper defines.</summary>
[NonParallelizable]
public sealed class ServerOutageTests
{
    private ZooKeeperServer _server = null!;

    [OneTimeSetUp]
    public async Task StartServerAsync()
    {
        _server = new ZooKeeperServer();
        await _server.StartAsync();
    }

    [OneTimeTearDown]
    public async Task StopServerAsync() => await _server.DisposeAsync();

    [SetUp]
    public async Task EnsureRunningAsync() => await _server.StartAsync();

    [Test]
    public async Task Restart_within_the_session_timeout_resumes_the_session_with_its_nodes_and_watches()
    {
        await using var client = await ConnectedAsync(_server.ConnectString, TimeSpan.FromSeconds(10));
        var sessionId = client.SessionId;
        var root = UniqueRoot("restart");
        await client.CreateAsync(root);
        await client.CreateAsync($"{root}/mine", default, CreateMode.Ephemeral);
        await client.CreateAsync($"{root}/watched", Bytes("before"));
        var probe = new WatchProbe();
        await client.GetDataAsync($"{root}/watched", probe.Callback);

        await _server.StopAsync();
        await WaitUntilAsync(() => client.State == ZooKeeperState.Disconnected, "the client notices the server is gone");
        // Started while disconnected: waits for the next connection instead of failing.
        var whileDown = client.ExistsAsync($"{root}/mine");
        await _server.StartAsync();

        Assert.That((await whileDown.WaitAsync(Deadline))!.EphemeralOwner, Is.EqualTo(sessionId));
        Assert.Multiple(() =>
        {
            Assert.That(client.State, Is.EqualTo(ZooKeeperState.Connected));
            Assert.That(client.SessionId, Is.EqualTo(sessionId));
        });

        // The restarted server lost its watches; the client set them again on reconnecting.
        await using var other = await ConnectedAsync(_server.ConnectString);
        Assert.That(await other.ExistsAsync($"{root}/mine"), Is.Not.Null);
        await other.SetDataAsync($"{root}/watched", Bytes("after"));
        var fired = await probe.WaitAsync();
        Assert.That(fired.Type, Is.EqualTo(WatchedEventType.NodeDataChanged));
    }

    [Test]
    public async Task Changes_made_while_disconnected_fire_the_watches_on_reconnect()
    {
        // The watching client's clock stands still while the server is down, so it cannot reconnect before the
        // other client has made its changes; its watches then go back with the last zxid it saw.
        var time = new FakeTimeProvider();
        await using var watcher = await ConnectedAsync(_server.ConnectString, TimeSpan.FromSeconds(10), time);
        await using var writer = await ConnectedAsync(_server.ConnectString, TimeSpan.FromSeconds(10));
        var sessionId = watcher.SessionId;
        var root = UniqueRoot("meanwhile");
        await writer.CreateAsync(root);
        await writer.CreateAsync($"{root}/data", Bytes("1"));
        var data = new WatchProbe();
        var created = new WatchProbe();
        var children = new WatchProbe();
        await watcher.GetDataAsync($"{root}/data", data.Callback);
        Assert.That(await watcher.ExistsAsync($"{root}/new", created.Callback), Is.Null);
        await watcher.GetChildrenAsync(root, children.Callback);

        await _server.KillAsync();
        await WaitUntilAsync(() => watcher.State == ZooKeeperState.Disconnected, "the watcher notices the server died");
        await _server.StartAsync();
        await writer.ConnectAsync();
        await writer.SetDataAsync($"{root}/data", Bytes("2"));
        await writer.CreateAsync($"{root}/new");
        Assert.That(data.Fired.IsCompleted || created.Fired.IsCompleted || children.Fired.IsCompleted, Is.False);

        await WaitUntilAsync(() => watcher.State == ZooKeeperState.Connected, "the watcher reconnects",
            step: () => time.Advance(TimeSpan.FromMilliseconds(50)));
        Assert.That(watcher.SessionId, Is.EqualTo(sessionId));
        Assert.Multiple(async () =>
        {
            Assert.That((await data.WaitAsync()).Type, Is.EqualTo(WatchedEventType.NodeDataChanged));
            Assert.That((await created.WaitAsync()).Type, Is.EqualTo(WatchedEventType.NodeCreated));
            Assert.That((await children.WaitAsync()).Type, Is.EqualTo(WatchedEventType.NodeChildrenChanged));
        });
    }

    [Test]
    public async Task Thousands_of_watches_under_a_chroot_are_set_again_in_batches()
    {
        var chroot = UniqueRoot("batches");
        await using (var setup = await ConnectedAsync(_server.ConnectString))
        {
            await setup.CreateAsync(chroot);
        }
        await using var client = await ConnectedAsync(_server.ConnectString + chroot, TimeSpan.FromSeconds(10));
        // About 200 KB of paths: more than one SetWatches batch (128 KB each).
        var prefix = "/" + new string('w', 60) + "-";
        var probes = new WatchProbe[2500];
        var watching = new List<Task<Stat?>>();
        for (var i = 0; i < probes.Length; i++)
        {
            probes[i] = new WatchProbe();
            watching.Add(client.ExistsAsync(prefix + i, probes[i].Callback));
        }
        await Task.WhenAll(watching);

        await _server.StopAsync();
        await WaitUntilAsync(() => client.State == ZooKeeperState.Disconnected, "the client notices the server is gone");
        await _server.StartAsync();
        await client.ConnectAsync();

        await using var other = await ConnectedAsync(_server.ConnectString + chroot);
        await other.CreateAsync(prefix + 0);
        await other.CreateAsync(prefix + (probes.Length - 1));
        var first = await probes[0].WaitAsync();
        var last = await probes[^1].WaitAsync();
        Assert.Multiple(() =>
        {
            Assert.That(first.Type, Is.EqualTo(WatchedEventType.NodeCreated));
            Assert.That(first.Path, Is.EqualTo(prefix + 0));
            Assert.That(last.Path, Is.EqualTo(prefix + (probes.Length - 1)));
            Assert.That(probes[1].Fired.IsCompleted, Is.False);
        });
    }

    [Test]
    public async Task Server_down_longer_than_the_session_timeout_expires_the_session()
    {
        var client = await ConnectedAsync(_server.ConnectString, TimeSpan.FromSeconds(2));
        var sessionId = client.SessionId;
        var root = UniqueRoot("expiry");
        await client.CreateAsync(root);
        await client.CreateAsync($"{root}/mine", default, CreateMode.Ephemeral);
        var probe = new WatchProbe();
        await client.ExistsAsync($"{root}/never", probe.Callback);
        var states = new List<ZooKeeperState>();
        client.StateChanged += (_, e) =>
        {
            lock (states)
            {
                states.Add(e.State);
            }
        };

        await _server.StopAsync();
        await WaitUntilAsync(() => client.State == ZooKeeperState.Expired, "the session expires");
        // The event follows on the client's event loop.
        await WaitUntilAsync(() => { lock (states) { return states.Contains(ZooKeeperState.Expired); } }, "the Expired event");

        Assert.Multiple(async () =>
        {
            lock (states)
            {
                Assert.That(states, Is.EqualTo(new[] { ZooKeeperState.Disconnected, ZooKeeperState.Expired }));
            }
            Assert.That(await probe.WaitAsync(), Has.Property(nameof(WatchedEvent.State)).EqualTo(ZooKeeperState.Expired));
        });
        Assert.ThrowsAsync<SessionExpiredException>(() => client.GetDataAsync(root));
        Assert.ThrowsAsync<SessionExpiredException>(() => client.ConnectAsync());
        await client.DisposeAsync();
        Assert.That(client.State, Is.EqualTo(ZooKeeperState.Closed));

        // A new session can be made; the server expires the old one (and its ephemeral node) after its timeout.
        await _server.StartAsync();
        await using var fresh = await ConnectedAsync(_server.ConnectString);
        Assert.That(fresh.SessionId, Is.Not.EqualTo(sessionId));
        await WaitUntilAsync(async () => await fresh.ExistsAsync($"{root}/mine") is null, "the expired session's node is deleted");
    }
}
