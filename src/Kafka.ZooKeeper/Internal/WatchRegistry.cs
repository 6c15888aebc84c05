namespace Kafka.ZooKeeper.Internal;

/// <summary>
/// The client's one-shot watches, by kind and client path. A watch is taken out when its event arrives, so each
/// callback runs once; the same callback registered twice for a path runs once per event, as in ZooKeeper.
/// </summary>
internal sealed class WatchRegistry
{
    private readonly object _gate = new();
    private readonly Dictionary<string, HashSet<Action<WatchedEvent>>> _data = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<Action<WatchedEvent>>> _exist = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<Action<WatchedEvent>>> _child = new(StringComparer.Ordinal);

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _data.Count + _exist.Count + _child.Count;
            }
        }
    }

    public void Add(WatchKind kind, string path, Action<WatchedEvent> watcher)
    {
        lock (_gate)
        {
            var table = Table(kind);
            if (!table.TryGetValue(path, out var set))
            {
                set = [];
                table[path] = set;
            }
            set.Add(watcher);
        }
    }

    /// <summary>Takes out and returns the callbacks an event of <paramref name="type"/> on <paramref name="path"/> fires.</summary>
    public Action<WatchedEvent>[] Take(WatchedEventType type, string path)
    {
        HashSet<Action<WatchedEvent>>? fired = null;
        lock (_gate)
        {
            switch (type)
            {
                case WatchedEventType.NodeCreated:
                case WatchedEventType.NodeDataChanged:
                    TakeInto(_data, path, ref fired);
                    TakeInto(_exist, path, ref fired);
                    break;
                case WatchedEventType.NodeChildrenChanged:
                    TakeInto(_child, path, ref fired);
                    break;
                case WatchedEventType.NodeDeleted:
                    TakeInto(_data, path, ref fired);
                    TakeInto(_exist, path, ref fired);
                    TakeInto(_child, path, ref fired);
                    break;
                default:
                    break;
            }
        }
        if (fired is null)
        {
            return [];
        }
        var result = new Action<WatchedEvent>[fired.Count];
        fired.CopyTo(result);
        return result;
    }

    /// <summary>Takes out every watch, for the event that ends the session.</summary>
    public List<(string Path, Action<WatchedEvent> Watcher)> TakeAll()
    {
        var all = new List<(string, Action<WatchedEvent>)>();
        lock (_gate)
        {
            var seen = new HashSet<(string, Action<WatchedEvent>)>();
            AddAll(_data, all, seen);
            AddAll(_exist, all, seen);
            AddAll(_child, all, seen);
            _data.Clear();
            _exist.Clear();
            _child.Clear();
        }
        return all;
    }

    /// <summary>
    /// The server paths to register again after a reconnect, cut into batches of about
    /// <see cref="Jute.SetWatchesBatchBytes"/> bytes of path.
    /// </summary>
    public List<(List<string> Data, List<string> Exist, List<string> Child)> SnapshotForReconnect(string? chroot)
    {
        var batches = new List<(List<string>, List<string>, List<string>)>();
        lock (_gate)
        {
            if (_data.Count + _exist.Count + _child.Count == 0)
            {
                return batches;
            }
            var current = (Data: new List<string>(), Exist: new List<string>(), Child: new List<string>());
            var size = 0;
            void Append(Dictionary<string, HashSet<Action<WatchedEvent>>> table, int which)
            {
                foreach (var path in table.Keys)
                {
                    var serverPath = ZooKeeperPath.ToServer(chroot, path);
                    if (size > 0 && size + serverPath.Length > Jute.SetWatchesBatchBytes)
                    {
                        batches.Add(current);
                        current = (new List<string>(), new List<string>(), new List<string>());
                        size = 0;
                    }
                    (which == 0 ? current.Data : which == 1 ? current.Exist : current.Child).Add(serverPath);
                    size += serverPath.Length;
                }
            }
            Append(_data, 0);
            Append(_exist, 1);
            Append(_child, 2);
            batches.Add(current);
        }
        return batches;
    }

    private Dictionary<string, HashSet<Action<WatchedEvent>>> Table(WatchKind kind) => kind switch
    {
        WatchKind.Data => _data,
        WatchKind.Exist => _exist,
        _ => _child,
    };

    private static void TakeInto(
        Dictionary<string, HashSet<Action<WatchedEvent>>> table, string path, ref HashSet<Action<WatchedEvent>>? fired)
    {
        if (table.Remove(path, out var set))
        {
            if (fired is null)
            {
                fired = set;
            }
            else
            {
                fired.UnionWith(set);
            }
        }
    }

    private static void AddAll(
        Dictionary<string, HashSet<Action<WatchedEvent>>> table,
        List<(string, Action<WatchedEvent>)> all,
        HashSet<(string, Action<WatchedEvent>)> seen)
    {
        foreach (var (path, set) in table)
        {
            foreach (var watcher in set)
            {
                if (seen.Add((path, watcher)))
                {
                    all.Add((path, watcher));
                }
            }
        }
    }
}
