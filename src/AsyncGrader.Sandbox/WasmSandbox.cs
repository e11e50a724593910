using System.Diagnostics;
using System.Text;
using AsyncGrader.Wasi;
using AsyncGrader.Wasm;

namespace AsyncGrader.Sandbox;

/// <summary>
/// The sandbox: runs each job in a fresh instance restored from its runtime's snapshot, with the
/// job's fuel, memory, wall-clock and output limits, and maps every way a guest can end to a
/// <see cref="JobStatus"/>. Thread-safe; one per process.
/// </summary>
public sealed class WasmSandbox : ISandbox
{
    private readonly SandboxOptions _options;

    public WasmSandbox(SandboxOptions options, Engine? engine = null)
    {
        _options = options;
        Engine = engine ?? options.CreateEngine();
        Registry = new RuntimeRegistry(Engine, options);
    }

    public Engine Engine { get; }

    /// <summary>The crossgen2 this sandbox builds runtime images with, or null when none is available.</summary>
    public string? FindCrossgen2() => _options.FindCrossgen2();
    public RuntimeRegistry Registry { get; }

    public IReadOnlyList<RuntimeInfo> Runtimes => Registry.Manifests
        .Select(m => new RuntimeInfo(m.Name, m.Version, m.Sha256, m.World, new JobLimits(m.Limits.Fuel, m.Limits.MemoryBytes, m.Limits.TimeoutMs, m.Limits.OutputBytes)))
        .OrderBy(r => r.Name, StringComparer.Ordinal)
        .ToArray();

    /// <summary>Loads (compiles, initialises, snapshots) the named runtimes now rather than on first use.</summary>
    public Task WarmUpAsync(IEnumerable<string>? names = null) =>
        Task.Run(() =>
        {
            foreach (var name in names ?? Registry.Manifests.Select(m => m.Name)) Registry.Get(name);
        });

    /// <summary>The limits a job runs with: its own, else the runtime's defaults, each clamped to the operator caps.</summary>
    public (long Fuel, long MemoryBytes, int TimeoutMs, int OutputBytes) ResolveLimits(JobLimits limits, ManifestLimits defaults) => (
        Math.Clamp(limits.Fuel ?? defaults.Fuel, 0, _options.MaxFuel),
        Math.Clamp(limits.MemoryBytes ?? defaults.MemoryBytes, 0, _options.MaxMemoryBytes),
        Math.Clamp(limits.TimeoutMs ?? defaults.TimeoutMs, 1, _options.MaxTimeoutMs),
        Math.Clamp(limits.OutputBytes ?? defaults.OutputBytes, 0, _options.MaxOutputBytes));

    public async Task<SandboxOutcome> RunAsync(SandboxJob job, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!Registry.TryGetManifest(job.Runtime, out var manifest))
            return Rejected(job, $"unknown runtime `{job.Runtime}`; available: {string.Join(", ", Registry.Manifests.Select(m => m.Name))}");
        if (job.RuntimeSha256 is { } pin && !string.Equals(pin, manifest!.Sha256, StringComparison.OrdinalIgnoreCase))
            return Rejected(job, $"runtime `{job.Runtime}` is {manifest.Sha256}, the job pins {pin}", manifest.Sha256);

