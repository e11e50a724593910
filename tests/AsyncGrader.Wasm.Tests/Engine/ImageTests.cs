namespace AsyncGrader.Wasm.Tests.EngineLimits;

/// <summary>
/// Ahead-of-time images (Module.BuildImage, EngineConfig.CodeCacheDirectory): the same module
/// loaded from its crossgen2 image must behave exactly as compiled in memory: results, fuel,
/// traps, backtraces, signature checks and the stack guard. Builds with the crossgen2 this
/// project's build copies next to the tests.
/// </summary>
public sealed class ImageTests
{
    private const string Wat = """
    (module
      (type $ii (func (param i32) (result i32)))
      (type $v (func))
      (memory (export "mem") 1)
      (global $counter (mut i32) (i32.const 0))
      (table $t 4 funcref)
      (elem (i32.const 0) $double $nothing)

      (func $double (type $ii) (i32.mul (local.get 0) (i32.const 2)))
      (func $nothing (type $v))

      ;; table[i](x) through type $ii: i = 0 works, 1 has the wrong type, 2 is empty, 9 is out of bounds
      (func (export "indirect") (param $i i32) (param $x i32) (result i32)
        (call_indirect (type $ii) (local.get $x) (local.get $i)))

      (func $fib (export "fib") (param $n i32) (result i32)
        (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
        (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
          (then (local.get $n))
          (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                         (call $fib (i32.sub (local.get $n) (i32.const 2)))))))

      (func (export "calls") (result i32) (global.get $counter))

      ;; sum of bytes 0..n-1 after storing i*7 at each: loads, stores, a loop
      (func (export "memory") (param $n i32) (result i32)
        (local $i i32) (local $sum i32)
        (block $done
          (loop $l
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (i32.store8 (local.get $i) (i32.mul (local.get $i) (i32.const 7)))
            (local.set $sum (i32.add (local.get $sum) (i32.load8_u (local.get $i))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $l)))
        (local.get $sum))

      (func $deep (export "deep") (param i32) (result i32)
        (i32.add (call $deep (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))

      (func $inner (export "oob") (result i32) (i32.load (i32.const 70000))))
    """;

    private static readonly Lazy<(string Dir, byte[] Wasm)> s_image = new(() =>
    {
        var dir = NewDirectory();
        var wasm = EngineLimits.Wat.ToWasm(Wat, debugNames: true);
        Module.BuildImage(new Engine(new EngineConfig { CodeCacheDirectory = dir }), wasm);
        return (dir, wasm);
    });

    private static string NewDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "asyncgrader-image-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static (Engine Engine, Module Module) Load()
    {
        var (dir, wasm) = s_image.Value;
        var engine = new Engine(new EngineConfig { CodeCacheDirectory = dir });
        return (engine, Module.Compile(engine, wasm, "imaged"));
    }

    private static Instance Instantiate(Engine engine, Module module, out Store store)
    {
        store = new Store(engine);
        return new Linker(engine).Instantiate(store, module);
    }

    [Fact]
    public void Image_is_found_for_the_same_module_and_engine_settings_only()
    {
        var (dir, wasm) = s_image.Value;
        Assert.True(Module.ImageExists(new Engine(new EngineConfig { CodeCacheDirectory = dir }), wasm));
        Assert.True(Load().Module.FromImage);
        // Fuel accounting is compiled into the code: an engine without it needs an image of its own.
        var noFuel = new Engine(new EngineConfig { CodeCacheDirectory = dir, ConsumeFuel = false });
        Assert.False(Module.ImageExists(noFuel, wasm));
        Assert.False(Module.Compile(noFuel, wasm).FromImage);
        // So is dirty-page tracking (a mark in every store).
        var tracking = new Engine(new EngineConfig { CodeCacheDirectory = dir, TrackDirtyPages = true });
        Assert.False(Module.ImageExists(tracking, wasm));
        Assert.False(Module.Compile(tracking, wasm).FromImage);
        var other = EngineLimits.Wat.ToWasm(Wat.Replace("(i32.const 7)", "(i32.const 5)"), debugNames: true);
        Assert.False(Module.ImageExists(noFuel, other));
        Assert.False(Module.Compile(new Engine(new EngineConfig { CodeCacheDirectory = dir }), other).FromImage);
    }

