using System.Text;
using AsyncGrader.Wasi.Vfs;
using AsyncGrader.Wasm;
using static AsyncGrader.Wasi.GuestMemory;

namespace AsyncGrader.Wasi;

// https://github.com/WebAssembly/WASI/blob/snapshot-01/phases/snapshot/docs.md (path_* functions)
//
// Paths are UTF-8, relative to a directory fd, and resolved inside it (see Vfs/Resolve.cs). Common errno cases:
//   EBADF        the dir fd is not open;   ENOTDIR  it (or an inner component) is not a directory
//   ENOTCAPABLE  the dir fd lacks the right, or the path is absolute / climbs out with '..' / a symlink points out
//   ENOENT       a component is missing (or the path is empty);   ELOOP  more than 40 symlinks
//   EROFS        a change under a read-only layer (shared layers, /job). We chose EROFS (as a Linux
//                read-only mount answers) over EACCES/EPERM for every write to a read-only layer.
//   ENOSPC/EDQUOT the job's scratch byte cap / entry cap would be exceeded
//   EILSEQ       the path is not valid UTF-8;  EINVAL  it contains NUL;  EFAULT  it is outside memory
public sealed partial class WasiContext
{
    /// <summary>
    /// path_open(fd, dirflags: lookupflags, path, oflags, fs_rights_base, fs_rights_inheriting, fdflags) → (errno, fd).
    /// Opens (or with creat, creates in a writable layer) a file or directory. The new fd's rights are the
    /// requested ones restricted to what the node kind supports. Errors: ENOTCAPABLE (no path_open right; creat
    /// without path_create_file; trunc without path_filestat_set_size; requested rights beyond the dir's inheriting
    /// rights); EEXIST creat|excl on an existing name; ENOTDIR directory flag on a file; EISDIR write rights or
    /// trunc on a directory; ELOOP the final component is a symlink and symlink_follow is off; EROFS write
    /// rights, creat or trunc on a read-only layer; EDQUOT entry cap; EINVAL unknown oflags/fdflags or creat|directory;
    /// EMFILE too many fds. creat through a dangling symlink is ENOENT (the target is not created).
    /// </summary>
    public Errno PathOpen(Memory memory, int fd, int dirFlags, int path, int pathLen, int oflags,
        long rightsBase, long rightsInheriting, int fdFlags, int fdPtr)
    {
        try
        {
            var dir = GetFd(fd, Rights.PathOpen);
            var p = ReadPath(memory, path, pathLen);
            Check(memory, fdPtr, 4);
            if ((oflags & ~0xF) != 0 || (fdFlags & ~0x1F) != 0) throw new WasiErrnoException(Errno.Inval);
            var o = (OFlags)oflags;
            if (o.HasFlag(OFlags.Creat) && o.HasFlag(OFlags.Directory)) throw new WasiErrnoException(Errno.Inval);
            var reqBase = (Rights)rightsBase & Rights.All;
            var reqInh = (Rights)rightsInheriting & Rights.All;
            if ((reqBase & ~dir.Inheriting) != 0 || (reqInh & ~dir.Inheriting) != 0) throw new WasiErrnoException(Errno.NotCapable);
            bool follow = (dirFlags & (int)LookupFlags.SymlinkFollow) != 0;

            VNode node;
            string nodePath;
            if (o.HasFlag(OFlags.Creat))
            {
                if ((dir.Base & Rights.PathCreateFile) == 0) throw new WasiErrnoException(Errno.NotCapable);
                var parent = LookupParent(dir, p);
                var existing = parent.Name is "." or ".." ? parent.Dir : Child(parent.Dir, parent.DirPath, parent.Name);
                if (existing is not null)
                {
                    if (o.HasFlag(OFlags.Excl)) throw new WasiErrnoException(Errno.Exist);
                    if (existing is VDirectory) throw new WasiErrnoException(Errno.IsDir);
                    (node, nodePath) = existing is VSymlink && follow ? Lookup(dir, p, true) : (existing, parent.ChildPath);
                }
                else
                {
                    if (parent.TrailingSlash) throw new WasiErrnoException(Errno.IsDir);
                    if (parent.Dir.ReadOnly) throw new WasiErrnoException(Errno.Rofs);
                    Quota.ChargeFile();
                    var file = new MemFile(FileTimeNs(), parent.Dir.Device, Quota);
                    parent.Dir.Children[parent.Name] = file;
                    Touch(parent.Dir);
                    (node, nodePath) = (file, parent.ChildPath);
                }
            }
            else
            {
                var err = TryLookup(dir, p, follow, out var found, out var foundPath);
                if (err != Errno.Success) return err;
                (node, nodePath) = (found!, foundPath!);
            }

            if (node is VSymlink) throw new WasiErrnoException(Errno.Loop);
            bool isDir = node is VDirectory;
            if (o.HasFlag(OFlags.Directory) && !isDir) throw new WasiErrnoException(Errno.NotDir);
            bool wantsWrite = (reqBase & (Rights.FdWrite | Rights.FdAllocate | Rights.FdFilestatSetSize)) != 0 || o.HasFlag(OFlags.Trunc);
            if (isDir && wantsWrite) throw new WasiErrnoException(Errno.IsDir);
            if (o.HasFlag(OFlags.Trunc) && (dir.Base & Rights.PathFilestatSetSize) == 0) throw new WasiErrnoException(Errno.NotCapable);
            if (wantsWrite && node.ReadOnly) throw new WasiErrnoException(Errno.Rofs);
            if (o.HasFlag(OFlags.Trunc) && node is MemFile mf && mf.Size > 0) { mf.SetLength(0); Touch(mf); }

            var entry = new FdEntry
            {
                Node = node,
                Path = nodePath,
                Base = reqBase & (isDir ? Rights.Directory : Rights.File),
                Inheriting = reqInh,
                Flags = (FdFlags)fdFlags,
            };
            int newFd = AllocateFd(entry);
            FdEntry.Retain(node);
            WriteI32(memory, fdPtr, newFd);
            return Errno.Success;
        }
        catch (Exception ex) when (IsMapped(ex)) { return Fail(ex); }
    }

