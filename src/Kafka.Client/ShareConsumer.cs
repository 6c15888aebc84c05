using Kafka.Client.Internal;
using Kafka.Client.Internal.Sharing;
using Microsoft.Extensions.Logging;

namespace Kafka.Client;

/// <summary>
/// A member of a share group (KIP-932, Kafka 4.1+): queue semantics over Kafka topics. The broker hands each record to
/// one member at a time, locked to it for the group's acquisition lock duration, and the member acknowledges it:
/// <see cref="ShareAcknowledgeType.Accept"/> (done), <see cref="ShareAcknowledgeType.Release"/> (deliver again, to anyone)
/// or <see cref="ShareAcknowledgeType.Reject"/> (never again). Any number of members may share one partition; there is
/// no per-partition order and no offset to commit. Created by <see cref="KafkaClient.GetShareConsumer"/>.
/// </summary>
/// <remarks>
/// <para>
/// A background loop heartbeats the group (ShareGroupHeartbeat) and learns the partitions the member shares; each
/// <see cref="PollAsync"/> fetches from their leaders (ShareFetch, one share session per broker) and carries the
/// acknowledgements made since the last one. With <see cref="ShareAcknowledgementMode.Implicit"/> a poll first accepts
/// every record of the previous poll that was not acknowledged explicitly; <see cref="CommitAsync"/> sends the
/// acknowledgements at once (ShareAcknowledge) and reports those the broker refused.
/// </para>
/// <para>
/// Each message carries <see cref="ConsumedMessage.DeliveryCount"/>. A record not acknowledged before its lock runs
/// out goes back to the group and comes again, to any member, with a higher count; the broker archives a record once it
/// has been delivered <c>group.share.delivery.count.limit</c> times. Disposing closes the share sessions (the
/// broker releases what was not acknowledged) and leaves the group.
/// </para>
/// <para>
/// <see cref="PollAsync"/> is for one caller at a time; <see cref="Acknowledge"/> may be called from any thread.
/// </para>
/// </remarks>
public sealed class ShareConsumer : IAsyncDisposable, IDisposable
{
    private readonly Cluster _cluster;
    private readonly ShareConsumerOptions _options;
    private readonly ShareGroupMember _member;
    private readonly ShareFetcher _fetcher;
    private readonly CancellationTokenSource _lifetime = new();
    private IReadOnlyList<ConsumedMessage> _lastPoll = [];
    private int _polling;
    private int _disposed;

