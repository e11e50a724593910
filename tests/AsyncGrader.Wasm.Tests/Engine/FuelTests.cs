namespace AsyncGrader.Wasm.Tests.EngineLimits;

/// <summary>
/// Fuel is exact: each module below has its operator count worked out by hand in comments.
/// Cost rule (Wasmtime's): 1 per operator, 0 for nop, drop, block, loop, unreachable, return,
/// else, end. Bulk memory ops add ceil(len/8), table bulk ops add len. See docs/FUEL.md.
/// </summary>
public sealed class FuelTests
{
    internal static readonly Engine SharedEngine = new();

    internal const string FuelWat = """
    (module
      (memory (export "mem") 1)
      (table $t 16 funcref)
      (data $d "0123456789abcdefghijklmnopqrstuvwxyz")

      ;; 6 = i32.const(1) i32.const(1) i32.add(1) i32.const(1) i32.mul(1) nop(0) i32.const(1) drop(0) end(0)
      (func (export "straight") (result i32)
        i32.const 1
        i32.const 2
        i32.add
        i32.const 3
        i32.mul
        nop
        i32.const 7
        drop)

      ;; per iteration that continues: local.get local.get i32.ge_u br_if local.get i32.const i32.add local.set br = 9
      ;; last pass (i == n): local.get local.get i32.ge_u br_if = 4; after the block: local.get = 1
      ;; total = 9n + 5 (block, loop, end are free)
      (func (export "loop") (param $n i32) (result i32)
        (local $i i32)
        block $done
          loop $l
            local.get $i
            local.get $n
            i32.ge_u
            br_if $done
            local.get $i
            i32.const 1
            i32.add
            local.set $i
            br $l
          end
        end
        local.get $i)

      ;; callee: local.get i32.const i32.add = 3
      (func $add1 (param i32) (result i32)
        local.get 0
        i32.const 1
        i32.add)

      ;; i32.const(1) + call(1) + 3 + call(1) + 3 = 9
      (func (export "calls") (result i32)
        i32.const 5
        call $add1
        call $add1)

      ;; taken (arg != 0): i32.const local.get br_if = 3
      ;; not taken: 3 + drop(0) i32.const i32.const i32.add = 6
      (func (export "brif") (param i32) (result i32)
        block $b (result i32)
          i32.const 1
          local.get 0
          br_if $b
          drop
          i32.const 2
          i32.const 3
          i32.add
        end)

      ;; local.get br_table = 2, then
      ;;   0 -> $b0: i32.const return(0) = +1 -> 3
      ;;   1 -> $b1: i32.const i32.const i32.add return(0) = +3 -> 5
      ;;   other -> $b2: i32.const i32.const i32.mul i32.const i32.sub = +5 -> 7
      (func (export "brtable") (param i32) (result i32)
        block $b2
          block $b1
            block $b0
              local.get 0
              br_table $b0 $b1 $b2
            end
            i32.const 100
            return
          end
          i32.const 101
          i32.const 1
          i32.add
          return
        end
        i32.const 7
        i32.const 8
        i32.mul
        i32.const 1
        i32.sub)

      ;; local.get if = 2; then: i32.const = 1; else(0): i32.const i32.const i32.add = 3; end(0);
      ;; after: i32.const i32.add = 2.  then-side = 5, else-side = 7
      (func (export "ifelse") (param i32) (result i32)
        local.get 0
        if (result i32)
          i32.const 10
        else
          i32.const 20
          i32.const 1
          i32.add
        end
        i32.const 1
        i32.add)

      (func $empty)

      ;; run 1: i32.const(1) drop(0) call(1) = 2, flushed before the call; $empty costs 0
      ;; run 2: i32.const local.get i32.div_u i32.const i32.add = 5, flushed at end -> 7 in all
      ;; with a divisor of 0 the division traps in run 2, whose 5 pending units are never charged -> 2
      (func (export "trapmid") (param i32) (result i32)
        i32.const 1
        drop
        call $empty
        i32.const 10
        local.get 0
        i32.div_u
        i32.const 1
        i32.add)

      ;; run 1: i32.const(1) br_if(1) = 2, flushed at the br_if but not committed (no call, no loop);
      ;; run 2 traps on the division: nothing since entry is committed -> 0 charged
      (func (export "trapafterbranch") (param i32) (result i32)
        (block (br_if 0 (i32.const 0)))
        i32.const 10
        local.get 0
        i32.div_u)

      ;; i32.const(1) drop(0) unreachable(0): unreachable flushes its run before trapping -> 1
      (func (export "unreachable")
        i32.const 1
        drop
        unreachable)

      ;; out-of-bounds load: i32.const(1) drop(0) i32.const(1) i32.load(1, traps) -> 3 charged
      (func (export "oob") (result i32)
        i32.const 1
        drop
        i32.const 70000
        i32.load)

      ;; i32.const i32.const local.get memory.fill = 4, plus ceil(len/8)
      (func (export "fill") (param $len i32)
        i32.const 0
        i32.const 171
        local.get $len
        memory.fill)

      ;; i32.const i32.const local.get memory.copy = 4, plus ceil(len/8)
      (func (export "copy") (param $len i32)
        i32.const 1000
        i32.const 0
        local.get $len
        memory.copy)

      ;; i32.const i32.const local.get memory.init = 4, plus ceil(len/8)
      (func (export "init") (param $len i32)
        i32.const 0
        i32.const 0
        local.get $len
        memory.init $d)

      ;; i32.const ref.null local.get table.fill = 4, plus len
      (func (export "tfill") (param $len i32)
        i32.const 0
        ref.null func
        local.get $len
        table.fill $t)

      ;; ref.null local.get table.grow drop(0) = 3, plus delta
      (func (export "tgrow") (param $n i32)
        ref.null func
        local.get $n
        table.grow $t
        drop)

      ;; A loop that never ends (each pass: br = 1).
      (func (export "spin")
        loop $l
          br $l
        end)
    )
    """;

