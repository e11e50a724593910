namespace AsyncGrader.Wasm;

/// <summary>
/// Resolves imports by (module, name) and instantiates modules. Host functions defined here are
/// store-independent and may be shared by many stores; memories, tables and globals belong to one store.
/// </summary>
public sealed class Linker
{
    private readonly Dictionary<(string Module, string Name), Extern> _items = new();

    public Linker(Engine engine) => Engine = engine;

    public Engine Engine { get; }

    // Bumped by every definition: instances recycled from a snapshot must have resolved their
    // imports against the same definitions.
    internal long Version { get; private set; }

    /// <summary>Whether a later definition may replace an earlier one with the same name.</summary>
    public bool AllowShadowing { get; set; }

    public Linker Define(string module, string name, Extern item)
    {
        if (!AllowShadowing && _items.ContainsKey((module, name)))
            throw new InvalidOperationException($"{module}.{name} is already defined");
        _items[(module, name)] = item;
        Version++;
        return this;
    }

    public Linker DefineFunction(string module, string name, FuncType type, HostCallback callback) =>
        Define(module, name, Func.FromCallback(Engine, type, callback));

    /// <summary>Makes every export of <paramref name="instance"/> importable as <paramref name="module"/>.name.</summary>
    public Linker DefineInstance(string module, Instance instance)
    {
        foreach (var (name, item) in instance.Exports) Define(module, name, item);
        return this;
    }

    public bool TryGet(string module, string name, out Extern? item) => _items.TryGetValue((module, name), out item);

    /// <summary>Instantiates: resolves imports, creates memories/tables/globals, applies segments, runs start.</summary>
    /// <exception cref="WasmLinkException">an import is missing or has the wrong type</exception>
    /// <exception cref="WasmTrap">a segment is out of bounds or the start function traps</exception>
    public Instance Instantiate(Store store, Module module) => Runtime.Instantiator.Instantiate(this, store, module, snapshot: null);

    /// <summary>A fresh instance whose state is a copy of <paramref name="snapshot"/> (no segments, no start function).</summary>
    public Instance Instantiate(Store store, Snapshot snapshot) => Runtime.Instantiator.Instantiate(this, store, snapshot.Module, snapshot);
}
