namespace Kafka.ZooKeeper.Internal;

/// <summary>ZooKeeper's path rules, and the mapping between client paths and chroot-prefixed server paths.</summary>
internal static class ZooKeeperPath
{
    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="path"/> is a valid node path.</summary>
    public static void Validate(string path, string paramName, bool sequential = false)
    {
        ArgumentNullException.ThrowIfNull(path, paramName);
        if (path.Length == 0 || path[0] != '/')
        {
            throw new ArgumentException($"The path '{path}' must start with '/'.", paramName);
        }
        if (path.Length == 1)
        {
            return; // The root; as a sequential prefix, the server appends the suffix to it.
        }
        // A sequential create may end in '/': the server appends the suffix.
        var end = sequential && path[^1] == '/' ? path.Length - 1 : path.Length;
        if (!sequential && path[^1] == '/')
        {
            throw new ArgumentException($"The path '{path}' must not end with '/'.", paramName);
        }

        var segmentStart = 1;
        for (var i = 1; i <= end; i++)
        {
            if (i == end || path[i] == '/')
            {
                var length = i - segmentStart;
                if (length == 0)
                {
                    throw new ArgumentException($"The path '{path}' has an empty segment.", paramName);
                }
                if ((length == 1 && path[segmentStart] == '.') || (length == 2 && path[segmentStart] == '.' && path[segmentStart + 1] == '.'))
                {
                    throw new ArgumentException($"The path '{path}' has a relative segment ('.' or '..').", paramName);
                }
                segmentStart = i + 1;
                continue;
            }
            var c = path[i];
            if (c == '\0' || (c > '\u0000' && c <= '\u001f') || (c >= '\u007f' && c <= '\u009f')
                || (c >= '\ud800' && c <= '\uf8ff') || (c >= '\ufff0' && c <= '\uffff'))
            {
                throw new ArgumentException($"The path '{path}' has an invalid character (U+{(int)c:X4}) at {i}.", paramName);
            }
        }
    }

    /// <summary>The server path of <paramref name="clientPath"/> under <paramref name="chroot"/>.</summary>
    public static string ToServer(string? chroot, string clientPath) =>
        chroot is null ? clientPath : clientPath.Length == 1 ? chroot : string.Concat(chroot, clientPath);

    /// <summary>The client path of a path the server sent, with the chroot removed.</summary>
    public static string ToClient(string? chroot, string serverPath)
    {
        if (chroot is null)
        {
            return serverPath;
        }
        if (serverPath.Length == chroot.Length && serverPath.Equals(chroot, StringComparison.Ordinal))
        {
            return "/";
        }
        if (serverPath.Length > chroot.Length && serverPath[chroot.Length] == '/'
            && serverPath.StartsWith(chroot, StringComparison.Ordinal))
        {
            return serverPath[chroot.Length..];
        }
        return serverPath;
    }
}
