using Microsoft.Extensions.Logging;

namespace Kafka.ZooKeeper.Internal;

// The request records of the operations the client supports, one class per opcode.

internal sealed class CreateRequest(string path, ReadOnlyMemory<byte> data, CreateMode mode)
    : Request<string>(Jute.OpCreate, path)
{
    private ReadOnlyMemory<byte> _data = data;

    protected override void WriteBody(ref JuteWriter writer, string? chroot)
    {
        writer.WriteString(ZooKeeperPath.ToServer(chroot, Path!));
        writer.WriteBuffer(_data.Span);
        WriteOpenAcl(ref writer);
        writer.WriteInt32((int)mode);
        _data = default; // Copied into the frame: the caller's memory is not held.
    }

    protected override string ReadReply(ref JuteReader reader, RequestContext context) =>
        ZooKeeperPath.ToClient(context.Chroot, reader.ReadString() ?? throw new InvalidDataException("The create reply has no path."));
}

internal sealed class DeleteRequest(string path, int version) : Request<bool>(Jute.OpDelete, path)
{
    protected override void WriteBody(ref JuteWriter writer, string? chroot)
    {
        writer.WriteString(ZooKeeperPath.ToServer(chroot, Path!));
        writer.WriteInt32(version);
    }

    protected override bool ReadReply(ref JuteReader reader, RequestContext context) => true;
}

internal sealed class ExistsRequest(string path) : Request<Stat?>(Jute.OpExists, path)
{
    protected override void WriteBody(ref JuteWriter writer, string? chroot)
    {
        writer.WriteString(ZooKeeperPath.ToServer(chroot, Path!));
        writer.WriteBoolean(Watcher is not null);
    }

    protected override Stat? ReadReply(ref JuteReader reader, RequestContext context) => reader.ReadStat();

    protected override bool TryReadError(ZooKeeperErrorCode code, out Stat? result)
    {
        result = null;
        return code == ZooKeeperErrorCode.NoNode;
    }

    // The server sets an exists watch even on a missing node: it then fires on creation.
    protected override WatchKind? WatchKindFor(ZooKeeperErrorCode code) => code switch
    {
        ZooKeeperErrorCode.Ok => WatchKind.Data,
        ZooKeeperErrorCode.NoNode => WatchKind.Exist,
        _ => null,
    };
}

internal sealed class GetDataRequest(string path) : Request<DataResult>(Jute.OpGetData, path)
{
    protected override void WriteBody(ref JuteWriter writer, string? chroot)
    {
        writer.WriteString(ZooKeeperPath.ToServer(chroot, Path!));
        writer.WriteBoolean(Watcher is not null);
    }

    protected override DataResult ReadReply(ref JuteReader reader, RequestContext context)
    {
        var data = reader.ReadBuffer();
        return new DataResult(data, reader.ReadStat());
    }

    protected override WatchKind? WatchKindFor(ZooKeeperErrorCode code) =>
        code == ZooKeeperErrorCode.Ok ? WatchKind.Data : null;
}

internal sealed class SetDataRequest(string path, ReadOnlyMemory<byte> data, int version) : Request<Stat>(Jute.OpSetData, path)
{
    private ReadOnlyMemory<byte> _data = data;

    protected override void WriteBody(ref JuteWriter writer, string? chroot)
    {
        writer.WriteString(ZooKeeperPath.ToServer(chroot, Path!));
        writer.WriteBuffer(_data.Span);
        writer.WriteInt32(version);
        _data = default;
    }

    protected override Stat ReadReply(ref JuteReader reader, RequestContext context) => reader.ReadStat();
}

internal sealed class GetChildrenRequest(string path) : Request<ChildrenResult>(Jute.OpGetChildren2, path)
{
    protected override void WriteBody(ref JuteWriter writer, string? chroot)
    {
        writer.WriteString(ZooKeeperPath.ToServer(chroot, Path!));
        writer.WriteBoolean(Watcher is not null);
    }

    protected override ChildrenResult ReadReply(ref JuteReader reader, RequestContext context)
    {
        var count = reader.ReadVectorCount(minElementSize: 4);
        var children = count <= 0 ? [] : new string[count];
        for (var i = 0; i < children.Length; i++)
        {
            children[i] = reader.ReadString() ?? throw new InvalidDataException("A child name is null.");
        }
        return new ChildrenResult(children, reader.ReadStat());
    }

    protected override WatchKind? WatchKindFor(ZooKeeperErrorCode code) =>
        code == ZooKeeperErrorCode.Ok ? WatchKind.Child : null;
}

