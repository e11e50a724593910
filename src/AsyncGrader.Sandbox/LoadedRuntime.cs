using System.Diagnostics;
using System.Security.Cryptography;
using AsyncGrader.Wasi;
using AsyncGrader.Wasm;

namespace AsyncGrader.Sandbox;

/// <summary>
/// A runtime ready for jobs: its module compiled once, its WASI layers loaded once, and a
/// snapshot of the instance taken right after `init` (interpreter started, preamble imported).
/// Every job starts from that snapshot. Immutable after loading; shared by all worker threads.
/// </summary>
public sealed class LoadedRuntime
{
    private LoadedRuntime(RuntimeManifest manifest, string directory, Module module, WasiConfiguration wasi, Linker linker, Snapshot snapshot, WasiState wasiState, TimeSpan compileTime, TimeSpan initTime)
    {
        Manifest = manifest;
        Directory = directory;
        Module = module;
        Wasi = wasi;
        Linker = linker;
        Snapshot = snapshot;
        WasiState = wasiState;
        CompileTime = compileTime;
        InitTime = initTime;
    }

    public RuntimeManifest Manifest { get; }
    public string Directory { get; }
    public Module Module { get; }
    public WasiConfiguration Wasi { get; }
    public Linker Linker { get; }
    public Snapshot Snapshot { get; }
    public WasiState WasiState { get; }
    public TimeSpan CompileTime { get; }
    public TimeSpan InitTime { get; }
    /// <summary>Time spent building the runtime's ahead-of-time image during this load (null: none was built).</summary>
    public TimeSpan? ImageBuildTime { get; private init; }
    /// <summary>Why building the runtime's image failed during this load (null: it did not fail); the runtime then runs compiled in memory.</summary>
    public string? ImageError { get; private init; }

    public RuntimeInfo Info => new(Manifest.Name, Manifest.Version, Manifest.Sha256, Manifest.World,
        new JobLimits(Manifest.Limits.Fuel, Manifest.Limits.MemoryBytes, Manifest.Limits.TimeoutMs, Manifest.Limits.OutputBytes));

    /// <summary>Checks every file against the manifest's sha256 and the manifest's own identity hash.</summary>
    public static void Verify(RuntimeManifest manifest, string directory)
    {
        foreach (var (name, expected) in manifest.Files)
        {
            var path = Path.Combine(directory, name);
            if (!File.Exists(path)) throw new InvalidDataException($"runtime {manifest.Name}: missing file {name}");
            using var stream = File.OpenRead(path);
            var actual = Convert.ToHexStringLower(SHA256.HashData(stream));
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"runtime {manifest.Name}: {name} has sha256 {actual}, manifest says {expected}");
        }
        var identity = RuntimeManifest.ComputeSha256(manifest.Files);
        if (!string.Equals(identity, manifest.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"runtime {manifest.Name}: manifest sha256 {manifest.Sha256} does not match its files ({identity})");
    }

    public static LoadedRuntime Load(Engine engine, RuntimeManifest manifest, string directory, SandboxOptions options)
    {
        if (options.VerifyRuntimeFiles) Verify(manifest, directory);
        var sw = Stopwatch.StartNew();
        var wasm = File.ReadAllBytes(Path.Combine(directory, manifest.Module));
        TimeSpan? imageBuildTime = null;
        string? imageError = null;
        if (engine.Config.CodeCacheDirectory is not null && options.BuildImages && !Module.ImageExists(engine, wasm)
            && options.FindCrossgen2() is { } crossgen2)
        {
            // An image is an optimisation: if it cannot be built (read-only cache directory,
            // crossgen2 failing), the runtime is compiled in memory and the reason reported.
            try
            {
                Module.BuildImage(engine, wasm, crossgen2);
                imageBuildTime = sw.Elapsed;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                imageError = e.Message;
            }
            sw.Restart();
        }
        var module = Module.Compile(engine, wasm, manifest.Name);
        var compileTime = sw.Elapsed;

        var builder = new WasiConfigurationBuilder()
            .WithArgs(manifest.Args.Count > 0 ? manifest.Args.ToArray() : [manifest.Name])
            .WithJobDirectory("/job")
            .WithScratchLimits(options.ScratchMaxBytes, 10_000);
        foreach (var (k, v) in manifest.Env) builder.WithEnvironment(k, v);
        foreach (var mount in manifest.Mounts)
        {
            var bytes = File.ReadAllBytes(Path.Combine(directory, mount.File));
            if (mount.Kind == "zip-dir") builder.MountZipDirectory(mount.Guest, bytes);
            else if (mount.Kind == "file") builder.MountFile(mount.Guest, bytes);
            else throw new InvalidDataException($"runtime {manifest.Name}: unknown mount kind {mount.Kind}");
        }
        foreach (var p in manifest.Preopens) builder.Preopen(p);
        var wasi = builder.Build();

        var linker = new Linker(engine);
        WasiLinker.AddToLinker(linker);

        sw.Restart();
        var (snapshot, state) = engine.RunOnGuestThreadAsync(() =>
        {
            var store = new Store(engine);
            var ctx = WasiContext.Create(wasi, new WasiJob { RandomSeed = 0 });
            store.Data = ctx;
            var instance = linker.Instantiate(store, module);
            string? error;
            try
            {
                error = CanonicalAbi.CallInit(instance);
            }
            catch (WasmTrap trap)
            {
                throw new InvalidOperationException($"runtime {manifest.Name}: init trapped: {trap}\nstderr: {ctx.Stderr.GetText()}", trap);
            }
            if (error is not null)
                throw new InvalidOperationException($"runtime {manifest.Name}: init failed: {error}\nstderr: {ctx.Stderr.GetText()}");
            return (instance.CaptureSnapshot(), ctx.CaptureState());
        }).GetAwaiter().GetResult();
        return new LoadedRuntime(manifest, directory, module, wasi, linker, snapshot, state, compileTime, sw.Elapsed) { ImageBuildTime = imageBuildTime, ImageError = imageError };
    }
}
