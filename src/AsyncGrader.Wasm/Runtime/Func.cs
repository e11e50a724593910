namespace AsyncGrader.Wasm;

/// <summary>
/// A function: compiled Wasm code bound to its instance, or a host callback. Call it with
/// <see cref="Invoke"/>; inside the engine it is a (target, code pointer) pair called with calli.
/// </summary>
public sealed class Func : Extern
{
    internal Func(Engine engine, FuncType type, object target, IntPtr code, int index = -1)
        : this(engine, type, engine.Signatures.IdOf(type), target, code, index)
    {
    }

    internal Func(Engine engine, FuncType type, int typeId, object target, IntPtr code, int index)
    {
        Engine = engine;
        Type = type;
        TypeId = typeId;
        Target = target;
        Code = code;
        Index = index;
    }

    public FuncType Type { get; }

    internal Engine Engine { get; }

    // Canonical signature id, compared by call_indirect.
    internal readonly int TypeId;

    // The last argument passed to Code: the instance context (Wasm) or the host binding (host).
    internal readonly object Target;

    // Managed function pointer: (params..., ref extraResults..., object target) -> first result.
    internal readonly IntPtr Code;

    // Function index within its defining module (-1 for host functions); used by snapshots.
    internal readonly int Index;

    // Set on the handles an instance exports when its context may be reused (instances from a
    // snapshot): once that instance is disposed, calls through the handle trap.
    internal Instance? Owner { get; private init; }

    /// <summary>A handle to this function that only works while <paramref name="owner"/> is not disposed.</summary>
    internal Func OwnedBy(Instance owner) => new(Engine, Type, TypeId, Target, Code, Index) { Owner = owner };

    /// <summary>Wraps a host callback as a function value (for tables, globals, or a linker).</summary>
    public static Func FromCallback(Engine engine, FuncType type, HostCallback callback) =>
        Runtime.HostFunction.Create(engine, type, callback);

    /// <summary>
    /// Calls the function. Arguments are checked against its type. Traps surface as
    /// <see cref="WasmTrap"/>; the call runs on an engine guest thread with a large stack.
    /// </summary>
    public Value[] Invoke(params Value[] args) => Runtime.Invoker.Invoke(this, args);

    public override string ToString() => $"func {Type}";
}
