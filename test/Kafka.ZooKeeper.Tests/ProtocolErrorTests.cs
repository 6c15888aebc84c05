using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using static Kafka.ZooKeeper.Tests.TestSupport;

namespace Kafka.ZooKeeper.Tests;

/// <summary>A server that breaks the protocol: the client drops the connection at once instead of hanging.</summary>
public sealed class ProtocolErrorTests
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(10);

    [Test]
    public async Task Garbage_instead_of_a_handshake_is_a_protocol_error()
    {
        // What connecting to an HTTP server looks like: "HTTP" read as a length is far above the limit.
        await using var server = new ScriptedServer(async (stream, token) =>
        {
            await ScriptedServer.ReadFrameAsync(stream, token);
            await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 400 Bad Request\r\n\r\n"), token);
            await Task.Delay(Timeout.Infinite, token);
        });
        await AssertConnectFailsWithProtocolErrorAsync(server);
    }

    [TestCase(int.MaxValue)]
    [TestCase(-5)]
    [TestCase(3)]
    public async Task An_impossible_handshake_length_is_a_protocol_error(int length)
    {
        await using var server = new ScriptedServer(async (stream, token) =>
        {
            await ScriptedServer.ReadFrameAsync(stream, token);
            var frame = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(frame, length);
            await stream.WriteAsync(frame, token);
            await Task.Delay(Timeout.Infinite, token); // Keeps the socket open: the client must not wait for a body.
        });
        await AssertConnectFailsWithProtocolErrorAsync(server);
    }

    [Test]
    public async Task A_truncated_handshake_is_a_protocol_error()
    {
        await using var server = new ScriptedServer(async (stream, token) =>
        {
            await ScriptedServer.ReadFrameAsync(stream, token);
            // A ConnectResponse whose password claims more bytes than the frame holds.
            var frame = new byte[4 + 20];
            BinaryPrimitives.WriteInt32BigEndian(frame, 20);
            BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(8), 4000);
            BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(20), 1000);
            await stream.WriteAsync(frame, token);
            await Task.Delay(Timeout.Infinite, token);
        });
        await AssertConnectFailsWithProtocolErrorAsync(server);
    }

    [Test]
    public async Task A_reply_out_of_order_is_a_connection_loss()
    {
        await using var server = new ScriptedServer(async (stream, token) =>
        {
            await ScriptedServer.HandshakeAsync(stream, token);
            var xid = await ScriptedServer.ReadRequestXidAsync(stream, token);
            await stream.WriteAsync(ScriptedServer.Reply(xid + 1, 10, 0, new byte[68]), token);
            await Task.Delay(Timeout.Infinite, token);
        });
        var error = await AssertOperationLosesConnectionAsync(server);
        Assert.That(error.InnerException!.Message, Does.Contain("out of order"));
    }

    [Test]
    public async Task An_oversized_reply_is_a_connection_loss_without_waiting_for_its_body()
    {
        await using var server = new ScriptedServer(async (stream, token) =>
        {
            await ScriptedServer.HandshakeAsync(stream, token);
            await ScriptedServer.ReadRequestXidAsync(stream, token);
            var frame = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(frame, ZooKeeperClientOptions.JuteMaxBuffer + (1024 * 1024) + 1);
            await stream.WriteAsync(frame, token);
            await Task.Delay(Timeout.Infinite, token);
        });
        await AssertOperationLosesConnectionAsync(server);
    }

    [Test]
    public async Task A_malformed_reply_body_is_a_connection_loss()
    {
        await using var server = new ScriptedServer(async (stream, token) =>
        {
            await ScriptedServer.HandshakeAsync(stream, token);
            var xid = await ScriptedServer.ReadRequestXidAsync(stream, token);
            // An exists reply must carry a 68-byte Stat; this one has 10 bytes.
            await stream.WriteAsync(ScriptedServer.Reply(xid, 10, 0, new byte[10]), token);
            await Task.Delay(Timeout.Infinite, token);
        });
        await AssertOperationLosesConnectionAsync(server);
    }

    [Test]
    public async Task A_reply_with_no_request_outstanding_is_a_connection_loss()
    {
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new ScriptedServer(async (stream, token) =>
        {
            await ScriptedServer.HandshakeAsync(stream, token);
            await stream.WriteAsync(ScriptedServer.Reply(7, 10, 0), token);
            await Task.Delay(Timeout.Infinite, token);
        });
        await using var client = Client(server.ConnectString, sessionTimeout: TimeSpan.FromSeconds(10));
        client.StateChanged += (_, e) =>
        {
            if (e.State == ZooKeeperState.Disconnected)
            {
                lost.TrySetResult();
            }
        };
        await client.ConnectAsync();
        await lost.Task.WaitAsync(Prompt);
    }

    private static async Task AssertConnectFailsWithProtocolErrorAsync(ScriptedServer server)
    {
        await using var client = Client(server.ConnectString, sessionTimeout: TimeSpan.FromSeconds(30), connectTimeout: TimeSpan.FromSeconds(1));
        var watch = Stopwatch.StartNew();
        var error = Assert.ThrowsAsync<ConnectionLossException>(() => client.ConnectAsync());
        Assert.Multiple(() =>
        {
            Assert.That(error!.InnerException, Is.InstanceOf<InvalidDataException>());
            Assert.That(watch.Elapsed, Is.LessThan(Prompt));
            Assert.That(server.Connections, Is.GreaterThanOrEqualTo(1));
        });
    }

    private static async Task<ConnectionLossException> AssertOperationLosesConnectionAsync(ScriptedServer server)
    {
        // A long session timeout: only the protocol error can end the connection within the test's deadline.
        await using var client = Client(server.ConnectString, sessionTimeout: TimeSpan.FromSeconds(30));
        await client.ConnectAsync();
        var watch = Stopwatch.StartNew();
        var error = Assert.ThrowsAsync<ConnectionLossException>(() => client.ExistsAsync("/node"));
        Assert.Multiple(() =>
        {
            Assert.That(error!.InnerException, Is.InstanceOf<InvalidDataException>());
            Assert.That(watch.Elapsed, Is.LessThan(Prompt));
        });
        return error!;
    }
}
