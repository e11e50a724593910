using System.Collections.Concurrent;
using System.Diagnostics;

namespace AsyncGrader.Wasm.Runtime;

/// <summary>Host → guest calls: argument checks, the guest thread, trap conversion and backtraces.</summary>
internal static class Invoker
{
    private static readonly ConcurrentDictionary<Type, (string Module, string[] Names)> s_moduleNames = new();

    public static void RegisterNames(Type contextType, string module, string[] names) => s_moduleNames[contextType] = (module, names);

    public static Value[] Invoke(Func f, Value[] args)
    {
        if (f.Owner is { IsDisposed: true })
            throw new WasmTrap(TrapKind.HostError, "the function's instance was disposed");
        var type = f.Type;
        if (args.Length != type.Params.Length)
            throw new ArgumentException($"expected {type.Params.Length} arguments, got {args.Length}");
        for (int i = 0; i < args.Length; i++)
            if (args[i].Type != type.Params[i])
                throw new ArgumentException($"argument {i} is {args[i].Type.ToWat()}, expected {type.Params[i].ToWat()}");
        return f.Engine.GuestThreads.Run(() => InvokeOnGuestThread(f, args));
    }

    private static Value[] InvokeOnGuestThread(Func f, Value[] args)
    {
        var results = new Value[f.Type.Results.Length];
        var store = f.Target switch
        {
            InstanceContext c => c.Store,
            HostBinding b => b.Caller?.Store,
            _ => null,
        };
        int depth = store?.CallDepth ?? 0;
        if (store is not null) store.StackLimit = GuestThreadPool.CurrentStackLimit;
        var trampoline = f.Engine.Signatures.InvokerFor(f.Type);
        try
        {
            // The guest starts from the store's fuel and leaves the rest there (unmetered: ignored).
            trampoline(f.Code, f.Target, args, results, store?.FuelRemaining ?? long.MaxValue);
            return results;
        }
        catch (WasmTrap trap)
        {
            if (trap.WasmBacktrace.Count == 0) trap.WasmBacktrace = Backtrace(trap);
            throw;
        }
        catch (WasmException)
        {
            throw;
        }
        catch (InsufficientExecutionStackException e)
        {
            throw new WasmTrap(TrapKind.CallStackExhausted, null, e) { WasmBacktrace = Backtrace(e) };
        }
        catch (Exception e)
        {
            // Never let an engine fault escape as an arbitrary exception.
            throw new WasmTrap(TrapKind.HostError, $"internal engine error: {e.GetType().Name}: {e.Message}", e);
        }
        finally
        {
            if (store is not null) store.CallDepth = depth;
        }
    }

    /// <summary>Wasm frames (innermost first) recovered from the CLR stack trace of the exception.</summary>
    public static IReadOnlyList<string> Backtrace(Exception e)
    {
        var frames = new List<string>();
        foreach (var frame in new StackTrace(e, false).GetFrames())
        {
            var method = frame.GetMethod();
            var declaring = method?.DeclaringType;
            if (declaring is null || !s_moduleNames.TryGetValue(declaring, out var info)) continue;
            if (method!.Name.Length > 1 && method.Name[0] == 'f' && int.TryParse(method.Name.AsSpan(1), out int index) && index < info.Names.Length)
                frames.Add($"{info.Module}!{info.Names[index]}");
            if (frames.Count >= 64) break;
        }
        return frames;
    }
}