    /// <summary>
    /// path_create_directory(fd, path) → errno. Errors: common ones; EEXIST the name exists; EROFS read-only
    /// parent; EDQUOT entry cap; ENOTCAPABLE without path_create_directory.
    /// </summary>
    public Errno PathCreateDirectory(Memory memory, int fd, int path, int pathLen)
    {
        try
        {
            var dir = GetFd(fd, Rights.PathCreateDirectory);
            var parent = LookupParent(dir, ReadPath(memory, path, pathLen));
            if (parent.Name is "." or ".." || Child(parent.Dir, parent.DirPath, parent.Name) is not null) throw new WasiErrnoException(Errno.Exist);
            if (parent.Dir.ReadOnly) throw new WasiErrnoException(Errno.Rofs);
            Quota.ChargeFile();
            parent.Dir.Children[parent.Name] = new VDirectory(false, FileTimeNs(), parent.Dir.Device, Quota);
            Touch(parent.Dir);
            return Errno.Success;
        }
        catch (Exception ex) when (IsMapped(ex)) { return Fail(ex); }
    }

    /// <summary>
    /// path_remove_directory(fd, path) → errno. Errors: common ones; ENOTDIR not a directory; ENOTEMPTY not empty
    /// (also for ".."); EINVAL "."; EBUSY a mount point; EROFS read-only parent.
    /// </summary>
    public Errno PathRemoveDirectory(Memory memory, int fd, int path, int pathLen)
    {
        try
        {
            var dir = GetFd(fd, Rights.PathRemoveDirectory);
            var parent = LookupParent(dir, ReadPath(memory, path, pathLen));
            if (parent.Name == ".") throw new WasiErrnoException(Errno.Inval);
            if (parent.Name == "..") throw new WasiErrnoException(Errno.NotEmpty);
            var child = Child(parent.Dir, parent.DirPath, parent.Name) ?? throw new WasiErrnoException(Errno.NoEnt);
            if (child is not VDirectory cd) throw new WasiErrnoException(Errno.NotDir);
            if (IsMountPoint(parent.ChildPath)) throw new WasiErrnoException(Errno.Busy);
            if (cd.Children.Count > 0) throw new WasiErrnoException(Errno.NotEmpty);
            if (parent.Dir.ReadOnly) throw new WasiErrnoException(Errno.Rofs);
            parent.Dir.Children.Remove(parent.Name);
            cd.LinkCount = 0;
            Quota.ReleaseFile();
            Touch(parent.Dir);
            return Errno.Success;
        }
        catch (Exception ex) when (IsMapped(ex)) { return Fail(ex); }
    }

