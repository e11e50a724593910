namespace AsyncGrader.Wasm.Runtime;

/// <summary>
/// The target object of a host function: the callback plus the instance that imported it (the
/// caller host code sees). A linker's host functions are unbound; instantiation binds a copy to
/// the importing instance so the callback can reach that instance's memory.
/// </summary>
internal sealed class HostBinding
{
    public HostBinding(FuncType type, HostCallback callback, InstanceContext? caller)
    {
        Type = type;
        Callback = callback;
        Caller = caller;
    }

    public FuncType Type { get; }
    public HostCallback Callback { get; }
    public InstanceContext? Caller { get; }

    /// <summary>
    /// Entry from the generated host stubs of an engine that meters fuel: the store holds the
    /// guest's fuel while the host runs (the host may read it, or call back into the guest), and
    /// the calling guest reads what the store holds afterwards. A host function not bound to an
    /// instance (reached through a table) has no store; its caller committed its fuel before the
    /// call_indirect, so nothing is lost.
    /// </summary>
    public static void CallWithFuel(object target, Value[] args, Value[] results, long fuel)
    {
        if (((HostBinding)target).Caller?.Store is { } store) store.FuelRemaining = fuel;
        Call(target, args, results);
    }

    /// <summary>Entry from the generated host stubs.</summary>
    public static void Call(object target, Value[] args, Value[] results)
    {
        var b = (HostBinding)target;
        var caller = new Caller(b.Caller?.Store!, b.Caller?.Instance);
        try
        {
            b.Callback(caller, args, results);
        }
        catch (WasmException)
        {
            throw;
        }
        catch (Exception e)
        {
            throw new WasmTrap(TrapKind.HostError, $"host function failed: {e.GetType().Name}: {e.Message}", e);
        }
        var expected = b.Type.Results;
        for (int i = 0; i < expected.Length; i++)
            if (results[i].Type != expected[i])
                throw new WasmTrap(TrapKind.HostError, $"host function returned {results[i].Type} for result {i}, expected {expected[i].ToWat()}");
    }
}

internal static class HostFunction
{
    public static Func Create(Engine engine, FuncType type, HostCallback callback) =>
        new(engine, type, new HostBinding(type, callback, caller: null), engine.Signatures.HostStubFor(type));

    /// <summary>A copy of a host function bound to the instance importing it.</summary>
    public static Func Bind(Func f, InstanceContext importer) =>
        f.Target is HostBinding { Caller: null } b
            ? new Func(f.Engine, f.Type, new HostBinding(b.Type, b.Callback, importer), f.Code)
            : f;
}
