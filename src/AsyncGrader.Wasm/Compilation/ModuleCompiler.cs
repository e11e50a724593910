using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.Loader;
using AsyncGrader.Wasm.Binary;
using AsyncGrader.Wasm.Runtime;

namespace AsyncGrader.Wasm.Compilation;

/// <summary>What the function compiler needs to know about the module being compiled.</summary>
internal sealed class ModuleCompileContext
{
    public required Engine Engine;
    public required ModuleDefinition Definition;
    public required bool HasMemory;
    /// <summary>Per global index: the typed field for a private global, null for a shared cell.</summary>
    public required FieldInfo?[] GlobalFields;
    /// <summary>Per function index: the method of a defined function (null for imports).</summary>
    public required MethodInfo?[] Methods;
    public required ModuleBuilder ModuleBuilder;
    public required TypeBuilder ModuleType;
    /// <summary>
    /// Ahead-of-time images only: per type index used by call_indirect, an instance field t{i} of
    /// the context holding the type's canonical signature id. New() copies it from the static s{i},
    /// set when the image is bound to an engine (ids are per engine, so they cannot be constants in
    /// a file). Null when compiling in memory: the ids are then emitted as constants.
    /// </summary>
    public FieldInfo?[]? TypeIdFields;
    /// <summary>Metadata tokens of engine fields used by compiled code, resolved once per module.</summary>
    public Dictionary<FieldInfo, int> FieldTokens { get; } = new();
}

/// <summary>The compiled form of a module, shared (read-only) by all its instances.</summary>
internal sealed class CompiledModule
{
    public required Type ContextType;
    public required Func<InstanceContext> CreateContext;
    /// <summary>Per function index: the code pointer of a defined function (Zero for imports).</summary>
    public required IntPtr[] FunctionPointers;
    /// <summary>Per global index: the private global's field on the context, or null for a cell.</summary>
    public required FieldInfo?[] GlobalFields;
    public required string[] FunctionNames;
    /// <summary>Per function index: its canonical signature id (engine-wide).</summary>
    public required int[] FunctionTypeIds;
    /// <summary>Per data segment: its bytes, shared read-only by every instance (memory.init only reads).</summary>
    public required byte[][] DataSegments;
}

/// <summary>
/// Compiles a validated module into one type: instance fields for private globals and one static
/// method per defined function, written as an assembly. In memory (the default) that assembly is
/// loaded straight away and the JIT compiles each method on its first call, so functions that
/// never run cost only their IL. <see cref="Persist"/> writes the same assembly to a file instead,
/// for an ahead-of-time compiler to turn into native code (see <see cref="Runtime.CodeCache"/>).
/// </summary>
/// <remarks>
/// Both paths use <see cref="PersistedAssemblyBuilder"/>, never the runtime's dynamic TypeBuilder:
/// the dynamic builder spends most of its time in the runtime's native metadata bookkeeping, and
/// python.wasm (21 MB of IL, ~9,000 methods) took 1.4-2.3 s to compile that way against
/// 0.7-0.9 s written as an assembly and loaded from memory (docs/BENCHMARKS.md).
/// </remarks>
internal static class ModuleCompiler
{
    private static int s_counter;
    // In-memory modules each get a unique assembly name, so they can share one load context.
    private static readonly AssemblyLoadContext s_inMemory = new("wasm-modules");

    public static CompiledModule Compile(Engine engine, ModuleDefinition def, string name)
    {
        string assemblyName = $"wasm{Interlocked.Increment(ref s_counter)}";
        using var il = new MemoryStream();
        Write(engine, def, assemblyName, il, forImage: false);
        il.Position = 0;
        return Bind(engine, def, name, s_inMemory.LoadFromStream(il), typeIdsBound: true);
    }

    /// <summary>The type name inside a compiled module's assembly.</summary>
    public const string PersistedTypeName = "Wasm.Module";

    /// <summary>Writes the module's compiled IL, for an image, as the assembly <paramref name="assemblyName"/> to <paramref name="path"/>.</summary>
    public static void Persist(Engine engine, ModuleDefinition def, string assemblyName, string path)
    {
        using var file = File.Create(path);
        Write(engine, def, assemblyName, file, forImage: true);
    }

    /// <summary>
    /// An image may be loaded by any engine of the same build, so its signature ids are statics set
    /// when it is bound; in memory, the compiling engine's ids are constants in the code.
    /// </summary>
    private static void Write(Engine engine, ModuleDefinition def, string assemblyName, Stream output, bool forImage)
    {
        var asm = new PersistedAssemblyBuilder(new AssemblyName(assemblyName), typeof(object).Assembly);
        DynamicAssemblies.GrantAccess(asm);
        var mb = asm.DefineDynamicModule(assemblyName);
        var tb = mb.DefineType(PersistedTypeName, TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Class, typeof(InstanceContext));
        Emit(engine, def, mb, tb, forImage);
        tb.CreateType();
        asm.Save(output);
    }

    /// <summary>Binds a loaded ahead-of-time image (written by <see cref="Persist"/> for the same module) to <paramref name="engine"/>.</summary>
    public static CompiledModule FromImage(Engine engine, ModuleDefinition def, string name, Assembly image) =>
        Bind(engine, def, name, image, typeIdsBound: false);