    /// <summary>
    /// path_unlink_file(fd, path) → errno. Removes a file or symlink; an open file stays readable through its fds
    /// and its bytes are returned to the quota when the last fd closes. Errors: common ones; EISDIR a directory;
    /// ENOTDIR trailing slash on a non-directory; EROFS read-only parent.
    /// </summary>
    public Errno PathUnlinkFile(Memory memory, int fd, int path, int pathLen)
    {
        try
        {
            var dir = GetFd(fd, Rights.PathUnlinkFile);
            var parent = LookupParent(dir, ReadPath(memory, path, pathLen));
            if (parent.Name is "." or "..") throw new WasiErrnoException(Errno.IsDir);
            var child = Child(parent.Dir, parent.DirPath, parent.Name) ?? throw new WasiErrnoException(Errno.NoEnt);
            if (child is VDirectory) throw new WasiErrnoException(Errno.IsDir);
            if (parent.TrailingSlash) throw new WasiErrnoException(Errno.NotDir);
            if (parent.Dir.ReadOnly) throw new WasiErrnoException(Errno.Rofs);
            parent.Dir.Children.Remove(parent.Name);
            child.LinkCount--;
            Quota.ReleaseFile();
            MaybeRelease(child);
            Touch(parent.Dir);
            return Errno.Success;
        }
        catch (Exception ex) when (IsMapped(ex)) { return Fail(ex); }
    }

    /// <summary>
    /// path_filestat_get(fd, flags: lookupflags, path) → (errno, filestat) at <paramref name="statPtr"/>.
    /// Follows a final symlink only with symlink_follow. Errors: common ones; ENOTCAPABLE without path_filestat_get.
    /// </summary>
    public Errno PathFilestatGet(Memory memory, int fd, int flags, int path, int pathLen, int statPtr)
    {
        try
        {
            var dir = GetFd(fd, Rights.PathFilestatGet);
            var err = TryLookup(dir, ReadPath(memory, path, pathLen), (flags & 1) != 0, out var node, out _);
            if (err != Errno.Success) return err;
            WriteFilestat(memory, statPtr, node!);
            return Errno.Success;
        }
        catch (Exception ex) when (IsMapped(ex)) { return Fail(ex); }
    }

    /// <summary>
    /// path_filestat_set_times(fd, flags, path, atim, mtim, fst_flags) → errno. Errors: common ones; EINVAL
    /// conflicting or unknown fst_flags; EROFS read-only layer.
    /// </summary>
    public Errno PathFilestatSetTimes(Memory memory, int fd, int flags, int path, int pathLen, long atim, long mtim, int fstFlags)
    {
        try
        {
            var dir = GetFd(fd, Rights.PathFilestatSetTimes);
            var (node, _) = Lookup(dir, ReadPath(memory, path, pathLen), (flags & 1) != 0);
            SetTimes(node, atim, mtim, fstFlags);
            return Errno.Success;
        }
        catch (Exception ex) when (IsMapped(ex)) { return Fail(ex); }
    }

