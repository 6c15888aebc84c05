using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Kafka.Testing;
using Microsoft.Extensions.Time.Testing;
using static Kafka.ZooKeeper.Tests.TestSupport;

namespace Kafka.ZooKeeper.Tests;

/// <summary>Session behaviour that does not need the server to stop: close, state, keep-alive, expiry, hosts.</summary>
public sealed class SessionTests
{
    [Test]
    public async Task Ephemeral_node_vanishes_when_the_session_closes()
    {
        await using var observer = await ConnectedAsync(SharedServer.ConnectString);
        var owner = await ConnectedAsync(SharedServer.ConnectString);
        var path = UniqueRoot("ephemeral");
        await owner.CreateAsync(path, Bytes("mine"), CreateMode.Ephemeral);
        Assert.That(await observer.ExistsAsync(path), Is.Not.Null);

        await owner.CloseAsync();

        // closeSession deletes the node before the server answers it.
        Assert.That(await observer.ExistsAsync(path), Is.Null);
        Assert.That(owner.State, Is.EqualTo(ZooKeeperState.Closed));
        Assert.Throws<ObjectDisposedException>(() => owner.ExistsAsync(path));
        await owner.DisposeAsync();
    }

    [Test]
    public async Task State_changes_are_observable_as_events_and_as_a_stream()
    {
        var client = Client(SharedServer.ConnectString);
        var events = new List<(ZooKeeperState, ZooKeeperState)>();
        client.StateChanged += (_, e) =>
        {
            lock (events)
            {
                events.Add((e.PreviousState, e.State));
            }
        };
        var streamed = new List<ZooKeeperState>();
        var reading = Task.Run(async () =>
        {
            await foreach (var state in client.StateChangesAsync())
            {
                streamed.Add(state);
            }
        });
        await WaitUntilAsync(() => streamed.Count == 1, "the stream yields the current state");

        await client.ConnectAsync();
        await client.CloseAsync();
        await reading.WaitAsync(Deadline);
        await client.DisposeAsync();

        Assert.Multiple(() =>
        {
            Assert.That(streamed, Is.EqualTo(new[] { ZooKeeperState.Connecting, ZooKeeperState.Connected, ZooKeeperState.Closed }));
            Assert.That(events, Is.EqualTo(new[]
            {
                (ZooKeeperState.Connecting, ZooKeeperState.Connected),
                (ZooKeeperState.Connected, ZooKeeperState.Closed),
            }));
        });
    }

    [Test]
    public async Task Pings_go_out_after_a_third_of_the_session_timeout_without_sending()
    {
        var time = new FakeTimeProvider();
        await using var client = await ConnectedAsync(SharedServer.ConnectString, TimeSpan.FromSeconds(6), time);
        var third = client.SessionTimeout / 3;
        Assert.That(client.Engine.PingReplies, Is.Zero);

        time.Advance(third);
        await WaitUntilAsync(() => client.Engine.PingReplies == 1, "a ping after a third of the timeout");
        time.Advance(third);
        await WaitUntilAsync(() => client.Engine.PingReplies == 2, "another ping a third later");
        Assert.That(client.State, Is.EqualTo(ZooKeeperState.Connected));
    }

    [Test]
    public async Task An_idle_session_is_kept_alive_by_pings()
    {
        // The shortest session the server grants (1 s): without pings it would expire within about a second.
        await using var client = await ConnectedAsync(SharedServer.ConnectString, TimeSpan.FromSeconds(1));
        var changes = 0;
        client.StateChanged += (_, _) => Interlocked.Increment(ref changes);
        var sessionId = client.SessionId;

        await WaitUntilAsync(() => client.Engine.PingReplies >= 6, "pings for two seconds");

        Assert.Multiple(async () =>
        {
            Assert.That(Volatile.Read(ref changes), Is.Zero);
            Assert.That(client.SessionId, Is.EqualTo(sessionId));
            Assert.That(await client.ExistsAsync("/"), Is.Not.Null);
        });
    }

    [Test]
    public async Task A_silent_server_is_dropped_and_the_session_resumed_elsewhere()
    {
        var time = new FakeTimeProvider();
        await using var client = await ConnectedAsync(SharedServer.ConnectString, TimeSpan.FromSeconds(6), time);
        var sessionId = client.SessionId;
        var path = UniqueRoot("silent");
        await client.CreateAsync(path, default, CreateMode.Ephemeral);

        // Nothing heard for more than two thirds of the timeout (the clock jumps past any ping): the client drops
        // the connection, then reconnects after its random pause.
        time.Advance(client.SessionTimeout * 3 / 4);
        await WaitUntilAsync(() => client.State == ZooKeeperState.Disconnected, "the read timeout drops the connection");
        await WaitUntilAsync(() => client.State == ZooKeeperState.Connected, "reconnected", step: () => time.Advance(TimeSpan.FromMilliseconds(50)));

        Assert.That(client.SessionId, Is.EqualTo(sessionId));
        Assert.That((await client.ExistsAsync(path))!.EphemeralOwner, Is.EqualTo(sessionId));
    }