    private static CompiledModule Bind(Engine engine, ModuleDefinition def, string name, Assembly assembly, bool typeIdsBound)
    {
        var type = assembly.GetType(PersistedTypeName, throwOnError: true)!;
        if (typeIdsBound) return Bake(engine, def, name, type, typeIdStatics: null);
        var typeIds = new FieldInfo?[def.Types.Count];
        foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Static))
            if (field.Name.StartsWith('s') && int.TryParse(field.Name.AsSpan(1), out int t)) typeIds[t] = field;
        return Bake(engine, def, name, type, typeIds);
    }

    /// <summary>Globals that are neither imported nor exported: they live as typed fields g{i} of the context.</summary>
    private static IEnumerable<int> PrivateGlobals(ModuleDefinition def)
    {
        var exported = def.Exports.Where(e => e.Kind == ExternKind.Global).Select(e => (int)e.Index).ToHashSet();
        return Enumerable.Range(def.ImportedGlobalCount, def.TotalGlobalCount - def.ImportedGlobalCount).Where(g => !exported.Contains(g));
    }

    private static ModuleCompileContext Emit(Engine engine, ModuleDefinition def, ModuleBuilder mb, TypeBuilder tb, bool forImage)
    {
        var ctor = tb.DefineDefaultConstructor(MethodAttributes.Public);

        var globalBuilders = new FieldBuilder?[def.TotalGlobalCount];
        foreach (int g in PrivateGlobals(def))
            globalBuilders[g] = tb.DefineField($"g{g}", ClrTypes.Of(def.GlobalType(g).Type), FieldAttributes.Public);

        var methods = new MethodBuilder?[def.TotalFunctionCount];
        for (int f = def.ImportedFunctionCount; f < def.TotalFunctionCount; f++)
        {
            var type = def.FunctionType(f);
            var m = tb.DefineMethod($"f{f}", MethodAttributes.Public | MethodAttributes.Static, ClrTypes.ReturnType(type), ClrTypes.Parameters(type, tb, engine.Config.ConsumeFuel));
            // No zeroing of the whole frame: FunctionCompiler zeroes the Wasm locals itself, and every
            // other local it declares is written before it is read.
            m.InitLocals = false;
            // An ahead-of-time compiler skips AggressiveOptimization methods (they are left to the JIT).
            if (engine.Config.OptimizeEagerly && !forImage) m.SetImplementationFlags(MethodImplAttributes.AggressiveOptimization);
            methods[f] = m;
        }

        var ctx = new ModuleCompileContext
        {
            Engine = engine,
            Definition = def,
            HasMemory = def.TotalMemoryCount > 0,
            GlobalFields = globalBuilders,
            Methods = methods,
            ModuleBuilder = mb,
            ModuleType = tb,
            TypeIdFields = forImage ? new FieldInfo?[def.Types.Count] : null,
        };
        for (int f = def.ImportedFunctionCount; f < def.TotalFunctionCount; f++)
            new FunctionCompiler(ctx, f, methods[f]!).Compile();

        // static InstanceContext New() { var c = new Module(); c.t{i} = s{i}; ...; return c; }
        var factory = tb.DefineMethod("New", MethodAttributes.Public | MethodAttributes.Static, typeof(InstanceContext), Type.EmptyTypes);
        var il = factory.GetILGenerator();
        il.Emit(OpCodes.Newobj, ctor);
        if (ctx.TypeIdFields is { } typeIds)
            for (int t = 0; t < typeIds.Length; t++)
            {
                if (typeIds[t] is not { } field) continue;
                il.Emit(OpCodes.Dup);
                il.Emit(OpCodes.Ldsfld, tb.DefineField($"s{t}", typeof(int), FieldAttributes.Public | FieldAttributes.Static));
                il.Emit(OpCodes.Stfld, field);
            }
        il.Emit(OpCodes.Ret);
        return ctx;
    }

    private static CompiledModule Bake(Engine engine, ModuleDefinition def, string name, Type baked, FieldInfo?[]? typeIdStatics)
    {
        // Ids first: an image's contexts copy them from these statics when they are created.
        if (typeIdStatics is not null)
            for (int t = 0; t < typeIdStatics.Length; t++)
                typeIdStatics[t]?.SetValue(null, engine.Signatures.IdOf(def.Types[t]));

        var names = new string[def.TotalFunctionCount];
        for (int f = 0; f < names.Length; f++) names[f] = def.FunctionName(f);
        var pointers = new IntPtr[def.TotalFunctionCount];
        // One GetMethods call, not GetMethod(name) per function: lookup by name scans the type's
        // methods each time, which is quadratic (8,000 functions: 8 s instead of 0.3 s).
        var bakedMethods = baked.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly).ToDictionary(m => m.Name);
        for (int f = def.ImportedFunctionCount; f < def.TotalFunctionCount; f++)
            pointers[f] = bakedMethods[$"f{f}"].MethodHandle.GetFunctionPointer();
        var fields = new FieldInfo?[def.TotalGlobalCount];
        foreach (int g in PrivateGlobals(def)) fields[g] = baked.GetField($"g{g}");

        Invoker.RegisterNames(baked, name, names);
        return new CompiledModule
        {
            ContextType = baked,
            CreateContext = baked.GetMethod("New")!.CreateDelegate<Func<InstanceContext>>(),
            FunctionPointers = pointers,
            GlobalFields = fields,
            FunctionNames = names,
            FunctionTypeIds = Enumerable.Range(0, def.TotalFunctionCount).Select(f => engine.Signatures.IdOf(def.FunctionType(f))).ToArray(),
            DataSegments = def.Data.Select(d => def.Bytes.AsSpan(d.DataOffset, d.DataLength).ToArray()).ToArray(),
        };
    }
}