    /// <summary>
    /// path_symlink(old_path, fd, new_path) → errno. Creates a symlink at new_path whose target is old_path (stored
    /// verbatim; an absolute or escaping target can be created but never followed: ENOTCAPABLE on use).
    /// Errors: common ones; EEXIST new_path exists; EROFS; EDQUOT.
    /// </summary>
    public Errno PathSymlink(Memory memory, int oldPath, int oldPathLen, int fd, int newPath, int newPathLen)
    {
        try
        {
            var target = ReadPath(memory, oldPath, oldPathLen);
            var dir = GetFd(fd, Rights.PathSymlink);
            var parent = LookupParent(dir, ReadPath(memory, newPath, newPathLen));
            if (parent.Name is "." or ".." || Child(parent.Dir, parent.DirPath, parent.Name) is not null) throw new WasiErrnoException(Errno.Exist);
            if (parent.TrailingSlash) throw new WasiErrnoException(Errno.NoEnt);
            if (parent.Dir.ReadOnly) throw new WasiErrnoException(Errno.Rofs);
            Quota.ChargeFile();
            parent.Dir.Children[parent.Name] = new VSymlink(target, false, FileTimeNs(), parent.Dir.Device, Quota);
            Touch(parent.Dir);
            return Errno.Success;
        }
        catch (Exception ex) when (IsMapped(ex)) { return Fail(ex); }
    }

    /// <summary>
    /// path_readlink(fd, path, buf, buf_len) → (errno, bufused). Writes the target (no NUL), cut to buf_len.
    /// Errors: common ones; EINVAL not a symlink.
    /// </summary>
    public Errno PathReadlink(Memory memory, int fd, int path, int pathLen, int buf, int bufLen, int bufUsedPtr)
    {
        try
        {
            var dir = GetFd(fd, Rights.PathReadlink);
            var (node, _) = Lookup(dir, ReadPath(memory, path, pathLen), follow: false);
            if (node is not VSymlink link) throw new WasiErrnoException(Errno.Inval);
            var bytes = Encoding.UTF8.GetBytes(link.Target);
            var dest = Span(memory, buf, (uint)bufLen);
            Check(memory, bufUsedPtr, 4);
            int n = Math.Min(bytes.Length, dest.Length);
            bytes.AsSpan(0, n).CopyTo(dest);
            WriteI32(memory, bufUsedPtr, n);
            return Errno.Success;
        }
        catch (Exception ex) when (IsMapped(ex)) { return Fail(ex); }
    }

    /// <summary>
    /// path_link(old_fd, old_flags, old_path, new_fd, new_path) → errno. Hard link to a file. Errors: common ones
    /// (old_fd needs path_link_source, new_fd path_link_target); EPERM the source is a directory; EEXIST
    /// new_path exists; EXDEV across layers (e.g. from a read-only layer into /tmp); EROFS; EDQUOT.
    /// </summary>
    public Errno PathLink(Memory memory, int oldFd, int oldFlags, int oldPath, int oldPathLen, int newFd, int newPath, int newPathLen)
    {
        try
        {
            var od = GetFd(oldFd, Rights.PathLinkSource);
            var nd = GetFd(newFd, Rights.PathLinkTarget);
            var (src, _) = Lookup(od, ReadPath(memory, oldPath, oldPathLen), (oldFlags & 1) != 0);
            var parent = LookupParent(nd, ReadPath(memory, newPath, newPathLen));
            if (src is VDirectory) throw new WasiErrnoException(Errno.Perm);
            if (parent.Name is "." or ".." || Child(parent.Dir, parent.DirPath, parent.Name) is not null) throw new WasiErrnoException(Errno.Exist);
            if (parent.Dir.ReadOnly) throw new WasiErrnoException(Errno.Rofs);
            if (src.Device != parent.Dir.Device) throw new WasiErrnoException(Errno.Xdev);
            Quota.ChargeFile();
            parent.Dir.Children[parent.Name] = src;
            src.LinkCount++;
            src.Ctim = FileTimeNs();
            Touch(parent.Dir);
            return Errno.Success;
        }
        catch (Exception ex) when (IsMapped(ex)) { return Fail(ex); }
    }