    [Test]
    public async Task A_server_that_accepts_and_never_answers_costs_a_third_of_the_session_not_the_session()
    {
        // ZooKeeper 3.8 leaves a connection that arrives while it is still loading its data open and unanswered.
        // With one server, waiting the whole session timeout on such a connection would lose the session.
        await using var proxy = new TcpProxy("127.0.0.1", SharedServer.Server.Port);
        var time = new FakeTimeProvider();
        await using var client = await ConnectedAsync(proxy.Address, TimeSpan.FromSeconds(6), time);
        var sessionId = client.SessionId;
        var path = UniqueRoot("stalled");
        await client.CreateAsync(path, default, CreateMode.Ephemeral);

        proxy.StallNextConnections(1);
        var acceptedBefore = proxy.AcceptedCount;
        var cutAt = time.GetUtcNow();
        proxy.CutAllConnections();
        await WaitUntilAsync(() => client.State == ZooKeeperState.Disconnected, "the client notices the cut");
        // The clock moves only until the attempt after the stalled one reaches the server: its handshake is real I/O,
        // and a clock moving on during it would charge the machine's speed to the client.
        await WaitUntilAsync(() => client.State == ZooKeeperState.Connected, "resumed after the stalled attempt",
            step: () =>
            {
                if (proxy.AcceptedCount < acceptedBefore + 2)
                {
                    time.Advance(TimeSpan.FromMilliseconds(50));
                }
            });

        Assert.Multiple(async () =>
        {
            Assert.That(proxy.StalledCount, Is.EqualTo(1), "the first reconnect went to the stalled connection");
            Assert.That(client.SessionId, Is.EqualTo(sessionId));
            // A third of the timeout on the stalled attempt, plus at most two pauses: well inside the session.
            Assert.That(time.GetUtcNow() - cutAt, Is.LessThan(client.SessionTimeout));
            Assert.That((await client.ExistsAsync(path))!.EphemeralOwner, Is.EqualTo(sessionId));
        });
    }

    [Test]
    public async Task A_session_the_server_expired_is_reported_when_reconnecting()
    {
        // The client's clock stands still, so it never pings: the server expires the session after its timeout
        // and closes the connection; the client learns of the expiry from the server on reconnecting.
        var time = new FakeTimeProvider();
        var start = time.GetUtcNow();
        await using var client = await ConnectedAsync(SharedServer.ConnectString, TimeSpan.FromSeconds(1), time);
        var path = UniqueRoot("expired");
        await client.CreateAsync(path, default, CreateMode.Ephemeral);
        // Not a watch on the ephemeral node: expiry deletes it, which fires such a watch before the socket closes.
        var probe = new WatchProbe();
        await client.ExistsAsync(path + "-never", probe.Callback);
        var expired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.StateChanged += (_, e) =>
        {
            if (e.State == ZooKeeperState.Expired)
            {
                expired.TrySetResult();
            }
        };

        await WaitUntilAsync(() => client.State == ZooKeeperState.Disconnected, "the server closes the expired session's connection");
        await WaitUntilAsync(() => client.State == ZooKeeperState.Expired, "expired", step: () => time.Advance(TimeSpan.FromMilliseconds(50)));
        await expired.Task.WaitAsync(Deadline);

        // Well before the client would have given up on its own (four thirds of the timeout).
        Assert.That(time.GetUtcNow() - start, Is.LessThan(client.SessionTimeout * 4 / 3));
        var watchEnd = await probe.WaitAsync();
        Assert.Multiple(() =>
        {
            Assert.That(watchEnd.Type, Is.EqualTo(WatchedEventType.None));
            Assert.That(watchEnd.State, Is.EqualTo(ZooKeeperState.Expired));
        });
        Assert.ThrowsAsync<SessionExpiredException>(() => client.ExistsAsync(path));
        Assert.ThrowsAsync<SessionExpiredException>(() => client.ConnectAsync());
        await using var other = await ConnectedAsync(SharedServer.ConnectString);
        Assert.That(await other.ExistsAsync(path), Is.Null);
    }