    private static WatInstance New() => new(SharedEngine, FuelWat);

    [Fact]
    public void Straight_line_run_costs_one_per_counted_operator()
    {
        Assert.Equal(6, New().FuelOf(1000, "straight"));
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(1, 14)]
    [InlineData(10, 95)]
    [InlineData(1000, 9005)]
    public void Loop_costs_nine_per_iteration_plus_five(int n, long expected)
    {
        var w = New();
        Assert.Equal(expected, 9L * n + 5);
        Assert.Equal(expected, w.FuelOf(1_000_000, "loop", Value.I32(n)));
        Assert.Equal(1_000_000 - expected, w.Store.FuelRemainingValue);
    }

    [Fact]
    public void Calls_charge_the_call_operator_and_the_callee()
    {
        Assert.Equal(9, New().FuelOf(1000, "calls"));
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(0, 6)]
    public void Br_if_taken_and_not_taken(int cond, long expected)
    {
        Assert.Equal(expected, New().FuelOf(1000, "brif", Value.I32(cond)));
    }

    [Theory]
    [InlineData(0, 3)]
    [InlineData(1, 5)]
    [InlineData(2, 7)]
    [InlineData(-1, 7)]
    public void Br_table_each_target(int index, long expected)
    {
        Assert.Equal(expected, New().FuelOf(1000, "brtable", Value.I32(index)));
    }

    [Theory]
    [InlineData(1, 5)]
    [InlineData(0, 7)]
    public void If_else_both_sides(int cond, long expected)
    {
        var w = New();
        Assert.Equal(expected, w.FuelOf(1000, "ifelse", Value.I32(cond)));
    }

    [Fact]
    public void A_trap_mid_run_charges_every_operator_up_to_the_trapping_one()
    {
        var w = New();
        Assert.Equal(7, w.FuelOf(1000, "trapmid", Value.I32(2)));
        w.Store.SetFuel(1000);
        var trap = Assert.Throws<WasmTrap>(() => w.Call("trapmid", Value.I32(0)));
        Assert.Equal(TrapKind.IntegerDivideByZero, trap.Kind);
        // i32.const(1) drop(0) call(1) [callee 0] i32.const(1) local.get(1) i32.div_u(1, traps) = 5
        Assert.Equal(5, w.Store.FuelConsumed);
    }