    /// <summary>
    /// path_rename(fd, old_path, new_fd, new_path) → errno. Replaces an existing target of a compatible kind.
    /// Errors: common ones (fd needs path_rename_source, new_fd path_rename_target); ENOENT no source; EISDIR file
    /// onto a directory; ENOTDIR directory onto a file; ENOTEMPTY onto a non-empty directory; EINVAL a directory
    /// into itself, or "."/".."; EBUSY a mount point; EXDEV across layers; EROFS.
    /// </summary>
    public Errno PathRename(Memory memory, int fd, int oldPath, int oldPathLen, int newFd, int newPath, int newPathLen)
    {
        try
        {
            var od = GetFd(fd, Rights.PathRenameSource);
            var nd = GetFd(newFd, Rights.PathRenameTarget);
            var sp = LookupParent(od, ReadPath(memory, oldPath, oldPathLen));
            var dp = LookupParent(nd, ReadPath(memory, newPath, newPathLen));
            if (sp.Name is "." or ".." || dp.Name is "." or "..") throw new WasiErrnoException(Errno.Inval);
            var src = Child(sp.Dir, sp.DirPath, sp.Name) ?? throw new WasiErrnoException(Errno.NoEnt);
            if (IsMountPoint(sp.ChildPath) || IsMountPoint(dp.ChildPath)) throw new WasiErrnoException(Errno.Busy);
            if ((sp.TrailingSlash || dp.TrailingSlash) && src is not VDirectory) throw new WasiErrnoException(Errno.NotDir);
            var dst = Child(dp.Dir, dp.DirPath, dp.Name);
            if (ReferenceEquals(src, dst)) return Errno.Success;
            if (src is VDirectory)
            {
                if (dst is not null and not VDirectory) throw new WasiErrnoException(Errno.NotDir);
                if (dst is VDirectory { Children.Count: > 0 }) throw new WasiErrnoException(Errno.NotEmpty);
                if (dp.ChildPath.StartsWith(sp.ChildPath + "/", StringComparison.Ordinal)) throw new WasiErrnoException(Errno.Inval);
            }
            else if (dst is VDirectory) throw new WasiErrnoException(Errno.IsDir);
            if (sp.Dir.ReadOnly || dp.Dir.ReadOnly) throw new WasiErrnoException(Errno.Rofs);
            if (src.Device != dp.Dir.Device) throw new WasiErrnoException(Errno.Xdev);

            sp.Dir.Children.Remove(sp.Name);
            if (dst is not null)
            {
                dp.Dir.Children.Remove(dp.Name);
                dst.LinkCount--;
                Quota.ReleaseFile();
                MaybeRelease(dst);
            }
            dp.Dir.Children[dp.Name] = src;
            src.Ctim = FileTimeNs();
            Touch(sp.Dir);
            Touch(dp.Dir);
            // Open fds under a renamed directory keep their node; refresh their recorded paths.
            if (src is VDirectory)
            {
                foreach (var e in Fds)
                {
                    if (e is null) continue;
                    if (e.Path == sp.ChildPath) e.Path = dp.ChildPath;
                    else if (e.Path.StartsWith(sp.ChildPath + "/", StringComparison.Ordinal)) e.Path = dp.ChildPath + e.Path[sp.ChildPath.Length..];
                }
            }
            return Errno.Success;
        }
        catch (Exception ex) when (IsMapped(ex)) { return Fail(ex); }
    }
}
