using AsyncGrader.Wasm.Tests.EngineLimits;

namespace AsyncGrader.Wasm.Tests.Snapshots;

/// <summary>
/// Instances restored from a snapshot reuse pooled memories that are reset page by page from
/// the dirty flags (engines with <see cref="EngineConfig.TrackDirtyPages"/>, as the sandbox runs),
/// or by copying the whole snapshot back (without). Every write path must mark its pages, or one
/// job's data would reach the next: these tests write through each path, dispose, and compare the
/// next instance's memory with the snapshot byte for byte.
/// </summary>
public sealed class SnapshotPoolTests
{
    private const string Module = """
        (module
          (import "host" "poke" (func $poke (param i32 i32)))
          (memory (export "memory") 4)
          (global $counter (mut i32) (i32.const 0))
          (data (i32.const 100) "snapshot")
          (func (export "init") (global.set $counter (i32.const 7)) (i32.store (i32.const 200) (i32.const 0x11223344)))
          (func (export "counter") (result i32) (global.get $counter))
          (func (export "scribble") (param $seed i32)
            (local $i i32)
            ;; scalar stores of every width, at odd addresses, across a 4 KiB boundary and across a
            ;; dirty-page (256-byte) boundary that is not a 4 KiB one
            (i32.store offset=4093 (i32.const 0) (local.get $seed))
            (i64.store (i32.const 5116) (i64.extend_i32_u (local.get $seed)))
            (i64.store offset=12 (i32.const 8180) (i64.extend_i32_u (local.get $seed)))
            (i32.store8 (i32.const 65000) (local.get $seed))
            (i32.store16 (i32.const 131071) (local.get $seed))
            (f64.store (i32.const 70000) (f64.const 3.5))
            (v128.store (i32.const 90000) (v128.const i64x2 -1 -1))
            ;; compiled stores mark only their first byte's page: the reset must still restore the
            ;; bytes they spill into the next page, and a store ending at the last byte of memory
            (i64.store (i32.const 90364) (i64.const -1))
            (v128.store (i32.const 90620) (v128.const i64x2 -1 -1))
            (i64.store (i32.const 262136) (i64.extend_i32_u (local.get $seed)))
            (v128.store8_lane 3 (i32.const 150000) (v128.const i64x2 -1 -1))
            ;; bulk operations
            (memory.fill (i32.const 20000) (i32.const 0xAB) (i32.const 9000))
            (memory.copy (i32.const 180000) (i32.const 100) (i32.const 8))
            ;; a host write
            (call $poke (i32.const 250000) (local.get $seed))
            (global.set $counter (i32.add (global.get $counter) (i32.const 1))))
          (func (export "sum") (result i64)
            (local $i i32) (local $s i64)
            (loop $l
              (local.set $s (i64.add (local.get $s) (i64.load8_u (local.get $i))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l (i32.lt_u (local.get $i) (i32.const 262144))))
            (local.get $s)))
        """;

    private static Engine Tracking() => new(new EngineConfig { TrackDirtyPages = true });

