using System.Diagnostics;
using Kafka.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Kafka.Client.Tests.Sasl;

/// <summary>
/// Drives the fake clock the client and the SASL proxies share, so that sessions expire in a fraction of a second of real
/// time: it moves a twenty-fifth of the session lifetime at a time (less than the 5% the client keeps in hand), and never
/// past the end of an open session that has not been renewed yet. A client that did not re-authenticate in time stops the
/// clock, and the test fails naming the session, instead of the proxy closing the connection by a race.
/// </summary>
internal sealed class SessionClock(FakeTimeProvider clock, IEnumerable<SaslProxy> proxies, TimeSpan lifetime)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly SaslProxy[] _proxies = [.. proxies];
    private readonly TimeSpan _step = lifetime / 25;

    public FakeTimeProvider Clock => clock;

    public int Steps { get; private set; }

    public int Reauthentications => _proxies.Sum(p => p.ReauthenticationCount);

    /// <summary>Moves the clock on until <paramref name="condition"/> holds.</summary>
    public async Task RunUntilAsync(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            var next = clock.GetUtcNow() + _step;
            while (_proxies.Any(p => p.EarliestSessionExpiry is { } end && end <= next))
            {
                Assert.That(watch.Elapsed, Is.LessThan(Deadline),
                    $"waiting for {what}: a session ending by {next:O} was not renewed ({string.Join("; ", _proxies.SelectMany(p => p.Failures))})");
                await Task.Delay(1);
            }
            Assert.That(_proxies.Sum(p => p.ExpiredSessionsClosed), Is.Zero, string.Join("; ", _proxies.SelectMany(p => p.Failures)));
            clock.Advance(_step);
            Steps++;
            await Task.Delay(1);
            Assert.That(watch.Elapsed, Is.LessThan(Deadline), $"waiting for {what} ({Steps} steps, {Reauthentications} re-authentications)");
        }
    }
}
