using System.Text.RegularExpressions;
using static Kafka.ZooKeeper.Tests.TestSupport;

namespace Kafka.ZooKeeper.Tests;

/// <summary>Create, read, update and delete against the real server.</summary>
public sealed class NodeOperationTests
{
    private ZooKeeperClient _client = null!;
    private string _root = null!;

    [SetUp]
    public async Task SetUpAsync()
    {
        _client = await ConnectedAsync(SharedServer.ConnectString);
        _root = UniqueRoot("ops");
        await _client.CreateAsync(_root);
    }

    [TearDown]
    public async Task TearDownAsync() => await _client.DisposeAsync();

    [Test]
    public async Task Connect_negotiates_a_session()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_client.State, Is.EqualTo(ZooKeeperState.Connected));
            Assert.That(_client.SessionId, Is.Not.Zero);
            Assert.That(_client.SessionTimeout, Is.EqualTo(TimeSpan.FromSeconds(4)));
            Assert.That(_client.ConnectedServer, Is.EqualTo(SharedServer.ConnectString));
        });
    }

    [Test]
    public async Task Session_timeout_is_clamped_by_the_server()
    {
        // The fixture's server ticks every 500 ms: sessions from 1 s (two ticks) to 60 s.
        await using var tooLong = await ConnectedAsync(SharedServer.ConnectString, TimeSpan.FromSeconds(100));
        await using var tooShort = await ConnectedAsync(SharedServer.ConnectString, TimeSpan.FromMilliseconds(200));
        Assert.Multiple(() =>
        {
            Assert.That(tooLong.SessionTimeout, Is.EqualTo(TimeSpan.FromSeconds(60)));
            Assert.That(tooShort.SessionTimeout, Is.EqualTo(TimeSpan.FromSeconds(1)));
        });
    }

    [Test]
    public async Task Create_in_every_mode_returns_the_actual_path()
    {
        var persistent = await _client.CreateAsync($"{_root}/p", Bytes("a"));
        var ephemeral = await _client.CreateAsync($"{_root}/e", Bytes("b"), CreateMode.Ephemeral);
        var sequential1 = await _client.CreateAsync($"{_root}/s-", Bytes("c"), CreateMode.PersistentSequential);
        var sequential2 = await _client.CreateAsync($"{_root}/s-", default, CreateMode.PersistentSequential);
        var ephemeralSequential = await _client.CreateAsync($"{_root}/es-", default, CreateMode.EphemeralSequential);

        Assert.Multiple(() =>
        {
            Assert.That(persistent, Is.EqualTo($"{_root}/p"));
            Assert.That(ephemeral, Is.EqualTo($"{_root}/e"));
            // The suffix is the parent's child version, ten digits, zero-padded: two creates came before.
            Assert.That(sequential1, Is.EqualTo($"{_root}/s-0000000002"));
            Assert.That(sequential2, Is.EqualTo($"{_root}/s-0000000003"));
            Assert.That(ephemeralSequential, Does.Match("^" + Regex.Escape(_root) + @"/es-\d{10}$"));
        });

        var persistentStat = await _client.ExistsAsync(persistent);
        var ephemeralStat = await _client.ExistsAsync(ephemeral);
        var ephemeralSequentialStat = await _client.ExistsAsync(ephemeralSequential);
        Assert.Multiple(() =>
        {
            Assert.That(persistentStat!.IsEphemeral, Is.False);
            Assert.That(ephemeralStat!.EphemeralOwner, Is.EqualTo(_client.SessionId));
            Assert.That(ephemeralSequentialStat!.EphemeralOwner, Is.EqualTo(_client.SessionId));
        });
    }

    [Test]
    public async Task Sequential_create_under_a_trailing_slash_names_the_child_by_its_number()
    {
        var path = await _client.CreateAsync($"{_root}/", default, CreateMode.PersistentSequential);
        Assert.That(path, Is.EqualTo($"{_root}/0000000000"));
    }

    [Test]
    public async Task Create_errors_are_typed()
    {
        await _client.CreateAsync($"{_root}/x");
        var exists = Assert.ThrowsAsync<NodeExistsException>(() => _client.CreateAsync($"{_root}/x"));
        var noParent = Assert.ThrowsAsync<NoNodeException>(() => _client.CreateAsync($"{_root}/missing/child"));
        await _client.CreateAsync($"{_root}/eph", default, CreateMode.Ephemeral);
        var ephemeralParent = Assert.ThrowsAsync<ZooKeeperException>(() => _client.CreateAsync($"{_root}/eph/child"));
        Assert.Multiple(() =>
        {
            Assert.That(exists!.Code, Is.EqualTo(ZooKeeperErrorCode.NodeExists));
            Assert.That(exists.Path, Is.EqualTo($"{_root}/x"));
            Assert.That(noParent!.Path, Is.EqualTo($"{_root}/missing/child"));
            Assert.That(ephemeralParent!.Code, Is.EqualTo(ZooKeeperErrorCode.NoChildrenForEphemerals));
        });
    }

    [Test]
    public async Task Exists_get_and_set_follow_versions()
    {
        var path = $"{_root}/v";
        Assert.That(await _client.ExistsAsync(path), Is.Null);
        await _client.CreateAsync(path, Bytes("one"));

        var first = await _client.GetDataAsync(path);
        Assert.Multiple(() =>
        {
            Assert.That(Text(first.Data), Is.EqualTo("one"));
            Assert.That(first.Stat.Version, Is.Zero);
            Assert.That(first.Stat.DataLength, Is.EqualTo(3));
        });

        var afterSet = await _client.SetDataAsync(path, Bytes("two"), version: 0);
        Assert.That(afterSet.Version, Is.EqualTo(1));
        var stale = Assert.ThrowsAsync<BadVersionException>(() => _client.SetDataAsync(path, Bytes("three"), version: 0));
        Assert.That(stale!.Path, Is.EqualTo(path));
        var anyVersion = await _client.SetDataAsync(path, Bytes("four"), version: -1);
        Assert.That(anyVersion.Version, Is.EqualTo(2));

        var last = await _client.GetDataAsync(path);
        var stat = await _client.ExistsAsync(path);
        Assert.Multiple(() =>
        {
            Assert.That(Text(last.Data), Is.EqualTo("four"));
            Assert.That(stat!.Version, Is.EqualTo(2));
            Assert.That(stat.Mzxid, Is.GreaterThan(stat.Czxid));
            Assert.That(stat.ModifiedTime, Is.GreaterThanOrEqualTo(stat.CreatedTime));
        });
        Assert.ThrowsAsync<NoNodeException>(() => _client.GetDataAsync($"{_root}/nothing"));
        Assert.ThrowsAsync<NoNodeException>(() => _client.SetDataAsync($"{_root}/nothing", Bytes("x")));
    }

    [Test]
    public async Task Empty_and_large_data_round_trip()
    {
        await _client.CreateAsync($"{_root}/empty");
        var big = new byte[900 * 1024];
        Random.Shared.NextBytes(big);
        await _client.CreateAsync($"{_root}/big", big);

        var empty = await _client.GetDataAsync($"{_root}/empty");
        var read = await _client.GetDataAsync($"{_root}/big");
        Assert.Multiple(() =>
        {
            Assert.That(empty.Data.Length, Is.Zero);
            Assert.That(read.Data.ToArray(), Is.EqualTo(big));
        });
    }

    [Test]
    public async Task Delete_checks_version_and_children()
    {
        var parent = $"{_root}/d";
        await _client.CreateAsync(parent);
        await _client.CreateAsync($"{parent}/child");

        var notEmpty = Assert.ThrowsAsync<NotEmptyException>(() => _client.DeleteAsync(parent));
        Assert.That(notEmpty!.Path, Is.EqualTo(parent));
        Assert.ThrowsAsync<BadVersionException>(() => _client.DeleteAsync($"{parent}/child", version: 5));
        await _client.DeleteAsync($"{parent}/child", version: 0);
        await _client.DeleteAsync(parent);
        Assert.That(await _client.ExistsAsync(parent), Is.Null);
        Assert.ThrowsAsync<NoNodeException>(() => _client.DeleteAsync(parent));
    }

    [Test]
    public async Task Children_come_with_the_parent_stat()
    {
        await _client.CreateAsync($"{_root}/c1");
        await _client.CreateAsync($"{_root}/c2");
        await _client.CreateAsync($"{_root}/c3", default, CreateMode.Ephemeral);

        var children = await _client.GetChildrenAsync(_root);
        var sorted = children.Children.ToList();
        sorted.Sort(StringComparer.Ordinal);
        Assert.Multiple(() =>
        {
            Assert.That(sorted, Is.EqualTo(new[] { "c1", "c2", "c3" }));
            Assert.That(children.Stat.ChildCount, Is.EqualTo(3));
            Assert.That(children.Stat.ChildVersion, Is.EqualTo(3));
        });
        var leaf = await _client.GetChildrenAsync($"{_root}/c1");
        Assert.That(leaf.Children, Is.Empty);
        Assert.ThrowsAsync<NoNodeException>(() => _client.GetChildrenAsync($"{_root}/none"));
    }

    [Test]
    public async Task EnsurePath_creates_missing_ancestors_and_is_idempotent()
    {
        await _client.CreateAsync($"{_root}/a");
        await _client.EnsurePathAsync($"{_root}/a/b/c/d");
        await _client.EnsurePathAsync($"{_root}/a/b/c/d");
        await _client.EnsurePathAsync("/");

        Assert.That(await _client.ExistsAsync($"{_root}/a/b/c/d"), Is.Not.Null);
        var b = await _client.GetChildrenAsync($"{_root}/a/b");
        Assert.That(b.Children, Is.EqualTo(new[] { "c" }));
    }

    [Test]
    public async Task Multi_commits_every_operation_and_returns_per_operation_results()
    {
        await _client.CreateAsync($"{_root}/m", Bytes("0"));
        await _client.CreateAsync($"{_root}/gone");

        var results = await _client.MultiAsync(
        [
            ZooKeeperOp.Check($"{_root}/m", 0),
            ZooKeeperOp.Create($"{_root}/m/new", Bytes("n")),
            ZooKeeperOp.Create($"{_root}/m/seq-", default, CreateMode.PersistentSequential),
            ZooKeeperOp.SetData($"{_root}/m", Bytes("1"), 0),
            ZooKeeperOp.Delete($"{_root}/gone"),
        ]);

        Assert.That(results, Has.Count.EqualTo(5));
        Assert.Multiple(() =>
        {
            Assert.That(results[0].Type, Is.EqualTo(ZooKeeperOpType.Check));
            Assert.That(results[1].Path, Is.EqualTo($"{_root}/m/new"));
            Assert.That(results[2].Path, Is.EqualTo($"{_root}/m/seq-0000000001"));
            Assert.That(results[3].Stat!.Version, Is.EqualTo(1));
            Assert.That(results[4].Type, Is.EqualTo(ZooKeeperOpType.Delete));
        });
        Assert.That(await _client.ExistsAsync($"{_root}/gone"), Is.Null);
        Assert.That(Text((await _client.GetDataAsync($"{_root}/m/new")).Data), Is.EqualTo("n"));
    }

    [Test]
    public async Task Multi_that_fails_applies_nothing_and_reports_the_first_failure()
    {
        await _client.CreateAsync($"{_root}/taken");
        await _client.CreateAsync($"{_root}/versioned");

        var exists = Assert.ThrowsAsync<NodeExistsException>(() => _client.MultiAsync(
        [
            ZooKeeperOp.Create($"{_root}/fresh"),
            ZooKeeperOp.SetData($"{_root}/versioned", Bytes("x")),
            ZooKeeperOp.Create($"{_root}/taken"),
            ZooKeeperOp.Delete($"{_root}/versioned"),
        ]));
        Assert.Multiple(() =>
        {
            Assert.That(exists!.FailedOperationIndex, Is.EqualTo(2));
            Assert.That(exists.Path, Is.EqualTo($"{_root}/taken"));
        });

        var badVersion = Assert.ThrowsAsync<BadVersionException>(() => _client.MultiAsync(
        [
            ZooKeeperOp.Create($"{_root}/fresh"),
            ZooKeeperOp.Check($"{_root}/versioned", 7),
        ]));
        Assert.That(badVersion!.FailedOperationIndex, Is.EqualTo(1));

        Assert.Multiple(async () =>
        {
            Assert.That(await _client.ExistsAsync($"{_root}/fresh"), Is.Null);
            var versioned = await _client.GetDataAsync($"{_root}/versioned");
            Assert.That(versioned.Stat.Version, Is.Zero);
            Assert.That(versioned.Data.Length, Is.Zero);
        });
    }

    [Test]
    public async Task Chroot_isolates_paths()
    {
        var chroot = $"{_root}/chroot";
        await _client.CreateAsync(chroot);
        await using var rooted = await ConnectedAsync(SharedServer.ConnectString + chroot);

        var created = await rooted.CreateAsync("/a", Bytes("in"));
        var sequential = await rooted.CreateAsync("/s-", default, CreateMode.PersistentSequential);
        var results = await rooted.MultiAsync([ZooKeeperOp.Create("/m")]);
        var probe = new WatchProbe();
        await rooted.GetDataAsync("/a", probe.Callback);
        await _client.SetDataAsync($"{chroot}/a", Bytes("out"));
        var fired = await probe.WaitAsync();

        var rootChildren = await rooted.GetChildrenAsync("/");
        var names = rootChildren.Children.ToList();
        names.Sort(StringComparer.Ordinal);
        Assert.Multiple(async () =>
        {
            Assert.That(created, Is.EqualTo("/a"));
            Assert.That(sequential, Is.EqualTo("/s-0000000001"));
            Assert.That(results[0].Path, Is.EqualTo("/m"));
            Assert.That(fired.Path, Is.EqualTo("/a"));
            Assert.That(names, Is.EqualTo(new[] { "a", "m", "s-0000000001" }));
            Assert.That(await _client.ExistsAsync($"{chroot}/a"), Is.Not.Null);
            Assert.That(await _client.ExistsAsync("/a"), Is.Null);
            Assert.That(Text((await rooted.GetDataAsync("/a")).Data), Is.EqualTo("out"));
        });
        var missing = Assert.ThrowsAsync<NoNodeException>(() => rooted.GetDataAsync("/nothing"));
        Assert.That(missing!.Path, Is.EqualTo("/nothing"));
    }

    [Test]
    public void Invalid_paths_are_argument_errors()
    {
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentException>(() => _client.GetDataAsync("relative"));
            Assert.Throws<ArgumentException>(() => _client.GetDataAsync("/trailing/"));
            Assert.Throws<ArgumentException>(() => _client.GetDataAsync("/a//b"));
            Assert.Throws<ArgumentException>(() => _client.GetDataAsync("/a/../b"));
            Assert.Throws<ArgumentException>(() => _client.CreateAsync("/a\u0001"));
            Assert.Throws<ArgumentNullException>(() => _client.GetDataAsync(null!));
        });
    }

    [Test]
    public async Task A_cancelled_operation_is_cancelled()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        Assert.That(() => _client.GetDataAsync(_root, cancelled.Token), Throws.InstanceOf<OperationCanceledException>());
        // The client goes on working.
        Assert.That(await _client.ExistsAsync(_root), Is.Not.Null);
    }

    [Test]
    public async Task Many_concurrent_operations_complete_in_order()
    {
        var tasks = new List<Task<string>>();
        for (var i = 0; i < 200; i++)
        {
            tasks.Add(_client.CreateAsync($"{_root}/n-", Bytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), CreateMode.PersistentSequential));
        }
        var paths = await Task.WhenAll(tasks);
        for (var i = 0; i < paths.Length; i++)
        {
            Assert.That(paths[i], Is.EqualTo($"{_root}/n-{i:D10}"));
        }
    }
}