    private static (Engine, Linker, Module) Setup(bool trackDirtyPages = true)
    {
        var engine = new Engine(new EngineConfig { TrackDirtyPages = trackDirtyPages });
        var linker = new Linker(engine);
        linker.DefineFunction("host", "poke", FuncType.Of(ValueType.I32, ValueType.I32), (caller, args, _) =>
            caller.GetMemory()!.Write(args[0].AsI32(), BitConverter.GetBytes(args[1].AsI32() | 1)));
        return (engine, linker, AsyncGrader.Wasm.Module.Compile(engine, Wat.ToWasm(Module)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Pooled_memory_is_reset_exactly_to_the_snapshot_after_every_write_path(bool trackDirtyPages)
    {
        var (engine, linker, module) = Setup(trackDirtyPages);
        var first = linker.Instantiate(new Store(engine), module);
        first.GetFunction("init")!.Invoke();
        var snapshot = first.CaptureSnapshot();
        var image = first.GetMemory("memory")!.Span.ToArray();
        long expectedSum = image.Sum(b => (long)b);

        for (int job = 1; job <= 5; job++)
        {
            using var instance = linker.Instantiate(new Store(engine), snapshot);
            var memory = instance.GetMemory("memory")!;
            Assert.Equal(image, memory.GetReadOnlySpan(0, image.Length).ToArray());
            Assert.Equal(7, instance.GetFunction("counter")!.Invoke()[0].AsI32());
            Assert.Equal(expectedSum, instance.GetFunction("sum")!.Invoke()[0].AsI64());
            instance.GetFunction("scribble")!.Invoke(Value.I32(job * 0x01010101));
            Assert.Equal(8, instance.GetFunction("counter")!.Invoke()[0].AsI32());
            Assert.NotEqual(expectedSum, instance.GetFunction("sum")!.Invoke()[0].AsI64());
        }
        Assert.True(snapshot.PooledMemoryCount >= 1, "disposed instances give their memory back to the pool");
    }

    [Fact]
    public void A_disposed_instance_cannot_touch_the_pooled_memory()
    {
        var (engine, linker, module) = Setup();
        var first = linker.Instantiate(new Store(engine), module);
        var snapshot = first.CaptureSnapshot();
        var instance = linker.Instantiate(new Store(engine), snapshot);
        var scribble = instance.GetFunction("scribble")!;
        var memory = instance.GetMemory("memory")!;
        instance.Dispose();
        Assert.Throws<WasmTrap>(() => scribble.Invoke(Value.I32(1)));
        Assert.Equal(TrapKind.MemoryOutOfBounds, Assert.Throws<WasmTrap>(() => memory.ReadByte(0)).Kind);

        // The disposed instance's context is reused by the next one: its old handles still trap and
        // the new instance's memory is untouched.
        using var next = linker.Instantiate(new Store(engine), snapshot);
        Assert.Throws<WasmTrap>(() => scribble.Invoke(Value.I32(1)));
        Assert.Throws<WasmTrap>(() => memory.ReadByte(0));
        Assert.Equal(0, next.GetMemory("memory")!.ReadByte(4093));
    }

    [Fact]
    public void A_grown_memory_is_not_pooled()
    {
        var engine = Tracking();
        var linker = new Linker(engine);
        var module = AsyncGrader.Wasm.Module.Compile(engine, Wat.ToWasm("""
            (module (memory (export "memory") 1)
              (func (export "grow") (drop (memory.grow (i32.const 1)))))
            """));
        var snapshot = linker.Instantiate(new Store(engine), module).CaptureSnapshot();
        using (var i = linker.Instantiate(new Store(engine), snapshot)) i.GetFunction("grow")!.Invoke();
        Assert.Equal(0, snapshot.PooledMemoryCount);
        using var fresh = linker.Instantiate(new Store(engine), snapshot);
        Assert.Equal(1u, fresh.GetMemory("memory")!.Pages);
    }

    [Fact]
    public void Passive_data_segments_dropped_by_one_instance_stay_available_to_the_next()
    {
        var engine = Tracking();
        var linker = new Linker(engine);
        var module = AsyncGrader.Wasm.Module.Compile(engine, Wat.ToWasm("""
            (module (memory (export "memory") 1)
              (data $kept "abc")
              (data $gone "xyz")
              (func (export "init") (data.drop $gone))
              (func (export "drop") (data.drop $kept))
              (func (export "load") (result i32)
                (memory.init $kept (i32.const 0) (i32.const 1) (i32.const 2))
                (i32.load16_u (i32.const 0)))
              (func (export "load_gone") (memory.init $gone (i32.const 0) (i32.const 0) (i32.const 1))))
            """));
        var first = linker.Instantiate(new Store(engine), module);
        first.GetFunction("init")!.Invoke();
        var snapshot = first.CaptureSnapshot();
        using (var a = linker.Instantiate(new Store(engine), snapshot))
        {
            Assert.Equal('b' | ('c' << 8), a.GetFunction("load")!.Invoke()[0].AsI32());
            a.GetFunction("drop")!.Invoke();
            Assert.Equal(TrapKind.MemoryOutOfBounds, Assert.Throws<WasmTrap>(() => a.GetFunction("load")!.Invoke()).Kind);
        }
        using var b = linker.Instantiate(new Store(engine), snapshot);
        Assert.Equal('b' | ('c' << 8), b.GetFunction("load")!.Invoke()[0].AsI32());
        // Dropped before the snapshot: dropped in every instance.
        Assert.Equal(TrapKind.MemoryOutOfBounds, Assert.Throws<WasmTrap>(() => b.GetFunction("load_gone")!.Invoke()).Kind);
    }

    [Fact]
    public void Instances_share_the_segment_table_only_when_every_segment_is_dropped()
    {
        var engine = Tracking();
        var linker = new Linker(engine);
        var module = AsyncGrader.Wasm.Module.Compile(engine, Wat.ToWasm("""
            (module (memory (export "memory") 1)
              (data (i32.const 0) "active")
              (data $p "passive")
              (func (export "drop") (data.drop $p))
              (func (export "load") (memory.init $p (i32.const 0) (i32.const 0) (i32.const 1))))
            """));
        var first = linker.Instantiate(new Store(engine), module);
        Assert.Null(first.CaptureSnapshot().SharedDroppedData);
        first.GetFunction("drop")!.Invoke();
        var snapshot = first.CaptureSnapshot();
        Assert.NotNull(snapshot.SharedDroppedData);
        using var a = linker.Instantiate(new Store(engine), snapshot);
        a.GetFunction("drop")!.Invoke();
        Assert.Equal(TrapKind.MemoryOutOfBounds, Assert.Throws<WasmTrap>(() => a.GetFunction("load")!.Invoke()).Kind);
        Assert.All(snapshot.SharedDroppedData!, d => Assert.Null(d));
    }

    private const string Stateful = """
        (module
          (memory (export "memory") 1)
          (table $t 4 10 funcref)
          (global $g (mut i32) (i32.const 0))
          (global $h (export "h") (mut i64) (i64.const 0))
          (elem (table $t) (i32.const 0) func $one $two)
          (elem $later func $three)
          (func $one (result i32) (i32.const 1))
          (func $two (result i32) (i32.const 2))
          (func $three (result i32) (i32.const 3))
          (func (export "init")
            (global.set $g (i32.const 5))
            (global.set $h (i64.const 6))
            (table.set $t (i32.const 2) (ref.func $two)))
          (func (export "mess")
            (global.set $g (i32.const 99))
            (global.set $h (i64.const 99))
            (table.set $t (i32.const 0) (ref.func $three))
            (table.set $t (i32.const 1) (ref.null func))
            (drop (table.grow $t (ref.func $three) (i32.const 3)))
            (table.init $t $later (i32.const 3) (i32.const 0) (i32.const 1))
            (elem.drop $later)
            (i32.store (i32.const 8) (i32.const 99)))
          (func (export "state") (result i32)
            ;; g * 1000 + calls of slots 0..2 + table size * 10000 + memory word
            (i32.add
              (i32.add (i32.mul (global.get $g) (i32.const 1000)) (i32.mul (table.size $t) (i32.const 10000)))
              (i32.add (i32.load (i32.const 8))
                (i32.add (call_indirect (result i32) (i32.const 0))
                  (i32.add (call_indirect (result i32) (i32.const 1)) (call_indirect (result i32) (i32.const 2))))))))
        """;

    [Fact]
    public void A_reused_context_starts_from_the_snapshot_state()
    {
        var engine = Tracking();
        var linker = new Linker(engine);
        var module = AsyncGrader.Wasm.Module.Compile(engine, Wat.ToWasm(Stateful));
        var first = linker.Instantiate(new Store(engine), module);
        first.GetFunction("init")!.Invoke();
        var snapshot = first.CaptureSnapshot();
        int expected = 5 * 1000 + 4 * 10000 + 0 + 1 + 2 + 2;

        var a = linker.Instantiate(new Store(engine), snapshot);
        Assert.Equal(expected, a.GetFunction("state")!.Invoke()[0].AsI32());
        var h = a.GetGlobal("h")!;
        Assert.Equal(6, h.Value.AsI64());
        a.GetFunction("mess")!.Invoke();
        Assert.Equal(99, h.Value.AsI64());
        Assert.Throws<WasmTrap>(() => a.GetFunction("state")!.Invoke()); // slot 1 is null now
        a.Dispose();
        Assert.Equal(1, snapshot.PooledContextCount);

        for (int job = 0; job < 3; job++)
        {
            using var b = linker.Instantiate(new Store(engine), snapshot);
            Assert.Equal(0, snapshot.PooledContextCount); // the context of `a` was reused
            Assert.Equal(expected, b.GetFunction("state")!.Invoke()[0].AsI32());
            Assert.Equal(6, b.GetGlobal("h")!.Value.AsI64());
            Assert.NotSame(h, b.GetGlobal("h"));
            Assert.Equal(99, h.Value.AsI64()); // the old global cell is not the new instance's
            b.GetFunction("mess")!.Invoke();
        }
    }

    [Fact]
    public void A_context_is_not_reused_after_the_linker_changed()
    {
        var (engine, linker, module) = Setup();
        var first = linker.Instantiate(new Store(engine), module);
        var snapshot = first.CaptureSnapshot();
        linker.Instantiate(new Store(engine), snapshot).Dispose();
        Assert.Equal(1, snapshot.PooledContextCount);
        var poked = new List<int>();
        linker.AllowShadowing = true;
        linker.DefineFunction("host", "poke", FuncType.Of(ValueType.I32, ValueType.I32), (_, args, _) => poked.Add(args[1].AsI32()));
        using var instance = linker.Instantiate(new Store(engine), snapshot);
        Assert.Equal(0, snapshot.PooledContextCount);
        instance.GetFunction("scribble")!.Invoke(Value.I32(42));
        Assert.Equal([42], poked);
    }

    [Fact]
    public void Disposing_twice_returns_the_context_once()
    {
        var (engine, linker, module) = Setup();
        var snapshot = linker.Instantiate(new Store(engine), module).CaptureSnapshot();
        var instance = linker.Instantiate(new Store(engine), snapshot);
        instance.Dispose();
        instance.Dispose();
        Assert.Equal(1, snapshot.PooledContextCount);
        Assert.Equal(1, snapshot.PooledMemoryCount);
        Assert.Throws<ObjectDisposedException>(() => instance.CaptureSnapshot());
    }
}