    [Fact]
    public void A_trap_after_a_branch_charges_the_runs_on_both_sides()
    {
        var w = New();
        // Completing: block(0) i32.const(1) br_if(1) end(0) i32.const(1) local.get(1) i32.div_u(1) end(0) = 5.
        Assert.Equal(5, w.FuelOf(1000, "trapafterbranch", Value.I32(2)));
        w.Store.SetFuel(1000);
        var trap = Assert.Throws<WasmTrap>(() => w.Call("trapafterbranch", Value.I32(0)));
        Assert.Equal(TrapKind.IntegerDivideByZero, trap.Kind);
        // The trapping div_u is charged too: the same 5.
        Assert.Equal(5, w.Store.FuelConsumed);
    }

    [Fact]
    public void Unreachable_and_memory_traps_charge_their_run()
    {
        var w = New();
        w.Store.SetFuel(1000);
        Assert.Equal(TrapKind.Unreachable, Assert.Throws<WasmTrap>(() => w.Call("unreachable")).Kind);
        Assert.Equal(1, w.Store.FuelConsumed);
        w.Store.SetFuel(1000);
        Assert.Equal(TrapKind.MemoryOutOfBounds, Assert.Throws<WasmTrap>(() => w.Call("oob")).Kind);
        Assert.Equal(3, w.Store.FuelConsumed);
    }

    [Theory]
    [InlineData("fill", 0, 4)]
    [InlineData("fill", 1, 5)]
    [InlineData("fill", 8, 5)]
    [InlineData("fill", 9, 6)]
    [InlineData("fill", 65536, 4 + 8192)]
    [InlineData("copy", 0, 4)]
    [InlineData("copy", 17, 4 + 3)]
    [InlineData("copy", 4096, 4 + 512)]
    [InlineData("init", 36, 4 + 5)]
    [InlineData("init", 7, 4 + 1)]
    [InlineData("tfill", 0, 4)]
    [InlineData("tfill", 16, 4 + 16)]
    [InlineData("tgrow", 5, 3 + 5)]
    public void Bulk_operations_charge_by_length(string fn, int len, long expected)
    {
        Assert.Equal(expected, New().FuelOf(100_000, fn, Value.I32(len)));
    }

    [Fact]
    public void Bulk_charge_can_exhaust_fuel_by_itself()
    {
        // 4 operator units + 8192 bulk units; a budget of 5000 runs out inside memory.fill.
        var w = New();
        w.Store.SetFuel(5000);
        var trap = Assert.Throws<WasmTrap>(() => w.Call("fill", Value.I32(65536)));
        Assert.Equal(TrapKind.OutOfFuel, trap.Kind);
        Assert.Equal(5000, w.Store.FuelConsumed);
        Assert.Equal(0, w.Store.FuelRemainingValue);
        // The fill did not happen: the charge is taken before the bytes are written.
        Assert.Equal(0, w.Instance.GetMemory("mem")!.ReadByte(0));
    }

    [Fact]
    public void Out_of_fuel_traps_with_consumed_equal_to_budget()
    {
        var w = New();
        w.Store.SetFuel(1234);
        var trap = Assert.Throws<WasmTrap>(() => w.Call("spin"));
        Assert.Equal(TrapKind.OutOfFuel, trap.Kind);
        Assert.Equal(1234, w.Store.FuelConsumed);
        Assert.Equal(0, w.Store.FuelRemainingValue);
        Assert.Contains("fuel", trap.Message);
    }

    [Fact]
    public void Exhaustion_is_detected_at_checkpoints_only()
    {
        // loop(n) costs 9n + 5. Checks run at loop headers, after each full pass has been charged:
        // the last check sees 9n consumed. A budget below 9n traps there; from 9n on the call
        // completes (the final 5 units may overdraw by at most one straight-line run).
        const int n = 100;
        var w = New();
        w.Store.SetFuel(9 * n - 1);
        Assert.Equal(TrapKind.OutOfFuel, Assert.Throws<WasmTrap>(() => w.Call("loop", Value.I32(n))).Kind);
        Assert.Equal(9 * n - 1, w.Store.FuelConsumed);

        Assert.Equal(9 * n + 5, w.FuelOf(9 * n + 5, "loop", Value.I32(n)));
        Assert.Equal(0, w.Store.FuelRemainingValue);

        // Budget 9n: the call returns normally; consumption is reported capped at the budget.
        Assert.Equal(9 * n, w.FuelOf(9 * n, "loop", Value.I32(n)));
        Assert.Equal(0, w.Store.FuelRemainingValue);
    }

