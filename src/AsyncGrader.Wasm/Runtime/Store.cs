namespace AsyncGrader.Wasm;

/// <summary>Per-store resource caps. A store is one job: every instance in it shares these.</summary>
public sealed class StoreLimits
{
    /// <summary>Cap on the bytes of any one linear memory; memory.grow past it returns -1.</summary>
    public long MaxMemoryBytes { get; init; } = 1L << 31;

    /// <summary>Cap on the elements of any one table; table.grow past it returns -1.</summary>
    public long MaxTableElements { get; init; } = 10_000_000;

    public static StoreLimits Default { get; } = new();
}

/// <summary>
/// Per-job state: fuel, limits, interruption, and the instances created in it. Not thread-safe
/// except for <see cref="Interrupt"/>, which any thread may call.
/// </summary>
public sealed class Store
{
    // Hot fields read by compiled code (see Compilation.FunctionCompiler).
    internal long FuelRemaining = long.MaxValue;
    internal volatile bool InterruptRequested;
    // Compiled code with fuel checks one condition at loop headers and entries: remaining fuel below
    // this floor. 0 normally; Interrupt() raises it to long.MaxValue so the same check catches an
    // interrupt (the slow path then tells which it was). Saves a load and a branch per check.
    internal long FuelFloor;
    internal int CallDepth;
    // Lowest native stack address guest code may use on the current guest thread (see GuestThreadPool).
    internal nuint StackLimit;
    internal readonly int MaxCallDepth;
    internal Runtime.InstanceContext? CurrentInstance;

    private long _fuelAdded;
    // Bumped by SetDeadline and ResetInterrupt: a scheduled deadline only fires for its own version.
    internal long DeadlineVersion;
    private Runtime.DeadlineWatchdog.Ticket? _deadline;

    public Store(Engine engine, StoreLimits? limits = null)
    {
        Engine = engine;
        Limits = limits ?? StoreLimits.Default;
        MaxCallDepth = engine.Config.MaxCallDepth;
    }

    public Engine Engine { get; }
    public StoreLimits Limits { get; }

    /// <summary>Arbitrary host data (e.g. the WASI context of the job).</summary>
    public object? Data { get; set; }

    /// <summary>Largest linear memory size, in bytes, seen in this store.</summary>
    public long PeakMemoryBytes { get; internal set; }

    /// <summary>Whether a memory.grow was refused because of <see cref="StoreLimits.MaxMemoryBytes"/>.</summary>
    public bool MemoryLimitReached { get; internal set; }

    /// <summary>Whether fuel is being metered (after the first <see cref="SetFuel"/>).</summary>
    public bool FuelEnabled { get; private set; }

    /// <summary>Sets the remaining fuel. Fuel consumed counts from this point.</summary>
    public void SetFuel(long fuel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fuel);
        if (!Engine.Config.ConsumeFuel) throw new InvalidOperationException("fuel is disabled in this engine's configuration");
        FuelEnabled = true;
        FuelRemaining = fuel;
        _fuelAdded = fuel;
    }

    /// <summary>Remaining fuel (never negative).</summary>
    public long FuelRemainingValue => FuelEnabled ? Math.Max(0, FuelRemaining) : long.MaxValue;

    /// <summary>Fuel consumed since <see cref="SetFuel"/>: exact and deterministic, capped at the budget.</summary>
    public long FuelConsumed => FuelEnabled ? Math.Min(_fuelAdded, _fuelAdded - FuelRemaining) : 0;

    /// <summary>Asks the running guest to trap with <see cref="TrapKind.Interrupted"/>. Thread-safe.</summary>
    public void Interrupt()
    {
        InterruptRequested = true; // before the floor: a guest that sees the floor sees the flag
        Volatile.Write(ref FuelFloor, long.MaxValue);
    }

    /// <summary>Interrupts the guest when <paramref name="timeout"/> elapses (wall clock).</summary>
    public void SetDeadline(TimeSpan timeout)
    {
        long version = Interlocked.Increment(ref DeadlineVersion);
        long due = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        _deadline?.Cancel();
        _deadline = Runtime.DeadlineWatchdog.Schedule(this, version, due);
    }

    /// <summary>Interrupts the guest when the token is cancelled.</summary>
    public CancellationTokenRegistration InterruptOn(CancellationToken token) =>
        token.Register(static s => ((Store)s!).Interrupt(), this);

    /// <summary>Clears a previous interrupt so the store can run again (call it when no guest code is running in this store).</summary>
    public void ResetInterrupt()
    {
        Interlocked.Increment(ref DeadlineVersion);
        _deadline?.Cancel();
        _deadline = null;
        Volatile.Write(ref FuelFloor, 0);
        InterruptRequested = false;
    }

    internal void NoteMemorySize(long bytes)
    {
        if (bytes > PeakMemoryBytes) PeakMemoryBytes = bytes;
    }
}
