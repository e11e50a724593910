using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace AsyncGrader.Wasm;

/// <summary>
/// A linear memory. Its bytes live in one managed array (so a memory is at most 2 GiB); every
/// access, from compiled code or from the host, is bounds-checked against the array's length.
/// </summary>
public sealed class Memory : Extern
{
    public const int PageSize = 65536;

    /// <summary>
    /// Dirty tracking granularity: one flag per 256 bytes of memory (a "page" below). Finer than the
    /// OS page on purpose: a trivial CPython job writes to ~220 distinct 4 KiB pages but only ~450
    /// 256-byte blocks (mostly reference counts going up and back down), so resetting a pooled
    /// memory copies ~110 KiB instead of ~890 KiB. The flags cost 1/256 of the memory.
    /// </summary>
    public const int DirtyPageShift = 8;

    /// <summary>How far past a dirty page a compiled store may reach: its size minus one (v128: 16 bytes).</summary>
    internal const int StoreSpill = 15;

    // Read by compiled code on every access; replaced (never resized in place) by Grow.
    internal byte[] Buffer;
    // One flag per 256-byte page, set by every write path (compiled stores, bulk operations, host
    // writes). Lets a pooled memory be reset to its snapshot by copying back only what changed.
    // A compiled store of up to 16 bytes marks only the page of its first byte (one flag write
    // instead of two); the reset therefore also copies the StoreSpill bytes after each dirty run.
    // Invariant: Dirty.Length == Buffer.Length >> DirtyPageShift; both are replaced together.
    internal byte[] Dirty;
    private readonly Store? _store;
    private Snapshot? _pooledFrom;

    public Memory(Store? store, uint minPages, uint? maxPages = null)
    {
        _store = store;
        MinPages = minPages;
        MaxPages = maxPages;
        long bytes = (long)minPages * PageSize;
        if (store is not null && bytes > store.Limits.MaxMemoryBytes)
            throw new WasmLinkException($"memory of {minPages} pages exceeds the store's limit of {store.Limits.MaxMemoryBytes} bytes");
        if (bytes > Array.MaxLength)
            throw new WasmLinkException($"memory of {minPages} pages exceeds the engine's 2 GiB limit");
        Buffer = new byte[bytes];
        Dirty = new byte[bytes >> DirtyPageShift];
        store?.NoteMemorySize(bytes);
    }

    /// <summary>
    /// A memory holding a snapshot's contents: a pooled buffer of an earlier instance with only its
    /// dirty pages copied back, or a fresh copy when the pool is empty.
    /// </summary>
    internal Memory(Store store, Snapshot snapshot, uint minPages, uint? maxPages)
    {
        _store = store;
        MinPages = minPages;
        MaxPages = maxPages;
        var image = snapshot.Memory!;
        if (snapshot.TryTakePooledMemory(out var pooled))
        {
            (Buffer, Dirty) = pooled;
            if (store.Engine.Config.TrackDirtyPages) ResetDirtyPages(image);
            else
            {
                // Compiled stores left no marks: the whole snapshot goes back.
                image.AsSpan().CopyTo(Buffer);
                Dirty.AsSpan().Clear();
            }
        }
        else
        {
            Buffer = GC.AllocateUninitializedArray<byte>(image.Length);
            image.AsSpan().CopyTo(Buffer);
            Dirty = new byte[image.Length >> DirtyPageShift];
        }
        _pooledFrom = snapshot;
        store.NoteMemorySize(Buffer.Length);
    }

    private void ResetDirtyPages(byte[] image)
    {
        // Copies back each run of consecutive dirty pages in one go, then clears their flags.
        var dirty = Dirty.AsSpan();
        int page = 0;
        while (page < dirty.Length)
        {
            int next = dirty[page..].IndexOfAnyExcept((byte)0);
            if (next < 0) break;
            page += next;
            int run = dirty[page..].IndexOf((byte)0);
            if (run < 0) run = dirty.Length - page;
            int start = page << DirtyPageShift;
            int length = Math.Min((run << DirtyPageShift) + StoreSpill, Buffer.Length - start);
            image.AsSpan(start, length).CopyTo(Buffer.AsSpan(start, length));
            dirty.Slice(page, run).Clear();
            page += run;
        }
    }

    /// <summary>
    /// Gives the buffer back to the snapshot it came from (when its size is unchanged) and leaves
    /// this memory empty: any later access traps instead of seeing another job's data.
    /// </summary>
    internal void ReturnToPool()
    {
        var snapshot = _pooledFrom;
        _pooledFrom = null;
        if (snapshot is not null && Buffer.Length == snapshot.Memory!.Length)
            snapshot.ReturnPooledMemory(Buffer, Dirty);
        Buffer = [];
        Dirty = [];
    }

