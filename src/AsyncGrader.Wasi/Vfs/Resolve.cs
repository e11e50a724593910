using AsyncGrader.Wasi.Vfs;

namespace AsyncGrader.Wasi;

/// <summary>
/// Path resolution relative to a directory fd. Paths never escape the fd's directory: a '..' above
/// it, an absolute path, or a symlink whose target is absolute or climbs out → ENOTCAPABLE.
/// At most 40 symlinks are followed per lookup (→ ELOOP).
/// </summary>
public sealed partial class WasiContext
{
    private const int MaxSymlinks = 40;

    /// <summary>Result of resolving all but the last component.</summary>
    internal readonly record struct ParentRef(VDirectory Dir, string DirPath, string Name, bool TrailingSlash)
    {
        public string ChildPath => PathUtil.Join(DirPath, Name);
    }

    internal VNode? Child(VDirectory dir, string dirPath, string name)
    {
        if (Mounts.Count > 1 && Mounts.TryGetValue(PathUtil.Join(dirPath, name), out var m)) return m;
        return dir.Get(name);
    }

    internal bool IsMountPoint(string path) => Mounts.ContainsKey(path);

    /// <summary>Resolves <paramref name="path"/> from <paramref name="dirFd"/>; ENOENT when missing.</summary>
    internal (VNode Node, string Path) Lookup(FdEntry dirFd, string path, bool follow)
    {
        var err = TryLookup(dirFd, path, follow, out var node, out var p);
        if (err != Errno.Success) throw new WasiErrnoException(err);
        return (node!, p!);
    }

    /// <summary>
    /// <see cref="Lookup"/> without exceptions: a missing path is common (stat and open probes of the
    /// import system), and throwing costs far more than the lookup itself.
    /// </summary>
    internal Errno TryLookup(FdEntry dirFd, string path, bool follow, out VNode? node, out string? nodePath) =>
        Walk(dirFd, path, follow, parentOnly: false, out node, out nodePath, out _);

    /// <summary>Resolves every component but the last (following symlinks) and returns the parent and the last name.</summary>
    internal ParentRef LookupParent(FdEntry dirFd, string path)
    {
        var err = Walk(dirFd, path, follow: true, parentOnly: true, out var node, out var p, out var last);
        if (err != Errno.Success) throw new WasiErrnoException(err);
        return new ParentRef((VDirectory)node!, p!, last.Name, last.Trailing);
    }

    private Errno Walk(FdEntry dirFd, string path, bool follow, bool parentOnly,
        out VNode? resultNode, out string? resultPath, out (string Name, bool Trailing) last)
    {
        resultNode = null;
        resultPath = null;
        last = default;
        if (dirFd.Node is not VDirectory start) return Errno.NotDir;
        if (path.Length == 0) return Errno.NoEnt;
        if (path[0] == '/') return Errno.NotCapable;

        var stack = new List<(VNode Node, string Path)> { (start, dirFd.Path) };
        var queue = new List<string>(path.Split('/'));
        bool trailing = path.EndsWith('/');
        // Drop empty components ("a//b", trailing "/"); keep the trailing-slash fact.
        queue.RemoveAll(c => c.Length == 0);
        if (queue.Count == 0) queue.Add(".");
        int links = 0;

        while (queue.Count > 0)
        {
            string comp = queue[0];
            queue.RemoveAt(0);
            bool isLast = queue.Count == 0;
            var (cur, curPath) = stack[^1];

            if (isLast && parentOnly)
            {
                if (cur is not VDirectory pd) return Errno.NotDir;
                (resultNode, resultPath, last) = (pd, curPath, (comp, trailing));
                return Errno.Success;
            }
            if (comp == ".")
            {
                if (cur is not VDirectory) return Errno.NotDir;
                continue;
            }
            if (comp == "..")
            {
                if (cur is not VDirectory) return Errno.NotDir;
                if (stack.Count == 1) return Errno.NotCapable;
                stack.RemoveAt(stack.Count - 1);
                continue;
            }
            if (cur is not VDirectory dir) return Errno.NotDir;
            var child = Child(dir, curPath, comp);
            if (child is null) return Errno.NoEnt;
            if (child is VSymlink link && (!isLast || follow || trailing))
            {
                if (++links > MaxSymlinks) return Errno.Loop;
                if (link.Target.Length == 0) return Errno.NoEnt;
                if (link.Target[0] == '/') return Errno.NotCapable;
                var parts = link.Target.Split('/', StringSplitOptions.RemoveEmptyEntries);
                if (link.Target.EndsWith('/') && isLast) trailing = true;
                queue.InsertRange(0, parts.Length == 0 ? ["."] : parts);
                continue;
            }
            stack.Add((child, PathUtil.Join(curPath, comp)));
        }
        var (node, nodePath) = stack[^1];
        if (trailing && node is not VDirectory) return Errno.NotDir;
        (resultNode, resultPath) = (node, nodePath);
        return Errno.Success;
    }
}
