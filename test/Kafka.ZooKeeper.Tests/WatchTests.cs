using static Kafka.ZooKeeper.Tests.TestSupport;

namespace Kafka.ZooKeeper.Tests;

/// <summary>One-shot watches against the real server; a second client makes the changes.</summary>
public sealed class WatchTests
{
    private ZooKeeperClient _watcher = null!;
    private ZooKeeperClient _writer = null!;
    private string _root = null!;

    [SetUp]
    public async Task SetUpAsync()
    {
        _watcher = await ConnectedAsync(SharedServer.ConnectString);
        _writer = await ConnectedAsync(SharedServer.ConnectString);
        _root = UniqueRoot("watch");
        await _writer.CreateAsync(_root);
    }

    [TearDown]
    public async Task TearDownAsync()
    {
        await _watcher.DisposeAsync();
        await _writer.DisposeAsync();
    }

    [Test]
    public async Task Data_watch_fires_once_on_change()
    {
        var path = $"{_root}/data";
        await _writer.CreateAsync(path, Bytes("1"));
        var probe = new WatchProbe();
        await _watcher.GetDataAsync(path, probe.Callback);

        await _writer.SetDataAsync(path, Bytes("2"));
        var fired = await probe.WaitAsync();
        await _writer.SetDataAsync(path, Bytes("3"));
        await _writer.DeleteAsync(path);
        // A later watch on another node proves the connection delivered everything sent before it.
        await AssertQuietAsync();

        Assert.Multiple(() =>
        {
            Assert.That(fired.Type, Is.EqualTo(WatchedEventType.NodeDataChanged));
            Assert.That(fired.Path, Is.EqualTo(path));
            Assert.That(fired.State, Is.EqualTo(ZooKeeperState.Connected));
            Assert.That(probe.Count, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Data_watch_fires_on_delete()
    {
        var path = $"{_root}/doomed";
        await _writer.CreateAsync(path);
        var probe = new WatchProbe();
        await _watcher.GetDataAsync(path, probe.Callback);
        await _writer.DeleteAsync(path);
        var fired = await probe.WaitAsync();
        Assert.That(fired.Type, Is.EqualTo(WatchedEventType.NodeDeleted));
    }

    [Test]
    public async Task Child_watch_fires_once_on_child_change()
    {
        var probe = new WatchProbe();
        var children = await _watcher.GetChildrenAsync(_root, probe.Callback);
        Assert.That(children.Children, Is.Empty);

        await _writer.CreateAsync($"{_root}/kid");
        var fired = await probe.WaitAsync();
        await _writer.CreateAsync($"{_root}/kid2");
        await _writer.SetDataAsync(_root, Bytes("not a child change"));
        await AssertQuietAsync();

        Assert.Multiple(() =>
        {
            Assert.That(fired.Type, Is.EqualTo(WatchedEventType.NodeChildrenChanged));
            Assert.That(fired.Path, Is.EqualTo(_root));
            Assert.That(probe.Count, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Exists_watch_on_a_missing_node_fires_on_create()
    {
        var path = $"{_root}/later";
        var probe = new WatchProbe();
        Assert.That(await _watcher.ExistsAsync(path, probe.Callback), Is.Null);
        await _writer.CreateAsync(path);
        var fired = await probe.WaitAsync();
        Assert.That(fired.Type, Is.EqualTo(WatchedEventType.NodeCreated));
        Assert.That(fired.Path, Is.EqualTo(path));
    }

    [Test]
    public async Task Exists_watch_on_an_existing_node_fires_on_change()
    {
        var path = $"{_root}/there";
        await _writer.CreateAsync(path);
        var probe = new WatchProbe();
        Assert.That(await _watcher.ExistsAsync(path, probe.Callback), Is.Not.Null);
        await _writer.SetDataAsync(path, Bytes("x"));
        Assert.That((await probe.WaitAsync()).Type, Is.EqualTo(WatchedEventType.NodeDataChanged));
    }

    [Test]
    public async Task The_same_callback_on_exists_and_get_runs_once_per_event()
    {
        var path = $"{_root}/twice";
        await _writer.CreateAsync(path);
        var probe = new WatchProbe();
        await _watcher.ExistsAsync(path, probe.Callback);
        await _watcher.GetDataAsync(path, probe.Callback);
        await _writer.SetDataAsync(path, Bytes("x"));
        await probe.WaitAsync();
        await AssertQuietAsync();
        Assert.That(probe.Count, Is.EqualTo(1));
    }

    [Test]
    public async Task A_watch_runs_before_the_result_of_a_read_that_follows_the_change()
    {
        var path = $"{_root}/ordered";
        await _writer.CreateAsync(path, Bytes("old"));
        var probe = new WatchProbe();
        await _watcher.GetDataAsync(path, probe.Callback);

        await _writer.SetDataAsync(path, Bytes("new"));
        var read = await _watcher.GetDataAsync(path);

        Assert.That(Text(read.Data), Is.EqualTo("new"));
        Assert.That(probe.Fired.IsCompleted, Is.True, "the watch event must be seen before the new data");
    }

    [Test]
    public async Task A_throwing_callback_does_not_stop_the_client()
    {
        var path = $"{_root}/throws";
        await _writer.CreateAsync(path);
        await _watcher.GetDataAsync(path, _ => throw new InvalidOperationException("callback failure"));
        var probe = new WatchProbe();
        await _watcher.ExistsAsync(path, probe.Callback);
        await _writer.SetDataAsync(path, Bytes("x"));
        await probe.WaitAsync();
        Assert.That(await _watcher.ExistsAsync(path), Is.Not.Null);
    }

    [Test]
    public async Task Close_tells_every_pending_watch_that_it_will_not_fire()
    {
        var probe = new WatchProbe();
        await _watcher.ExistsAsync($"{_root}/never", probe.Callback);
        await _watcher.CloseAsync();
        var fired = await probe.WaitAsync();
        Assert.Multiple(() =>
        {
            Assert.That(fired.Type, Is.EqualTo(WatchedEventType.None));
            Assert.That(fired.State, Is.EqualTo(ZooKeeperState.Closed));
            Assert.That(fired.Path, Is.EqualTo($"{_root}/never"));
        });
    }

    // Sets and fires a fresh watch: every notification the server sent before it has been delivered by then.
    private async Task AssertQuietAsync()
    {
        var marker = $"{_root}/marker-{Guid.NewGuid():N}";
        var probe = new WatchProbe();
        await _watcher.ExistsAsync(marker, probe.Callback);
        await _writer.CreateAsync(marker);
        await probe.WaitAsync();
    }
}