    [Fact]
    public void Image_code_gives_the_same_results_and_fuel_as_in_memory_code()
    {
        var (engine, imaged) = Load();
        var jitEngine = new Engine();
        var jit = Module.Compile(jitEngine, s_image.Value.Wasm);
        Assert.False(jit.FromImage);

        (int Fib, int Calls, int Memory, long Fuel) Run(Engine e, Module m)
        {
            var inst = Instantiate(e, m, out var store);
            store.SetFuel(1_000_000_000);
            int fib = inst.GetFunction("fib")!.Invoke(Value.I32(20))[0].AsI32();
            int calls = inst.GetFunction("calls")!.Invoke()[0].AsI32();
            int memory = inst.GetFunction("memory")!.Invoke(Value.I32(1000))[0].AsI32();
            return (fib, calls, memory, store.FuelConsumed);
        }

        var fromImage = Run(engine, imaged);
        Assert.Equal((6765, 21891), (fromImage.Fib, fromImage.Calls));
        Assert.Equal(Enumerable.Range(0, 1000).Sum(i => (i * 7) & 0xFF), fromImage.Memory);
        Assert.Equal(Run(jitEngine, jit), fromImage);
    }

    [Fact]
    public void Image_code_checks_indirect_call_signatures_with_each_engines_ids()
    {
        // Signature ids are per engine; give this engine other signatures first so its ids differ
        // from the ids of the engine that built the image.
        var (dir, wasm) = s_image.Value;
        var engine = new Engine(new EngineConfig { CodeCacheDirectory = dir });
        Module.Compile(engine, EngineLimits.Wat.ToWasm("(module (func (param i64 f64)) (func (result f32) (f32.const 1)))"));
        foreach (var e in new[] { engine, Load().Engine })
        {
            var module = Module.Compile(e, wasm);
            Assert.True(module.FromImage);
            var inst = Instantiate(e, module, out _);
            var indirect = inst.GetFunction("indirect")!;
            Assert.Equal(42, indirect.Invoke(Value.I32(0), Value.I32(21))[0].AsI32());
            Assert.Equal(TrapKind.IndirectCallTypeMismatch, Assert.Throws<WasmTrap>(() => indirect.Invoke(Value.I32(1), Value.I32(1))).Kind);
            Assert.Equal(TrapKind.UninitializedElement, Assert.Throws<WasmTrap>(() => indirect.Invoke(Value.I32(2), Value.I32(1))).Kind);
            Assert.Equal(TrapKind.TableOutOfBounds, Assert.Throws<WasmTrap>(() => indirect.Invoke(Value.I32(9), Value.I32(1))).Kind);
        }
    }

    [Fact]
    public void Image_code_traps_with_names_and_survives_unbounded_recursion()
    {
        var (engine, module) = Load();
        var inst = Instantiate(engine, module, out _);
        var oob = Assert.Throws<WasmTrap>(() => inst.GetFunction("oob")!.Invoke());
        Assert.Equal(TrapKind.MemoryOutOfBounds, oob.Kind);
        Assert.Contains(oob.WasmBacktrace, frame => frame.Contains("inner"));
        var deep = Assert.Throws<WasmTrap>(() => inst.GetFunction("deep")!.Invoke(Value.I32(0)));
        Assert.Equal(TrapKind.CallStackExhausted, deep.Kind);
        // The instance is still usable afterwards.
        Assert.Equal(55, inst.GetFunction("fib")!.Invoke(Value.I32(10))[0].AsI32());
    }

    [Fact]
    public void A_corrupt_image_is_set_aside_and_the_module_compiled_in_memory()
    {
        var dir = NewDirectory();
        var wasm = s_image.Value.Wasm;
        var engine = new Engine(new EngineConfig { CodeCacheDirectory = dir });
        var imagePath = Path.Combine(dir, Path.GetFileName(Directory.GetFiles(s_image.Value.Dir, "*.dll").Single()));
        File.WriteAllBytes(imagePath, [0x4D, 0x5A, 1, 2, 3]); // "MZ" and garbage
        Assert.True(Module.ImageExists(engine, wasm));

        var module = Module.Compile(engine, wasm);
        Assert.False(module.FromImage);
        Assert.Equal(55, Instantiate(engine, module, out _).GetFunction("fib")!.Invoke(Value.I32(10))[0].AsI32());
        Assert.False(File.Exists(imagePath));
        Assert.True(File.Exists(imagePath + ".bad"));
        Assert.False(Module.ImageExists(engine, wasm));
    }

    [Fact]
    public void Building_without_a_cache_directory_or_crossgen2_fails_clearly()
    {
        var wasm = s_image.Value.Wasm;
        Assert.Contains("CodeCacheDirectory", Assert.Throws<InvalidOperationException>(() => Module.BuildImage(new Engine(), wasm)).Message);
        var engine = new Engine(new EngineConfig { CodeCacheDirectory = NewDirectory() });
        Assert.ThrowsAny<Exception>(() => Module.BuildImage(engine, wasm, "/nonexistent/crossgen2"));
        Assert.Throws<WasmDecodeException>(() => Module.BuildImage(engine, [0x00, 0x61, 0x73, 0x6D, 1, 0, 0, 0, 0x63]));
        Assert.Empty(Directory.GetFileSystemEntries(engine.Config.CodeCacheDirectory!));
    }
}
