using System.Diagnostics;
using Xunit.Abstractions;

namespace AsyncGrader.Wasm.Tests.EngineLimits;

/// <summary>Store.Interrupt from another thread and SetDeadline stop runaway guests promptly.</summary>
public sealed class InterruptTests(ITestOutputHelper output)
{
    // Generous: the box has 2 cores shared by many processes. Real latencies go in docs/BENCHMARKS.md.
    private static readonly TimeSpan MaxLatency = TimeSpan.FromMilliseconds(200);

    internal const string SpinWat = """
    (module
      (global $g (mut i32) (i32.const 0))
      ;; an infinite loop: the check at the loop header sees the interrupt flag
      (func (export "spin")
        loop $l
          global.get $g
          i32.const 1
          i32.add
          global.set $g
          br $l
        end)
      ;; no recursion: an endless loop whose body is a chain of calls
      (func $c3 (global.set $g (i32.add (global.get $g) (i32.const 3))))
      (func $c2 (call $c3) (call $c3))
      (func $c1 (call $c2) (call $c2))
      (func (export "chain")
        loop $l
          call $c1
          br $l
        end)
      ;; straight-line code with no loop inside the callee: only function entries are checked
      (func $leaf (result i32) (i32.add (global.get $g) (i32.const 1)))
      (func (export "calls_only")
        loop $l
          call $leaf
          global.set $g
          br $l
        end)
      (func (export "get") (result i32) global.get $g)
    )
    """;

    /// <summary>Starts <paramref name="fn"/>, lets it run, interrupts, and returns the interrupt → trap latency.</summary>
    internal static TimeSpan MeasureInterrupt(Engine engine, string fn, int runMs = 50)
    {
        var w = new WatInstance(engine, SpinWat);
        var started = new ManualResetEventSlim();
        long trappedAt = 0;
        WasmTrap? trap = null;
        var t = new Thread(() =>
        {
            started.Set();
            try { w.Call(fn); }
            catch (WasmTrap e) { trappedAt = Stopwatch.GetTimestamp(); trap = e; }
        });
        t.Start();
        started.Wait();
        Thread.Sleep(runMs);
        long interruptAt = Stopwatch.GetTimestamp();
        w.Store.Interrupt();
        Assert.True(t.Join(TimeSpan.FromSeconds(30)), "guest did not stop after Interrupt()");
        Assert.NotNull(trap);
        Assert.Equal(TrapKind.Interrupted, trap!.Kind);
        w.Store.ResetInterrupt();
        Assert.NotEqual(0, w.CallI32("get")); // the guest did run
        return Stopwatch.GetElapsedTime(interruptAt, trappedAt);
    }

    [Theory]
    [InlineData("spin")]
    [InlineData("chain")]
    [InlineData("calls_only")]
    public void Interrupt_from_another_thread_stops_the_guest(string fn)
    {
        var latency = MeasureInterrupt(FuelTests.SharedEngine, fn);
        output.WriteLine($"{fn}: interrupt -> trap {latency.TotalMilliseconds:F3} ms");
        Assert.True(latency < MaxLatency, $"latency {latency.TotalMilliseconds} ms");
    }

    [Fact]
    public void Interrupt_works_with_fuel_disabled()
    {
        var engine = new Engine(new EngineConfig { ConsumeFuel = false });
        var latency = MeasureInterrupt(engine, "spin");
        Assert.True(latency < MaxLatency, $"latency {latency.TotalMilliseconds} ms");
    }

    [Fact]
    public void Deadline_interrupts_and_store_can_run_again_after_reset()
    {
        var w = new WatInstance(FuelTests.SharedEngine, SpinWat);
        var sw = Stopwatch.StartNew();
        w.Store.SetDeadline(TimeSpan.FromMilliseconds(100));
        var trap = Assert.Throws<WasmTrap>(() => w.Call("chain"));
        sw.Stop();
        output.WriteLine($"deadline 100 ms -> trapped after {sw.Elapsed.TotalMilliseconds:F1} ms");
        Assert.Equal(TrapKind.Interrupted, trap.Kind);
        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(95), $"trapped early: {sw.Elapsed}");
        Assert.True(sw.Elapsed < TimeSpan.FromMilliseconds(100) + MaxLatency, $"trapped late: {sw.Elapsed}");

        // Still interrupted until reset: the next call traps at once.
        Assert.Equal(TrapKind.Interrupted, Assert.Throws<WasmTrap>(() => w.Call("get")).Kind);
        w.Store.ResetInterrupt();
        Assert.NotEqual(0, w.CallI32("get"));
        // A fresh deadline works again on the same store.
        w.Store.SetDeadline(TimeSpan.FromMilliseconds(30));
        Assert.Equal(TrapKind.Interrupted, Assert.Throws<WasmTrap>(() => w.Call("spin")).Kind);
    }

    [Fact]
    public void A_cancelled_deadline_does_not_keep_its_store_alive()
    {
        // A job that ends long before its (10 s) deadline must not leave its store, and with it the
        // store's host data, in the watchdog's queue until then.
        static WeakReference Job()
        {
            var store = new Store(FuelTests.SharedEngine) { Data = new byte[1 << 20] };
            store.SetDeadline(TimeSpan.FromMinutes(10));
            store.ResetInterrupt();
            return new WeakReference(store);
        }
        var weak = Job();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(weak.IsAlive, "the watchdog still references a store whose deadline was reset");
    }

    [Fact]
    public void Cancellation_token_interrupts()
    {
        var w = new WatInstance(FuelTests.SharedEngine, SpinWat);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        using var reg = w.Store.InterruptOn(cts.Token);
        Assert.Equal(TrapKind.Interrupted, Assert.Throws<WasmTrap>(() => w.Call("spin")).Kind);
    }

    [Fact]
    public void Interrupt_and_fuel_together_whichever_comes_first()
    {
        var w = new WatInstance(FuelTests.SharedEngine, SpinWat);
        w.Store.SetFuel(10_000);
        // spin costs 5 per pass (global.get i32.const i32.add global.set br).
        Assert.Equal(TrapKind.OutOfFuel, Assert.Throws<WasmTrap>(() => w.Call("spin")).Kind);
        Assert.Equal(10_000, w.Store.FuelConsumed);
        // Checks at the loop header: after pass k, 5k is consumed; 5 * 2001 > 10000 traps there.
        w.Store.SetFuel(10);
        Assert.Equal(2001, w.CallI32("get"));
    }
}