    public uint MinPages { get; }
    public uint? MaxPages { get; }

    /// <summary>Current size in pages.</summary>
    public uint Pages => (uint)(Buffer.Length / PageSize);

    /// <summary>Current size in bytes.</summary>
    public long Length => Buffer.Length;

    /// <summary>Grows by <paramref name="deltaPages"/>; returns the old size in pages, or -1 (spec: failure is not a trap).</summary>
    public int Grow(uint deltaPages)
    {
        uint old = Pages;
        ulong newPages = (ulong)old + deltaPages;
        ulong max = MaxPages ?? 65536;
        if (newPages > max) return -1;
        ulong newBytes = newPages * PageSize;
        long cap = Math.Min(_store?.Limits.MaxMemoryBytes ?? long.MaxValue, Array.MaxLength);
        if (newBytes > (ulong)cap)
        {
            if (_store is not null) _store.MemoryLimitReached = true;
            return -1;
        }
        if (deltaPages == 0) return (int)old;
        byte[] next;
        try
        {
            next = new byte[newBytes];
        }
        catch (OutOfMemoryException)
        {
            return -1;
        }
        Buffer.AsSpan().CopyTo(next);
        var dirty = new byte[newBytes >> DirtyPageShift];
        Dirty.AsSpan().CopyTo(dirty);
        Buffer = next;
        Dirty = dirty;
        _store?.NoteMemorySize((long)newBytes);
        return (int)old;
    }

    /// <summary>A bounds-checked, writable view of guest memory (its pages are marked dirty). Traps when the range is outside.</summary>
    public Span<byte> GetSpan(long address, int length)
    {
        CheckRange(address, length);
        MarkDirty(address, length);
        return Buffer.AsSpan((int)address, length);
    }

    /// <summary>A bounds-checked, read-only view of guest memory. Traps when the range is outside.</summary>
    public ReadOnlySpan<byte> GetReadOnlySpan(long address, int length)
    {
        CheckRange(address, length);
        return Buffer.AsSpan((int)address, length);
    }

    /// <summary>All of memory as a writable span (it stays valid until the next grow; every page is marked dirty).</summary>
    public Span<byte> Span
    {
        get
        {
            Dirty.AsSpan().Fill(1);
            return Buffer;
        }
    }

    public byte ReadByte(long address) { CheckRange(address, 1); return Buffer[address]; }
    public void WriteByte(long address, byte value) { CheckRange(address, 1); MarkDirty(address, 1); Buffer[address] = value; }
    public short ReadInt16(long address) => BinaryPrimitives.ReadInt16LittleEndian(GetReadOnlySpan(address, 2));
    public int ReadInt32(long address) => BinaryPrimitives.ReadInt32LittleEndian(GetReadOnlySpan(address, 4));
    public long ReadInt64(long address) => BinaryPrimitives.ReadInt64LittleEndian(GetReadOnlySpan(address, 8));
    public void WriteInt16(long address, short value) => BinaryPrimitives.WriteInt16LittleEndian(GetSpan(address, 2), value);
    public void WriteInt32(long address, int value) => BinaryPrimitives.WriteInt32LittleEndian(GetSpan(address, 4), value);
    public void WriteInt64(long address, long value) => BinaryPrimitives.WriteInt64LittleEndian(GetSpan(address, 8), value);

    /// <summary>Reads <paramref name="length"/> bytes at <paramref name="address"/> as UTF-8 (invalid sequences become U+FFFD).</summary>
    public string ReadString(long address, int length) => Encoding.UTF8.GetString(GetReadOnlySpan(address, length));

    /// <summary>Copies <paramref name="data"/> into guest memory at <paramref name="address"/>.</summary>
    public void Write(long address, ReadOnlySpan<byte> data) => data.CopyTo(GetSpan(address, data.Length));

    /// <summary>Marks the pages of [address, address + length) dirty; the range is already bounds-checked.</summary>
    internal void MarkDirty(long address, long length)
    {
        if (length <= 0) return;
        int first = (int)(address >> DirtyPageShift);
        int last = (int)((address + length - 1) >> DirtyPageShift);
        Dirty.AsSpan(first, last - first + 1).Fill(1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckRange(long address, int length)
    {
        if (address < 0 || length < 0 || (ulong)address + (ulong)length > (ulong)Buffer.Length)
            throw new WasmTrap(TrapKind.MemoryOutOfBounds);
    }

}