    [Fact]
    public void Fuel_is_cumulative_across_calls_until_reset()
    {
        var w = New();
        w.Store.SetFuel(100);
        w.Call("straight");
        w.Call("calls");
        Assert.Equal(15, w.Store.FuelConsumed);
        Assert.Equal(85, w.Store.FuelRemainingValue);
    }

    [Fact]
    public void Fuel_is_deterministic_twice_and_across_threads()
    {
        var wasm = Wat.ToWasm(FuelWat);
        var module = Module.Compile(SharedEngine, wasm);
        long Run()
        {
            var store = new Store(SharedEngine);
            var inst = new Linker(SharedEngine).Instantiate(store, module);
            store.SetFuel(long.MaxValue / 2);
            for (int i = 0; i < 50; i++)
            {
                inst.GetFunction("loop")!.Invoke(Value.I32(i * 37));
                inst.GetFunction("brtable")!.Invoke(Value.I32(i % 4));
                inst.GetFunction("ifelse")!.Invoke(Value.I32(i % 2));
                inst.GetFunction("copy")!.Invoke(Value.I32(i * 100));
                try { inst.GetFunction("trapmid")!.Invoke(Value.I32(i % 3)); } catch (WasmTrap) { }
            }
            return store.FuelConsumed;
        }
        long first = Run();
        long second = Run();
        Assert.Equal(first, second);
        var threads = Enumerable.Range(0, 4).Select(_ => Task.Factory.StartNew(Run, TaskCreationOptions.LongRunning)).ToArray();
        Task.WaitAll(threads);
        Assert.All(threads, t => Assert.Equal(first, t.Result));
        // Hand count: sum over i of (9*37i + 5) + brtable + ifelse + copy(4 + ceil(100i/8)) + trapmid.
        long expected = 0;
        for (int i = 0; i < 50; i++)
        {
            expected += 9L * (i * 37) + 5;
            expected += (i % 4) switch { 0 => 3, 1 => 5, _ => 7 };
            expected += i % 2 == 1 ? 5 : 7;
            expected += 4 + (i * 100 + 7) / 8;
            expected += i % 3 == 0 ? 5 : 7;
        }
        Assert.Equal(expected, first);
    }

    [Fact]
    public void A_guest_function_cannot_be_linked_or_stored_into_another_store()
    {
        // Each store meters its own guests: a call from one store into another's instance would
        // run on the caller's fuel and leave it in the callee's store, so it is refused up front.
        var provider = new WatInstance(SharedEngine, """(module (func (export "f") (result i32) i32.const 1) (table (export "t") 1 funcref))""");
        var linker = new Linker(SharedEngine).DefineInstance("p", provider.Instance);
        var importer = Module.Compile(SharedEngine, Wat.ToWasm("""(module (import "p" "f" (func (result i32))))"""));
        var e = Assert.Throws<WasmLinkException>(() => linker.Instantiate(new Store(SharedEngine), importer));
        Assert.Contains("another store", e.Message);
        Assert.NotNull(linker.Instantiate(provider.Store, importer));

        var other = new WatInstance(SharedEngine, """(module (table (export "t") 1 funcref))""");
        var f = provider.Fn("f");
        Assert.Throws<ArgumentException>(() => other.Instance.GetTable("t")![0] = f);
        Assert.Throws<ArgumentException>(() => other.Instance.GetTable("t")!.Grow(1, f));
        provider.Instance.GetTable("t")![0] = f;
    }

    [Fact]
    public void Fuel_disabled_engine_rejects_SetFuel_and_reports_zero()
    {
        var engine = new Engine(new EngineConfig { ConsumeFuel = false });
        var w = new WatInstance(engine, FuelWat);
        Assert.Throws<InvalidOperationException>(() => w.Store.SetFuel(10));
        Assert.Equal(10, w.CallI32("loop", 10)); // runs without metering
        Assert.Equal(0, w.Store.FuelConsumed);
        Assert.Equal(long.MaxValue, w.Store.FuelRemainingValue);
    }