    [Test]
    public async Task A_refused_server_in_the_connect_string_is_skipped()
    {
        var connectString = $"127.0.0.1:{DeadPort()},{SharedServer.ConnectString}";
        // The order is shuffled: with four clients, the dead server most likely comes first for some of them.
        var clients = new List<ZooKeeperClient>();
        for (var i = 0; i < 4; i++)
        {
            clients.Add(Client(connectString));
        }
        try
        {
            var connecting = new List<Task>();
            foreach (var client in clients)
            {
                connecting.Add(client.ConnectAsync());
            }
            await Task.WhenAll(connecting).WaitAsync(Deadline);
            foreach (var client in clients)
            {
                Assert.That(client.ConnectedServer, Is.EqualTo(SharedServer.ConnectString));
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Test]
    public async Task A_server_that_hangs_up_is_skipped_for_the_next_one()
    {
        // Counts the clients that tried it first; the shuffle puts it first for about half of them.
        await using var dead = new ScriptedServer((_, _) => Task.CompletedTask);
        var connectString = $"{dead.ConnectString},{SharedServer.ConnectString}";
        for (var attempt = 0; attempt < 40 && dead.Connections == 0; attempt++)
        {
            await using var client = Client(connectString);
            await client.ConnectAsync().WaitAsync(Deadline);
            Assert.That(client.ConnectedServer, Is.EqualTo(SharedServer.ConnectString));
        }
        Assert.That(dead.Connections, Is.GreaterThan(0), "some client tried the dead server first");
    }

    [Test]
    public async Task No_server_is_a_connection_loss_naming_the_servers()
    {
        var first = DeadPort();
        var second = DeadPort();
        await using var client = Client($"127.0.0.1:{first},127.0.0.1:{second}", connectTimeout: TimeSpan.FromSeconds(1));
        var watch = Stopwatch.StartNew();

        var connecting = client.ConnectAsync();
        var reading = client.GetDataAsync("/");
        var error = Assert.ThrowsAsync<ConnectionLossException>(() => connecting);
        var operation = Assert.ThrowsAsync<ConnectionLossException>(() => reading);

        Assert.Multiple(() =>
        {
            Assert.That(error!.Message, Does.Contain($"127.0.0.1:{first}").And.Contain($"127.0.0.1:{second}"));
            Assert.That(error.InnerException, Is.InstanceOf<SocketException>());
            Assert.That(operation!.Message, Does.Contain("not sent"));
            Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));
            Assert.That(client.State, Is.EqualTo(ZooKeeperState.Connecting));
        });
    }

    [Test]
    public async Task Disposal_is_prompt_and_idempotent()
    {
        var client = await ConnectedAsync(SharedServer.ConnectString);
        var watch = Stopwatch.StartNew();
        await client.DisposeAsync();
        await client.DisposeAsync();
        await client.CloseAsync();
        Assert.Multiple(() =>
        {
            Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)));
            Assert.That(client.State, Is.EqualTo(ZooKeeperState.Closed));
            Assert.Throws<ObjectDisposedException>(() => client.GetDataAsync("/"));
            Assert.ThrowsAsync<ObjectDisposedException>(() => client.ConnectAsync());
        });
    }

    [Test]
    public async Task Disposal_while_connecting_is_prompt_and_fails_waiting_operations()
    {
        // A server that accepts and never answers: the client is stuck in its handshake.
        await using var silent = new ScriptedServer(async (stream, token) => await Task.Delay(Timeout.Infinite, token));
        var client = Client(silent.ConnectString, sessionTimeout: TimeSpan.FromSeconds(30));
        var connecting = client.ConnectAsync();
        var operation = client.GetDataAsync("/");
        await WaitUntilAsync(() => silent.Connections > 0, "the client reached the server");

        var watch = Stopwatch.StartNew();
        await client.DisposeAsync();
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)));
        Assert.That(() => connecting, Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(() => operation, Throws.InstanceOf<ConnectionLossException>());
    }

    [Test]
    public async Task Operations_in_flight_when_closing_are_answered_first()
    {
        var client = await ConnectedAsync(SharedServer.ConnectString);
        var root = UniqueRoot("inflight");
        var creates = new List<Task<string>>();
        for (var i = 0; i < 50; i++)
        {
            creates.Add(client.CreateAsync(root + "-" + i));
        }
        await client.DisposeAsync();
        var paths = await Task.WhenAll(creates);
        Assert.That(paths, Has.Length.EqualTo(50));
    }

    internal static int DeadPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
