namespace AsyncGrader.Wasm.Runtime;

/// <summary>
/// The state of one instance as compiled code sees it. Each compiled module derives a class
/// from this one, adding a typed field per private global; every compiled function takes it as
/// its last argument.
/// </summary>
internal abstract class InstanceContext
{
    internal Store Store = null!;
    internal Memory? Memory;
    internal Table[] Tables = [];
    internal Func[] Funcs = [];
    // Imported or exported globals (shared cells); null for private ones (fields of the derived class).
    internal Global?[] GlobalCells = [];
    // Passive data segments by index; null once dropped (or for active ones after instantiation).
    internal byte[]?[] DataSegments = [];
    internal object?[]?[] ElemSegments = [];
    internal Module Module = null!;
    internal Instance Instance = null!;
    // Set for contexts created from a snapshot: what reusing this context for a later instance of
    // the same snapshot needs (see Instantiator.Reuse).
    internal RecycleState? Recycle;
}

/// <summary>How a context created from a snapshot is put back to the snapshot's state for reuse.</summary>
internal sealed class RecycleState
{
    public RecycleState(Snapshot snapshot, Linker linker, long linkerVersion, object?[][] pristineTables)
    {
        Snapshot = snapshot;
        Linker = linker;
        LinkerVersion = linkerVersion;
        PristineTables = pristineTables;
        var def = snapshot.Module.Definition;
        ExportedTables = def.Exports.Where(e => e.Kind == ExternKind.Table && e.Index >= def.ImportedTableCount).Select(e => (int)e.Index).ToHashSet();
    }

    public Snapshot Snapshot { get; }
    // Imports were resolved and bound with this linker as it was at this version.
    public Linker Linker { get; }
    public long LinkerVersion { get; }
    // Per defined table: its elements right after the restore, i.e. with this context's functions.
    public object?[][] PristineTables { get; }
    // Defined tables that are exported get a new Table object per instance.
    public HashSet<int> ExportedTables { get; }
}