    // Fuel travels with each call and return (docs/FUEL.md): every kind of result, indirect calls,
    // and host functions, which see the exact count in the store and can call back into the guest.
    private const string ConventionWat = """
    (module
      (import "host" "peek" (func $peek (result i64)))
      (import "host" "reenter" (func $reenter (param i32) (result i32)))
      (type $to_f64 (func (param i32) (result f64)))
      (table 3 funcref)
      (elem (i32.const 0) $two $f64)
      ;; 3
      (func $two (param i32) (result i32 i64)
        local.get 0
        local.get 0
        i64.extend_i32_s)
      ;; 2
      (func $f64 (type $to_f64)
        local.get 0
        f64.convert_i32_s)
      ;; 2
      (func $v128 (param i32) (result v128)
        local.get 0
        i32x4.splat)
      ;; 1
      (func $ref (param externref) (result externref)
        local.get 0)
      ;; 3
      (func (export "add1") (param i32) (result i32)
        local.get 0
        i32.const 1
        i32.add)
      ;; (1 + 1 + 3) + (1 + 1 + 1 + 2) + (1 + 1 + 2) + (1 + 1 + 1) + 1 = 18 when peek runs; nothing after
      (func (export "mix") (result i64)
        i32.const 7
        call $two
        drop
        drop
        i32.const 1
        i32.const 1
        call_indirect (type $to_f64)
        drop
        i32.const 3
        call $v128
        drop
        ref.null extern
        call $ref
        drop
        call $peek)
      ;; 1 + 1 + 1: call_indirect traps on element 0 (another signature) or 2 (null) and is charged
      (func (export "badindirect") (param i32) (result f64)
        i32.const 1
        local.get 0
        call_indirect (type $to_f64))
      ;; 1 + 1 (+ add1's 3, run by the host) + 1 + 1 = 7
      (func (export "nested") (result i32)
        i32.const 5
        call $reenter
        i32.const 1
        i32.add))
    """;

    private static WatInstance NewConvention()
    {
        Instance? self = null;
        var w = new WatInstance(SharedEngine, ConventionWat, imports: linker =>
        {
            linker.DefineFunction("host", "peek", FuncType.Of().Returning(ValueType.I64),
                (caller, _, results) => results[0] = Value.I64(caller.Store.FuelConsumed));
            linker.DefineFunction("host", "reenter", FuncType.Of(ValueType.I32).Returning(ValueType.I32),
                (_, args, results) => results[0] = self!.GetFunction("add1")!.Invoke(args[0])[0]);
        });
        self = w.Instance;
        return w;
    }

    [Fact]
    public void Results_of_every_kind_and_indirect_calls_pass_fuel_exactly_and_a_host_function_sees_it()
    {
        var w = NewConvention();
        w.Store.SetFuel(1000);
        Assert.Equal(18, w.Call("mix")[0].AsI64());
        Assert.Equal(18, w.Store.FuelConsumed);
    }

    [Theory]
    [InlineData(0, TrapKind.IndirectCallTypeMismatch)]
    [InlineData(2, TrapKind.UninitializedElement)]
    public void A_trapping_call_indirect_charges_its_run(int element, TrapKind kind)
    {
        var w = NewConvention();
        w.Store.SetFuel(1000);
        var trap = Assert.Throws<WasmTrap>(() => w.Call("badindirect", Value.I32(element)));
        Assert.Equal(kind, trap.Kind);
        Assert.Equal(3, w.Store.FuelConsumed);
    }

    [Fact]
    public void A_host_function_calling_back_into_the_guest_charges_the_same_budget()
    {
        var w = NewConvention();
        Assert.Equal(7, w.FuelOf(1000, "nested"));
        Assert.Equal(6, w.CallI32("add1", 5));
        Assert.Equal(10, w.Store.FuelConsumed);
    }

    [Fact]
    public void Out_of_fuel_inside_a_call_made_by_a_host_function_traps_with_the_budget_consumed()
    {
        var w = NewConvention();
        // 2 operators before the host call overdraw a budget of 1; add1's entry check, inside the
        // host call, is the next checkpoint and traps. Consumption is reported capped at the budget.
        w.Store.SetFuel(1);
        var trap = Assert.Throws<WasmTrap>(() => w.Call("nested"));
        Assert.Equal(TrapKind.OutOfFuel, trap.Kind);
        Assert.Equal(1, w.Store.FuelConsumed);
        Assert.Equal(0, w.Store.FuelRemainingValue);
    }

    [Fact]
    public void Store_without_SetFuel_is_unmetered()
    {
        var w = New();
        Assert.Equal(10, w.CallI32("loop", 10));
        Assert.False(w.Store.FuelEnabled);
        Assert.Equal(0, w.Store.FuelConsumed);
    }
}
