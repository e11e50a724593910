using System.Diagnostics;
using System.Runtime.Loader;
using System.Security.Cryptography;
using AsyncGrader.Wasm.Binary;
using AsyncGrader.Wasm.Compilation;

namespace AsyncGrader.Wasm.Runtime;

/// <summary>
/// Ahead-of-time images of modules: the module's IL written to an assembly and compiled to native
/// code by crossgen2 (ReadyToRun), kept in a directory keyed by the module's bytes and the engine
/// build, and loaded instead of compiling in memory.
/// </summary>
/// <remarks>
/// Why: RyuJIT refuses to optimise a method above its size limits (60,000 IL bytes, 2,000 basic
/// blocks, ...) and runs it unoptimised for good, and that is where interpreters such as CPython
/// spend their time (their eval loop is one huge function). An ahead-of-time compiler never
/// applies those limits. Loading an image also replaces the whole in-memory compile.
/// With tiered compilation on, the runtime still re-JITs a ReadyToRun method once it is hot, and a
/// huge one comes back unoptimised; hosts that depend on images turn tiering off (docs/ENGINE.md).
/// </remarks>
internal sealed class CodeCache(string directory)
{
    // One load context per engine: an image's statics (its signature ids) belong to one engine.
    private readonly AssemblyLoadContext _context = new($"wasm-images-{Guid.NewGuid():N}");

    /// <summary>The image's name: the module's bytes, the engine build (its MVID) and the options compiled into code.</summary>
    public static string ImageName(ReadOnlySpan<byte> wasm, EngineConfig config)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(wasm, hash);
        string engineBuild = typeof(CodeCache).Assembly.ManifestModule.ModuleVersionId.ToString("N")[..16];
        return $"wasm-{Convert.ToHexStringLower(hash)[..32]}-{engineBuild}-{(config.ConsumeFuel ? "fuel" : "nofuel")}{(config.TrackDirtyPages ? "-dirty" : "")}";
    }

    public static string ImagePath(string directory, ReadOnlySpan<byte> wasm, EngineConfig config) =>
        Path.Combine(directory, ImageName(wasm, config) + ".dll");

    /// <summary>The module's compiled form from its image, or null when there is no usable image.</summary>
    public CompiledModule? TryLoad(Engine engine, ModuleDefinition def, ReadOnlySpan<byte> wasm, string name)
    {
        string path = ImagePath(directory, wasm, engine.Config);
        if (!File.Exists(path)) return null;
        try
        {
            return ModuleCompiler.FromImage(engine, def, name, _context.LoadFromAssemblyPath(path));
        }
        catch (Exception e) when (e is BadImageFormatException or FileLoadException or TypeLoadException or MissingMemberException)
        {
            // A truncated or foreign file: compile in memory, and move it aside so the next build replaces it.
            try { File.Move(path, path + ".bad", overwrite: true); } catch (IOException) { }
            return null;
        }
    }

    /// <summary>Builds the module's image in <paramref name="directory"/> with crossgen2 and returns its path.</summary>
    public static string Build(Engine engine, ReadOnlySpan<byte> wasm, string directory, string crossgen2)
    {
        var def = ModuleDecoder.Decode(wasm);
        Validation.ModuleValidator.Validate(def);
        string imageName = ImageName(wasm, engine.Config);
        Directory.CreateDirectory(directory);
        string work = Path.Combine(directory, $".{imageName}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}");
        Directory.CreateDirectory(Path.Combine(work, "native"));
        try
        {
            string il = Path.Combine(work, imageName + ".dll");
            ModuleCompiler.Persist(engine, def, imageName, il);
            string native = Path.Combine(work, "native", imageName + ".dll");
            // The engine assembly joins the image's version bubble: its field offsets and small
            // helpers are compiled into the code (15 % on CPython's eval loop). That is safe only
            // next to that exact engine build, which the image name's MVID guarantees.
            string engineAssembly = typeof(CodeCache).Assembly.Location;
            RunCrossgen2(crossgen2, [il, "-o", native, "-O",
                "-r", Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "*.dll"),
                "-r", engineAssembly, "--inputbubble", "--inputbubbleref", engineAssembly]);
            // Atomic: concurrent builders of the same image each move a complete file into place.
            string final = Path.Combine(directory, imageName + ".dll");
            File.Move(native, final, overwrite: true);
            return final;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static void RunCrossgen2(string crossgen2, string[] args)
    {
        var psi = new ProcessStartInfo(crossgen2) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {crossgen2}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"crossgen2 exited with {p.ExitCode}: {stderr.Trim()} {stdout.Result.Trim()}".Trim());
    }
}