internal sealed class MultiRequest(IReadOnlyList<ZooKeeperOp> operations)
    : Request<IReadOnlyList<ZooKeeperOpResult>>(Jute.OpMulti, null)
{
    private IReadOnlyList<ZooKeeperOp> _operations = operations;

    protected override void WriteBody(ref JuteWriter writer, string? chroot)
    {
        for (var i = 0; i < _operations.Count; i++)
        {
            var op = _operations[i];
            var path = ZooKeeperPath.ToServer(chroot, op.Path);
            writer.WriteInt32((int)op.Type);
            writer.WriteBoolean(false);
            writer.WriteInt32(-1);
            switch (op.Type)
            {
                case ZooKeeperOpType.Create:
                    writer.WriteString(path);
                    writer.WriteBuffer(op.Data.Span);
                    WriteOpenAcl(ref writer);
                    writer.WriteInt32((int)op.Mode);
                    break;
                case ZooKeeperOpType.Delete:
                case ZooKeeperOpType.Check:
                    writer.WriteString(path);
                    writer.WriteInt32(op.Version);
                    break;
                case ZooKeeperOpType.SetData:
                    writer.WriteString(path);
                    writer.WriteBuffer(op.Data.Span);
                    writer.WriteInt32(op.Version);
                    break;
                default:
                    throw new ArgumentException($"Unsupported operation type {op.Type}.", nameof(operations));
            }
        }
        writer.WriteInt32(-1);
        writer.WriteBoolean(true);
        writer.WriteInt32(-1);
    }

    protected override IReadOnlyList<ZooKeeperOpResult> ReadReply(ref JuteReader reader, RequestContext context)
    {
        var operations = _operations;
        var results = new ZooKeeperOpResult[operations.Count];
        var failedIndex = -1;
        var failedCode = ZooKeeperErrorCode.Ok;
        var index = 0;
        while (true)
        {
            var type = reader.ReadInt32();
            var done = reader.ReadBoolean();
            reader.ReadInt32(); // The header's err; an error result carries its code in its body.
            if (done)
            {
                break;
            }
            if (index >= operations.Count)
            {
                throw new InvalidDataException($"The multi reply has more results than the {operations.Count} operations sent.");
            }
            var opType = operations[index].Type;
            switch (type)
            {
                case Jute.OpError:
                    var code = (ZooKeeperErrorCode)reader.ReadInt32();
                    // Operations before the failed one read Ok, those after it RuntimeInconsistency.
                    if (code != ZooKeeperErrorCode.Ok && failedIndex < 0)
                    {
                        failedIndex = index;
                        failedCode = code;
                    }
                    break;
                case Jute.OpCreate:
                    results[index] = new ZooKeeperOpResult(opType, ToClientPath(ref reader, context), null);
                    break;
                case Jute.OpCreate2:
                    var created = ToClientPath(ref reader, context);
                    results[index] = new ZooKeeperOpResult(opType, created, reader.ReadStat());
                    break;
                case Jute.OpSetData:
                    results[index] = new ZooKeeperOpResult(opType, null, reader.ReadStat());
                    break;
                case Jute.OpDelete:
                case Jute.OpCheck:
                    results[index] = new ZooKeeperOpResult(opType, null, null);
                    break;
                default:
                    throw new InvalidDataException($"Unexpected result type {type} in a multi reply.");
            }
            index++;
        }

        if (failedIndex >= 0)
        {
            var failed = operations[failedIndex];
            var exception = ZooKeeperException.Create(
                failedCode, failed.Path,
                $"The transaction failed at operation {failedIndex} ({failed.Type} {failed.Path}): {failedCode} ({(int)failedCode}); nothing was applied.");
            exception.FailedOperationIndex = failedIndex;
            throw exception;
        }
        if (index != operations.Count)
        {
            throw new InvalidDataException($"The multi reply has {index} results for {operations.Count} operations.");
        }
        _operations = [];
        return results;
    }

    private static string ToClientPath(ref JuteReader reader, RequestContext context) =>
        ZooKeeperPath.ToClient(context.Chroot, reader.ReadString() ?? throw new InvalidDataException("A created path is null."));
}

internal sealed class SetWatchesRequest(long relativeZxid, List<string> data, List<string> exist, List<string> child)
    : Request<bool>(Jute.OpSetWatches, null)
{
    public int Count => data.Count + exist.Count + child.Count;

    protected override void WriteBody(ref JuteWriter writer, string? chroot)
    {
        // The lists already hold server paths.
        writer.WriteInt64(relativeZxid);
        WriteList(ref writer, data);
        WriteList(ref writer, exist);
        WriteList(ref writer, child);
    }

    protected override bool ReadReply(ref JuteReader reader, RequestContext context) => true;

    protected override void OnCompleted(ILogger logger)
    {
        // Nobody awaits this request: report a refusal here.
        if (Task.Exception?.InnerException is ZooKeeperException { } error)
        {
            logger.SetWatchesFailed(error.Code);
        }
    }

    private static void WriteList(ref JuteWriter writer, List<string> paths)
    {
        writer.WriteInt32(paths.Count);
        foreach (var path in paths)
        {
            writer.WriteString(path);
        }
    }
}

internal sealed class CloseSessionRequest() : Request<bool>(Jute.OpCloseSession, null)
{
    protected override void WriteBody(ref JuteWriter writer, string? chroot)
    {
    }

    protected override bool ReadReply(ref JuteReader reader, RequestContext context) => true;

    // The closer may have stopped waiting; a late failure is already logged there.
    protected override void OnCompleted(ILogger logger) => _ = Task.Exception;
}
