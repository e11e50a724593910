using System.CommandLine;
using AsyncGrader.Sandbox;
using Spectre.Console;

namespace AsyncGrader.Cli.Commands;

/// <summary><c>asyncgrader runtimes list|verify|images</c>: the runtimes' manifests on this machine, and their ahead-of-time images (no services).</summary>
public static class RuntimesCommand
{
    private static readonly Option<DirectoryInfo?> Dir = new("--runtimes") { Description = "Runtimes directory (default: $ASYNCGRADER_RUNTIMES or the repository's runtimes/)", Recursive = true };

    public static Command Create()
    {
        var cmd = new Command("runtimes", "Runtime manifests and their sha256s");
        cmd.Options.Add(Dir);
        var list = new Command("list", "List the runtimes (name, version, sha256, files, default limits)");
        list.Options.Add(Ops.Json);
        Ops.Action(list, (p, ct) =>
        {
            var found = Discover(p);
            if (p.GetValue(Ops.Json))
            {
                Ops.WriteJson(found.Select(f => new { f.Manifest.Name, f.Manifest.Version, f.Manifest.Sha256, f.Manifest.World, directory = f.Directory, files = f.Manifest.Files, limits = f.Manifest.Limits }));
                return Task.FromResult(ExitCodes.Ok);
            }
            var table = new Table().AddColumns("name", "version", "sha256", "files", "fuel", "memory", "timeout", "directory");
            foreach (var (m, d) in found)
                table.AddRow(Ops.Esc(m.Name), Ops.Esc(m.Version), m.Sha256, m.Files.Count.ToString(), m.Limits.Fuel.ToString("N0"), $"{m.Limits.MemoryBytes >> 20} MiB", $"{m.Limits.TimeoutMs} ms", Ops.Esc(d));
            AnsiConsole.Write(table);
            return Task.FromResult(ExitCodes.Ok);
        });
        var verify = new Command("verify", "Re-hash every runtime file and check it against its manifest (exit 1 on any mismatch)");
        verify.Options.Add(Ops.Json);
        Ops.Action(verify, (p, ct) =>
        {
            var results = new List<(string Name, string Sha, bool Ok, string Detail)>();
            foreach (var (m, d) in Discover(p))
            {
                try { LoadedRuntime.Verify(m, d); results.Add((m.Name, m.Sha256, true, $"{m.Files.Count} files match")); }
                catch (Exception e) when (e is InvalidDataException or IOException) { results.Add((m.Name, m.Sha256, false, e.Message)); }
            }
            if (p.GetValue(Ops.Json)) Ops.WriteJson(results.Select(r => new { name = r.Name, sha256 = r.Sha, ok = r.Ok, detail = r.Detail }));
            else foreach (var r in results) AnsiConsole.MarkupLine($"{(r.Ok ? "[green]ok[/]  " : "[red]FAIL[/]")} {Ops.Esc(r.Name)} {r.Sha[..12]}: {Ops.Esc(r.Detail)}");
            return Task.FromResult(results.All(r => r.Ok) ? ExitCodes.Ok : ExitCodes.Failed);
        });
        var images = new Command("images", "Build the runtimes' ahead-of-time images (native code for this engine build) where missing, as a worker does at start");
        var imageDir = new Option<DirectoryInfo?>("--dir") { Description = "Image directory (default: the worker's, $XDG_CACHE_HOME/asyncgrader/images or ~/.cache/asyncgrader/images)" };
        images.Options.Add(imageDir);
        images.Options.Add(Ops.Json);
        Ops.Action(images, (p, ct) =>
        {
            var dir = p.GetValue(imageDir)?.FullName ?? SandboxOptions.DefaultImageCacheDirectory();
            // The worker's engine configuration, so that the images are the ones it looks for.
            var engine = new SandboxOptions { ImageCacheDirectory = dir }.CreateEngine();
            var results = new List<(string Name, string Path, bool Built, long Ms)>();
            foreach (var (m, d) in Discover(p))
            {
                LoadedRuntime.Verify(m, d);
                var wasm = File.ReadAllBytes(Path.Combine(d, m.Module));
                var sw = System.Diagnostics.Stopwatch.StartNew();
                bool built = !AsyncGrader.Wasm.Module.ImageExists(engine, wasm);
                var path = built ? AsyncGrader.Wasm.Module.BuildImage(engine, wasm) : AsyncGrader.Wasm.Module.ImagePath(engine, wasm)!;
                results.Add((m.Name, path, built, sw.ElapsedMilliseconds));
            }
            if (p.GetValue(Ops.Json)) Ops.WriteJson(results.Select(r => new { name = r.Name, image = r.Path, built = r.Built, ms = r.Ms }));
            else foreach (var r in results) AnsiConsole.MarkupLine($"{Ops.Esc(r.Name)}: {(r.Built ? $"built in {r.Ms} ms" : "up to date")} {Ops.Esc(r.Path)}");
            return Task.FromResult(ExitCodes.Ok);
        });
        cmd.Subcommands.Add(list);
        cmd.Subcommands.Add(verify);
        cmd.Subcommands.Add(images);
        return cmd;
    }

    private static List<(RuntimeManifest Manifest, string Directory)> Discover(System.CommandLine.ParseResult p)
    {
        var root = p.GetValue(Dir)?.FullName ?? SandboxOptions.FindDefaultRuntimesDirectory()
            ?? throw new UsageException("no runtimes directory: pass --runtimes or set ASYNCGRADER_RUNTIMES");
        if (!Directory.Exists(root)) throw new UsageException($"no such directory: {root}");
        var found = new List<(RuntimeManifest, string)>();
        foreach (var dir in Directory.EnumerateDirectories(root).Order())
            foreach (var candidate in new[] { Path.Combine(dir, "manifest.json"), Path.Combine(dir, "out", "manifest.json") })
            {
                if (!File.Exists(candidate)) continue;
                found.Add((RuntimeManifest.Load(candidate), Path.GetDirectoryName(candidate)!));
                break;
            }
        if (found.Count == 0) throw new UsageException($"no runtime manifests under {root} (build them with scripts/build-runtimes.sh)");
        return found;
    }
}
