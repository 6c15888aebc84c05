using System.Collections;
using System.Diagnostics.CodeAnalysis;
using Kafka.Client.Protocol;

namespace Kafka.Client;

/// <summary>
/// The cluster's topics by name (pykafka's <c>TopicDict</c>). Lookups read the latest metadata snapshot and do no
/// I/O; <see cref="GetAsync"/> asks the cluster for a topic it does not know yet. The dictionary holds only weak
/// references to <see cref="Topic"/> objects: one that nobody holds may be collected and is rebuilt from current
/// metadata on the next lookup, while those held by user code are updated in place by every refresh.
/// With <see cref="KafkaClientOptions.ExcludeInternalTopics"/> internal topics are not listed and not found.
/// </summary>
public sealed class TopicDictionary : IReadOnlyDictionary<string, Topic>
{
    private readonly Cluster _cluster;
    private readonly Dictionary<string, WeakReference<Topic>> _live = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    internal TopicDictionary(Cluster cluster) => _cluster = cluster;

    /// <summary>The topic named <paramref name="name"/>; <see cref="KeyNotFoundException"/> naming it if the metadata lacks it.</summary>
    public Topic this[string name] =>
        TryGetValue(name, out var topic)
            ? topic
            : throw new KeyNotFoundException(DescribeMissing(name));

    /// <summary>The names of the visible topics.</summary>
    public IEnumerable<string> Keys
    {
        get
        {
            foreach (var (name, metadata) in _cluster.Snapshot.Topics)
            {
                if (IsVisible(metadata))
                {
                    yield return name;
                }
            }
        }
    }

    /// <summary>Every visible topic (building the ones not held yet).</summary>
    public IEnumerable<Topic> Values
    {
        get
        {
            foreach (var name in Keys)
            {
                if (TryGetValue(name, out var topic))
                {
                    yield return topic;
                }
            }
        }
    }

    /// <summary>The number of visible topics.</summary>
    public int Count => Keys.Count();

    /// <summary>Whether the metadata lists a visible topic named <paramref name="key"/>.</summary>
    public bool ContainsKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _cluster.Snapshot.Topics.TryGetValue(key, out var metadata) && IsVisible(metadata);
    }

    /// <summary>Looks a topic up in the latest metadata, without I/O.</summary>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out Topic value)
    {
        ArgumentNullException.ThrowIfNull(key);
        var snapshot = _cluster.Snapshot;
        if (!snapshot.Topics.TryGetValue(key, out var metadata) || !IsVisible(metadata))
        {
            value = null;
            return false;
        }
        lock (_lock)
        {
            if (_live.TryGetValue(key, out var weak) && weak.TryGetTarget(out var existing))
            {
                value = existing;
                return true;
            }
            value = new Topic(_cluster, metadata);
            _live[key] = new WeakReference<Topic>(value);
            return true;
        }
    }

    /// <summary>
    /// The topic named <paramref name="name"/>, asking the cluster for its metadata if the latest snapshot lacks
    /// it. Where the brokers allow it (<c>auto.create.topics.enable</c>) this creates the topic.
    /// </summary>
    /// <exception cref="KeyNotFoundException">The topic is internal and hidden by ExcludeInternalTopics.</exception>
    /// <exception cref="KafkaBrokerException">The cluster does not have the topic and did not create it, or refused the name.</exception>
    public async Task<Topic> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (TryGetValue(name, out var topic))
        {
            return topic;
        }
        await _cluster.FetchTopicAsync(name, cancellationToken).ConfigureAwait(false);
        return TryGetValue(name, out topic) ? topic : throw new KeyNotFoundException(DescribeMissing(name));
    }

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, Topic>> GetEnumerator()
    {
        foreach (var name in Keys)
        {
            if (TryGetValue(name, out var topic))
            {
                yield return new KeyValuePair<string, Topic>(name, topic);
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Brings every topic still held by user code up to date with a new snapshot.</summary>
    internal void Refresh(Internal.ClusterSnapshot snapshot)
    {
        lock (_lock)
        {
            List<string>? gone = null;
            foreach (var (name, weak) in _live)
            {
                if (weak.TryGetTarget(out var topic) && snapshot.Topics.TryGetValue(name, out var metadata))
                {
                    topic.Update(metadata, snapshot);
                }
                else
                {
                    (gone ??= []).Add(name);
                }
            }
            if (gone is not null)
            {
                foreach (var name in gone)
                {
                    _live.Remove(name);
                }
            }
        }
    }

    private bool IsVisible(MetadataTopic metadata) =>
        !(_cluster.ExcludeInternalTopics && Cluster.IsInternalTopic(metadata));

    private string DescribeMissing(string name)
    {
        if (_cluster.Snapshot.Topics.TryGetValue(name, out var metadata) && !IsVisible(metadata))
        {
            return $"Topic '{name}' is internal and hidden because ExcludeInternalTopics is true.";
        }
        return $"Topic '{name}' is not in the cluster metadata; call UpdateClusterAsync, or Topics.GetAsync to ask the cluster for it.";
    }
}
