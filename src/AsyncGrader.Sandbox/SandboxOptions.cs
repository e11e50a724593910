namespace AsyncGrader.Sandbox;

/// <summary>Operator configuration of the sandbox (section "Sandbox").</summary>
public sealed class SandboxOptions
{
    /// <summary>
    /// Where runtimes live: each runtime is a folder with a manifest.json, either directly
    /// (<c>dir/python-3.11/manifest.json</c>) or as build output (<c>dir/python-3.11/out/manifest.json</c>).
    /// Default: $ASYNCGRADER_RUNTIMES, else the repository's runtimes/ folder found from the current directory.
    /// </summary>
    public string? RuntimesDirectory { get; set; }

    /// <summary>Caps: a job's limits are clamped to these (the worker rejects jobs that ask for more).</summary>
    public long MaxFuel { get; set; } = 20_000_000_000;
    public long MaxMemoryBytes { get; set; } = 1L << 30;
    public int MaxTimeoutMs { get; set; } = 60_000;
    public int MaxOutputBytes { get; set; } = 4 << 20;

    /// <summary>Byte cap of a job's writable /tmp.</summary>
    public long ScratchMaxBytes { get; set; } = 16 << 20;

    /// <summary>Verify every runtime file's sha256 against its manifest when loading it.</summary>
    public bool VerifyRuntimeFiles { get; set; } = true;

    /// <summary>
    /// Compile guest code fully optimised on its first call instead of through the JIT's tiers
    /// (<see cref="AsyncGrader.Wasm.EngineConfig.OptimizeEagerly"/>). Used when the sandbox creates its engine.
    /// </summary>
    public bool OptimizeEagerly { get; set; }

    /// <summary>
    /// Directory of ahead-of-time compiled runtime images (native code, keyed by module and engine
    /// build; see docs/ENGINE.md). Null: runtimes are compiled in memory at load. Anyone who can
    /// write here can run native code in the host: give it the service's own permissions.
    /// </summary>
    public string? ImageCacheDirectory { get; set; }

    /// <summary>When a runtime has no image yet, build it with crossgen2 before loading (seconds, once per module and engine build).</summary>
    public bool BuildImages { get; set; } = true;

    /// <summary>crossgen2 executable for building images. Default: the one shipped next to the application (crossgen2/crossgen2).</summary>
    public string? Crossgen2Path { get; set; }

    /// <summary>The default image directory: $XDG_CACHE_HOME/asyncgrader/images, else ~/.cache/asyncgrader/images.</summary>
    public static string DefaultImageCacheDirectory()
    {
        var root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (string.IsNullOrEmpty(root)) root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "asyncgrader", "images");
    }

    /// <summary>The crossgen2 to build images with, or null when none is available.</summary>
    public string? FindCrossgen2() =>
        Crossgen2Path is { } path ? (File.Exists(path) ? path : null) : AsyncGrader.Wasm.Module.DefaultCrossgen2Path();

    /// <summary>The engine these options describe (what <see cref="WasmSandbox"/> creates when given none).</summary>
    public AsyncGrader.Wasm.Engine CreateEngine() => new(new AsyncGrader.Wasm.EngineConfig
    {
        // Every job starts from its runtime's snapshot in a pooled memory: resetting one copies
        // back only the pages the last job wrote (~100 KiB for a trivial Python job, not 15 MiB).
        TrackDirtyPages = true,
        OptimizeEagerly = OptimizeEagerly,
        CodeCacheDirectory = ImageCacheDirectory,
    });

    public static string? FindDefaultRuntimesDirectory()
    {
        var env = Environment.GetEnvironmentVariable("ASYNCGRADER_RUNTIMES");
        if (!string.IsNullOrEmpty(env)) return env;
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "AsyncGrader.sln")) && Directory.Exists(Path.Combine(dir.FullName, "runtimes")))
                    return Path.Combine(dir.FullName, "runtimes");
            }
        }
        return null;
    }
}