    internal ShareConsumer(Cluster cluster, IReadOnlyList<string> topics, string groupId, ShareConsumerOptions? options)
    {
        ArgumentNullException.ThrowIfNull(topics);
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        var distinct = topics.Distinct(StringComparer.Ordinal).ToArray();
        if (distinct.Length == 0 || Array.Exists(distinct, string.IsNullOrEmpty))
        {
            throw new ArgumentException("A share consumer subscribes to at least one topic, and topic names are not empty.", nameof(topics));
        }
        options = (options ?? new ShareConsumerOptions()).Clone();
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException($"Invalid share consumer options: {string.Join(" ", errors)}", nameof(options));
        }
        Array.Sort(distinct, StringComparer.Ordinal);
        _cluster = cluster;
        _options = options;
        var logger = cluster.Settings.LoggerFactory.CreateLogger("Kafka.Client.ShareConsumer");
        Topics = distinct;
        GroupId = groupId;
        _member = new ShareGroupMember(cluster, groupId, distinct, options, logger);
        _fetcher = new ShareFetcher(cluster, options, _member, logger, _lifetime.Token);
        _member.Start();
    }

    /// <summary>The share group.</summary>
    public string GroupId { get; }

    /// <summary>The topics this member subscribes to.</summary>
    public IReadOnlyList<string> Topics { get; }

    /// <summary>The member id this consumer chose for itself and keeps for its whole life.</summary>
    public string MemberId => _member.MemberId;

    /// <summary>The member's epoch in the group (0 until it has joined).</summary>
    public int MemberEpoch => _member.Epoch;

    /// <summary>The partitions the coordinator gave this member to share (other members may share them too).</summary>
    public IReadOnlyList<TopicAndPartition> Assignment =>
        [.. _member.Assignment.Select(p => new TopicAndPartition(p.Topic, p.Partition))];

    /// <summary>
    /// Fetches the next records from the partitions this member shares, first sending the acknowledgements made since the
    /// last poll (and, in <see cref="ShareAcknowledgementMode.Implicit"/> mode, accepting the previous poll's records that
    /// were not acknowledged). Returns after at most about <see cref="ShareConsumerOptions.FetchWaitMax"/>, possibly with
    /// no records (before the member has joined, or when there is nothing to hand out).
    /// </summary>
    /// <param name="cancellationToken">Stops waiting; acknowledgements not yet sent stay pending.</param>
    /// <returns>The records, each owning its bytes, with <see cref="ConsumedMessage.DeliveryCount"/> set.</returns>
    /// <exception cref="KafkaException">The member failed for good (for example <see cref="KafkaVersionException"/> when the brokers have no share groups, or a group authorization failure).</exception>
    /// <exception cref="InvalidOperationException">Another poll is running.</exception>
    /// <exception cref="ObjectDisposedException">The consumer was disposed.</exception>
    public async ValueTask<IReadOnlyList<ConsumedMessage>> PollAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _polling, 1) == 1)
        {
            throw new InvalidOperationException("A share consumer polls for one caller at a time.");
        }
        try
        {
            _fetcher.ThrowIfFailed();
            if (_options.AcknowledgementMode == ShareAcknowledgementMode.Implicit)
            {
                _fetcher.AcknowledgeRemaining(_lastPoll, ShareAcknowledgeType.Accept);
            }
            _lastPoll = [];
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
            var messages = await _fetcher.FetchAsync(linked.Token).ConfigureAwait(false);
            _lastPoll = messages;
            return messages;
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ObjectDisposedException(nameof(ShareConsumer));
        }
        finally
        {
            Volatile.Write(ref _polling, 0);
        }
    }

    /// <summary>
    /// Acknowledges one record this consumer received. The acknowledgement goes to the broker with the next poll, or at
    /// once with <see cref="CommitAsync"/>. In <see cref="ShareAcknowledgementMode.Implicit"/> mode, records of the
    /// last poll not acknowledged this way are accepted by the next poll.
    /// </summary>
    /// <param name="message">A record returned by <see cref="PollAsync"/>.</param>
    /// <param name="type">Accept (done), Release (deliver again now) or Reject (never again).</param>
    /// <exception cref="InvalidOperationException">The record was not delivered by this consumer, or was acknowledged already.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="type"/> is not Accept, Release or Reject.</exception>
    /// <exception cref="ObjectDisposedException">The consumer was disposed: its share sessions are closed and the broker has released the record.</exception>
    public void Acknowledge(ConsumedMessage message, ShareAcknowledgeType type = ShareAcknowledgeType.Accept)
    {
        ArgumentNullException.ThrowIfNull(message);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (type is not (ShareAcknowledgeType.Accept or ShareAcknowledgeType.Release or ShareAcknowledgeType.Reject))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "A record is acknowledged with Accept, Release or Reject.");
        }
        _fetcher.Acknowledge(message, type);
    }

    /// <summary>
    /// Sends every acknowledgement made so far now (ShareAcknowledge to each broker), and returns those the brokers
    /// refused since the last call — here or with a poll — typically because a record's acquisition lock had run out
    /// and the group had handed it to someone else, or because the share session that held the record was lost before
    /// its acknowledgement went out (<see cref="KafkaErrorCode.ShareSessionNotFound"/>). Each refusal is logged too;
    /// the latest 1,000 are kept for this call.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting for the answers.</param>
    /// <exception cref="ObjectDisposedException">The consumer was disposed.</exception>
    public async Task<IReadOnlyList<ShareAcknowledgementFailure>> CommitAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return await _fetcher.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends what was acknowledged, closes the share sessions (the brokers release the rest) and leaves the group.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _lifetime.CancelAsync().ConfigureAwait(false);
        while (Volatile.Read(ref _polling) != 0)
        {
            await Task.Yield();
        }
        if (_options.AcknowledgementMode == ShareAcknowledgementMode.Implicit)
        {
            _fetcher.AcknowledgeRemaining(_lastPoll, ShareAcknowledgeType.Accept);
        }
        using (var timeout = new CancellationTokenSource(_cluster.Settings.SocketTimeout, _cluster.Settings.TimeProvider))
        {
            await _fetcher.CloseAsync(timeout.Token).ConfigureAwait(false);
        }
        await _member.DisposeAsync().ConfigureAwait(false);
        await _fetcher.DisposeAsync().ConfigureAwait(false);
        _lifetime.Dispose();
    }

    /// <summary>Disposes without waiting; prefer <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => _ = DisposeAsync().AsTask();

    /// <inheritdoc/>
    public override string ToString() => $"ShareConsumer({GroupId}, member {MemberId})";
}
