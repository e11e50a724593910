namespace AsyncGrader.Wasm;

public enum ExternKind : byte
{
    Func = 0,
    Table = 1,
    Memory = 2,
    Global = 3,
}

public sealed record ImportType(string Module, string Name, ExternKind Kind);

public sealed record ExportType(string Name, ExternKind Kind);

/// <summary>
/// A decoded, validated and compiled module. Immutable and thread-safe: compile once, instantiate
/// in many stores (the compiled code is shared; each instance has its own state).
/// </summary>
public sealed class Module
{
    internal Module(Engine engine, Binary.ModuleDefinition definition, Compilation.CompiledModule compiled, string name, bool fromImage)
    {
        FromImage = fromImage;
        Engine = engine;
        Definition = definition;
        Compiled = compiled;
        Name = name;
        Imports = definition.Imports.Select(i => new ImportType(i.Module, i.Name, i.Kind)).ToArray();
        Exports = definition.Exports.Select(e => new ExportType(e.Name, e.Kind)).ToArray();
    }

    public Engine Engine { get; }
    public string Name { get; }
    public IReadOnlyList<ImportType> Imports { get; }
    public IReadOnlyList<ExportType> Exports { get; }

    /// <summary>True when the code was loaded from an ahead-of-time image (<see cref="EngineConfig.CodeCacheDirectory"/>).</summary>
    public bool FromImage { get; }

    internal Binary.ModuleDefinition Definition { get; }
    internal Compilation.CompiledModule Compiled { get; }

    /// <summary>Decodes, validates and compiles a binary module.</summary>
    /// <exception cref="WasmDecodeException">the bytes are malformed</exception>
    /// <exception cref="WasmValidationException">the module is invalid</exception>
    public static Module Compile(Engine engine, ReadOnlySpan<byte> wasm, string? name = null)
    {
        var definition = Binary.ModuleDecoder.Decode(wasm);
        Validation.ModuleValidator.Validate(definition);
        name ??= definition.Names.ModuleName ?? "module";
        var image = engine.CodeCache?.TryLoad(engine, definition, wasm, name);
        var compiled = image ?? Compilation.ModuleCompiler.Compile(engine, definition, name);
        return new Module(engine, definition, compiled, name, fromImage: image is not null);
    }

    /// <summary>
    /// Compiles the module ahead of time into <see cref="EngineConfig.CodeCacheDirectory"/> with
    /// crossgen2, for this engine build and configuration, and returns the image's path. Takes
    /// seconds for a large module (python.wasm: about 10 s on two cores): do it once, at start.
    /// </summary>
    /// <param name="crossgen2Path">crossgen2's executable; default <see cref="DefaultCrossgen2Path"/>.</param>
    public static string BuildImage(Engine engine, ReadOnlySpan<byte> wasm, string? crossgen2Path = null)
    {
        string dir = engine.Config.CodeCacheDirectory ?? throw new InvalidOperationException("EngineConfig.CodeCacheDirectory is not set");
        string crossgen2 = crossgen2Path ?? DefaultCrossgen2Path()
            ?? throw new FileNotFoundException("crossgen2 was not found next to the application (crossgen2/crossgen2)");
        return Runtime.CodeCache.Build(engine, wasm, dir, crossgen2);
    }

    /// <summary>The crossgen2 copied next to the application by this project's build, or null if absent.</summary>
    public static string? DefaultCrossgen2Path()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "crossgen2", OperatingSystem.IsWindows() ? "crossgen2.exe" : "crossgen2");
        return File.Exists(path) ? path : null;
    }

    /// <summary>Whether <see cref="EngineConfig.CodeCacheDirectory"/> holds an image of this module for this engine build and configuration.</summary>
    public static bool ImageExists(Engine engine, ReadOnlySpan<byte> wasm) => File.Exists(ImagePath(engine, wasm));

    /// <summary>Where this module's image for this engine build and configuration is (or would be); null without a cache directory.</summary>
    public static string? ImagePath(Engine engine, ReadOnlySpan<byte> wasm) =>
        engine.Config.CodeCacheDirectory is { } dir ? Runtime.CodeCache.ImagePath(dir, wasm, engine.Config) : null;

    /// <summary>Decodes and validates without compiling.</summary>
    public static void Validate(ReadOnlySpan<byte> wasm)
    {
        var definition = Binary.ModuleDecoder.Decode(wasm);
        Validation.ModuleValidator.Validate(definition);
    }
}
