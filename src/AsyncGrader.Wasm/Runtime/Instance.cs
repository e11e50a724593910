namespace AsyncGrader.Wasm;

/// <summary>An instantiated module: its state lives in a <see cref="Store"/>.</summary>
public sealed class Instance : IDisposable
{
    private readonly Dictionary<string, Extern> _exports;
    private bool _disposed;

    internal Instance(Module module, Store store, Runtime.InstanceContext context, Dictionary<string, Extern> exports)
    {
        Module = module;
        Store = store;
        Context = context;
        _exports = exports;
    }

    public Module Module { get; }
    public Store Store { get; }
    internal Runtime.InstanceContext Context { get; }

    public IReadOnlyDictionary<string, Extern> Exports => _exports;

    public Extern? GetExport(string name) => _exports.GetValueOrDefault(name);
    public Func? GetFunction(string name) => GetExport(name) as Func;
    public Memory? GetMemory(string name) => GetExport(name) as Memory;
    public Table? GetTable(string name) => GetExport(name) as Table;
    public Global? GetGlobal(string name) => GetExport(name) as Global;

    /// <summary>
    /// Captures this instance's state (memory, globals, tables) so that <see cref="Linker.Instantiate(Store, Snapshot)"/>
    /// can start fresh instances from it without re-running initialisation.
    /// </summary>
    public Snapshot CaptureSnapshot()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Runtime.SnapshotOps.Capture(this);
    }

    internal bool IsDisposed => _disposed;

    /// <summary>
    /// Ends the instance. One restored from a snapshot gives its memory and its context (functions,
    /// tables) back to that snapshot's pools, to be reset for a later instance. Calling the
    /// instance's exports, or touching its memory, afterwards traps; the host must not keep using
    /// other references obtained through it (table elements, function references returned by
    /// calls): they may belong to a later instance.
    /// </summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (Module.Definition.ImportedMemoryCount == 0) Context.Memory?.ReturnToPool();
        if (Context.Recycle is { } recycle)
        {
            // Drop this job's store (and its host data) while the context waits in the pool.
            Context.Store = null!;
            Context.Instance = null!;
            recycle.Snapshot.ReturnContext(Context);
        }
    }
}

/// <summary>Frozen state of an instance; immutable and shareable across threads.</summary>
public sealed class Snapshot
{
    internal Snapshot(Module module, byte[]? memory, uint? memoryMaxPages, Value[] globals, object?[][] tables)
    {
        Module = module;
        Memory = memory;
        MemoryMaxPages = memoryMaxPages;
        Globals = globals;
        Tables = tables;
    }

    public Module Module { get; }
    internal byte[]? Memory { get; }

    internal const int MaxPooledMemories = 64;
    // Buffers of disposed instances, with their dirty-page flags, waiting to be reset and reused.
    // Last in, first out: the most recently used buffer is the likeliest to be in the CPU caches.
    private readonly Stack<(byte[] Buffer, byte[] Dirty)> _memoryPool = new();

    internal bool TryTakePooledMemory(out (byte[] Buffer, byte[] Dirty) pooled)
    {
        lock (_memoryPool) return _memoryPool.TryPop(out pooled);
    }

    /// <summary>Keeps a returned buffer for a later instance unless the pool is full.</summary>
    internal void ReturnPooledMemory(byte[] buffer, byte[] dirty)
    {
        lock (_memoryPool)
            if (_memoryPool.Count < MaxPooledMemories) _memoryPool.Push((buffer, dirty));
    }

    internal const int MaxPooledContexts = 64;
    // Contexts of disposed instances (see Instantiator.Reuse), last in, first out.
    private readonly Stack<Runtime.InstanceContext> _contextPool = new();

    internal bool TryTakeContext(Linker linker, out Runtime.InstanceContext context)
    {
        lock (_contextPool)
        {
            while (_contextPool.TryPop(out context!))
            {
                var r = context.Recycle!;
                if (ReferenceEquals(r.Linker, linker) && r.LinkerVersion == linker.Version) return true;
                // Bound to another linker (or an older state of this one): drop it.
            }
            return false;
        }
    }

    internal void ReturnContext(Runtime.InstanceContext context)
    {
        lock (_contextPool)
            if (_contextPool.Count < MaxPooledContexts) _contextPool.Push(context);
    }

    /// <summary>Contexts waiting in the pool (for tests and diagnostics).</summary>
    internal int PooledContextCount
    {
        get { lock (_contextPool) return _contextPool.Count; }
    }

    /// <summary>Buffers waiting in the pool (for tests and diagnostics).</summary>
    internal int PooledMemoryCount
    {
        get { lock (_memoryPool) return _memoryPool.Count; }
    }
    internal uint? MemoryMaxPages { get; }
    internal Value[] Globals { get; }
    // Table entries: a Func of the snapshotted instance is stored as its function index (int).
    internal object?[][] Tables { get; }

    internal bool[] DroppedData
    {
        get => _droppedData;
        init
        {
            _droppedData = value;
            // When every segment is dropped (the usual state after initialisation), instances share
            // one all-null array: dropping a segment again writes null over null, so nothing an
            // instance does to it is visible to another (a module may have tens of thousands of segments).
            SharedDroppedData = Array.TrueForAll(value, d => d) ? new byte[]?[value.Length] : null;
        }
    }
    internal bool[] DroppedElements
    {
        get => _droppedElements;
        init
        {
            _droppedElements = value;
            SharedDroppedElements = Array.TrueForAll(value, d => d) ? new object?[]?[value.Length] : null;
        }
    }
    private readonly bool[] _droppedData = [];
    private readonly bool[] _droppedElements = [];
    internal byte[]?[]? SharedDroppedData { get; private set; }
    internal object?[]?[]? SharedDroppedElements { get; private set; }

    public long MemoryBytes => Memory?.LongLength ?? 0;
}
