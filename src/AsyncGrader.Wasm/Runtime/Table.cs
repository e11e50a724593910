namespace AsyncGrader.Wasm;

/// <summary>A table of references: <see cref="Func"/> (funcref) or host objects (externref).</summary>
public sealed class Table : Extern
{
    // Read by compiled code (call_indirect, table.get/set); replaced by Grow.
    internal object?[] Elements;
    private Store? _store;

    public Table(Store? store, ValueType elementType, uint min, uint? max = null, object? init = null)
    {
        _store = store;
        ElementType = elementType;
        MinSize = min;
        MaxSize = max;
        if (store is not null && min > store.Limits.MaxTableElements)
            throw new WasmLinkException($"table of {min} elements exceeds the store's limit of {store.Limits.MaxTableElements}");
        Elements = new object?[min];
        if (init is not null) Array.Fill(Elements, init);
    }

    /// <summary>Moves a table of a recycled instance context to the store of its next instance (whose limits apply).</summary>
    internal void Rebind(Store store) => _store = store;

    public ValueType ElementType { get; }
    public uint MinSize { get; }
    public uint? MaxSize { get; }
    public uint Size => (uint)Elements.Length;

    public object? this[uint index]
    {
        get => index < (uint)Elements.Length ? Elements[index] : throw new WasmTrap(TrapKind.TableOutOfBounds);
        set
        {
            if (index >= (uint)Elements.Length) throw new WasmTrap(TrapKind.TableOutOfBounds);
            CheckSameStore(value);
            Elements[index] = value;
        }
    }

    /// <summary>A table may hold functions of its own store's instances (and host functions) only.</summary>
    private void CheckSameStore(object? value)
    {
        if (value is Func { Target: Runtime.InstanceContext owner } && _store is not null && owner.Store != _store)
            throw new ArgumentException("the function belongs to an instance in another store", nameof(value));
    }

    /// <summary>Grows by <paramref name="delta"/> elements filled with <paramref name="init"/>; returns the old size or -1.</summary>
    public int Grow(uint delta, object? init)
    {
        uint old = Size;
        ulong next = (ulong)old + delta;
        if (next > (MaxSize ?? uint.MaxValue)) return -1;
        if (next > (ulong)(_store?.Limits.MaxTableElements ?? int.MaxValue) || next > (ulong)Array.MaxLength) return -1;
        CheckSameStore(init);
        if (delta == 0) return (int)old;
        var grown = new object?[next];
        Array.Copy(Elements, grown, old);
        if (init is not null) Array.Fill(grown, init, (int)old, (int)delta);
        Elements = grown;
        return (int)old;
    }
}