        // Loading a runtime takes seconds, so it happens off the caller's thread; once loaded, no hop.
        if (!Registry.TryGetLoaded(job.Runtime, out var runtime))
            runtime = await Task.Run(() => Registry.Get(job.Runtime), cancellationToken).ConfigureAwait(false);
        var limits = ResolveLimits(job.Limits, manifest!.Limits);
        return await Engine.RunOnGuestThreadAsync(() => Run(runtime!, job, limits, cancellationToken)).ConfigureAwait(false);
    }

    private SandboxOutcome Run(LoadedRuntime runtime, SandboxJob job, (long Fuel, long MemoryBytes, int TimeoutMs, int OutputBytes) limits, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var timeout = TimeSpan.FromMilliseconds(limits.TimeoutMs);
        var store = new Store(Engine, new StoreLimits { MaxMemoryBytes = limits.MemoryBytes, MaxTableElements = 1_000_000 });
        store.SetFuel(limits.Fuel);
        var wasi = WasiContext.Create(runtime.Wasi, new WasiJob
        {
            Files = job.Files.ToDictionary(f => f.Key, f => (ReadOnlyMemory<byte>)f.Value),
            Stdin = job.Stdin is null ? default : Encoding.UTF8.GetBytes(job.Stdin),
            StdoutCapacity = limits.OutputBytes,
            StderrCapacity = limits.OutputBytes,
            RandomSeed = job.Seed ?? 0,
            Timeout = timeout,
            Cancellation = ct,
        }, runtime.WasiState);
        store.Data = wasi;

        JobStatus status;
        string globals = job.GlobalsJson;
        string? error = null;
        Grade? grade = null;

        if (runtime.Snapshot.MemoryBytes > limits.MemoryBytes)
        {
            status = JobStatus.MemoryExceeded;
            error = $"the runtime needs {runtime.Snapshot.MemoryBytes} bytes of memory to start; the job allows {limits.MemoryBytes}";
        }
        else
        {
            using var cancel = store.InterruptOn(ct);
            store.SetDeadline(timeout);
            try
            {
                // Disposing returns the memory to the snapshot's pool, reset page by page for the next job.
                using var instance = runtime.Linker.Instantiate(store, runtime.Snapshot);
                var outcome = CanonicalAbi.CallRun(instance, job);
                status = outcome.Status switch
                {
                    0 => JobStatus.Succeeded,
                    1 => JobStatus.Error,
                    2 => JobStatus.SyntaxError,
                    3 => JobStatus.SystemExit,
                    4 => JobStatus.KeyboardInterrupt,
                    5 => store.MemoryLimitReached ? JobStatus.MemoryExceeded : JobStatus.MemoryError,
                    6 => JobStatus.RecursionError,
                    _ => JobStatus.InvalidJob,
                };
                error = outcome.Error;
                if (status == JobStatus.Succeeded)
                {
                    globals = outcome.GlobalsJson;
                    if (outcome.Correct is not null || outcome.Score is not null || outcome.Msg is not null)
                        grade = new Grade(outcome.Correct, outcome.Score, outcome.Msg);
                }
            }
            catch (WasmTrap trap) when (trap.Kind == TrapKind.Interrupted && ct.IsCancellationRequested)
            {
                throw new OperationCanceledException("the job was cancelled", trap, ct);
            }
            catch (WasmTrap trap)
            {
                (status, error) = trap.Kind switch
                {
                    TrapKind.OutOfFuel => (JobStatus.FuelExhausted, $"fuel exhausted: the job used its whole budget of {limits.Fuel} units"),
                    TrapKind.Interrupted => (JobStatus.TimedOut, $"wall-clock limit of {limits.TimeoutMs} ms exceeded"),
                    TrapKind.CallStackExhausted => (JobStatus.RecursionError, "call stack exhausted (runaway recursion)"),
                    _ when store.MemoryLimitReached => (JobStatus.MemoryExceeded, $"memory limit of {limits.MemoryBytes} bytes exceeded ({trap.Message})"),
                    _ => (JobStatus.RuntimeFault, trap.ToString()),
                };
            }
            catch (WasmExit exit)
            {
                (status, error) = (JobStatus.SystemExit, $"the runtime exited with code {exit.Code}");
            }
            catch (CanonicalAbi.AbiViolation violation)
            {
                (status, error) = (JobStatus.RuntimeFault, $"runtime broke the ABI: {violation.Message}");
            }
            finally
            {
                store.ResetInterrupt();
            }
        }

        if (status == JobStatus.Succeeded && (wasi.Stdout.Truncated || wasi.Stderr.Truncated))
            status = JobStatus.OutputTruncated;

        return new SandboxOutcome
        {
            Status = status,
            GlobalsJson = globals,
            Error = error,
            Grade = grade,
            Stdout = wasi.Stdout.GetText(),
            Stderr = wasi.Stderr.GetText(),
            StdoutTruncated = wasi.Stdout.Truncated,
            StderrTruncated = wasi.Stderr.Truncated,
            FuelUsed = store.FuelConsumed,
            FuelLimit = limits.Fuel,
            PeakMemoryBytes = store.PeakMemoryBytes,
            Duration = sw.Elapsed,
            RuntimeName = runtime.Manifest.Name,
            RuntimeSha256 = runtime.Manifest.Sha256,
        };
    }

    private static SandboxOutcome Rejected(SandboxJob job, string reason, string sha = "") => new()
    {
        Status = JobStatus.Rejected,
        GlobalsJson = job.GlobalsJson,
        Error = reason,
        RuntimeName = job.Runtime,
        RuntimeSha256 = sha,
    };
}
