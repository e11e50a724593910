using System.Collections.Concurrent;
using AsyncGrader.Wasm;

namespace AsyncGrader.Sandbox;

/// <summary>
/// Discovers runtimes from their manifests (no runtime-specific code anywhere in the host) and
/// loads each one on first use. Thread-safe.
/// </summary>
public sealed class RuntimeRegistry
{
    private readonly Engine _engine;
    private readonly SandboxOptions _options;
    private readonly Dictionary<string, (RuntimeManifest Manifest, string Directory)> _available;
    private readonly ConcurrentDictionary<string, Lazy<LoadedRuntime>> _loaded = new();

    public RuntimeRegistry(Engine engine, SandboxOptions options)
    {
        _engine = engine;
        _options = options;
        _available = Discover(options.RuntimesDirectory ?? SandboxOptions.FindDefaultRuntimesDirectory());
    }

    public IReadOnlyCollection<RuntimeManifest> Manifests => _available.Values.Select(v => v.Manifest).ToArray();

    public bool TryGetManifest(string name, out RuntimeManifest? manifest)
    {
        manifest = _available.TryGetValue(name, out var entry) ? entry.Manifest : null;
        return manifest is not null;
    }

    /// <summary>The loaded runtime (compiled, initialised, snapshotted); loads it on first use.</summary>
    public LoadedRuntime Get(string name)
    {
        if (!_available.TryGetValue(name, out var entry)) throw new KeyNotFoundException($"unknown runtime `{name}`");
        return _loaded.GetOrAdd(name, _ => new Lazy<LoadedRuntime>(() => LoadedRuntime.Load(_engine, entry.Manifest, entry.Directory, _options))).Value;
    }

    /// <summary>The runtime if it is already loaded (never loads: loading takes seconds).</summary>
    public bool TryGetLoaded(string name, out LoadedRuntime? runtime)
    {
        runtime = _loaded.TryGetValue(name, out var lazy) && lazy.IsValueCreated ? lazy.Value : null;
        return runtime is not null;
    }

    private static Dictionary<string, (RuntimeManifest, string)> Discover(string? root)
    {
        var found = new Dictionary<string, (RuntimeManifest, string)>(StringComparer.Ordinal);
        if (root is null || !Directory.Exists(root)) return found;
        foreach (var dir in Directory.EnumerateDirectories(root))
        {
            foreach (var candidate in new[] { Path.Combine(dir, "manifest.json"), Path.Combine(dir, "out", "manifest.json") })
            {
                if (!File.Exists(candidate)) continue;
                var manifest = RuntimeManifest.Load(candidate);
                found[manifest.Name] = (manifest, Path.GetDirectoryName(candidate)!);
                break;
            }
        }
        return found;
    }
}
