using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AsyncGrader.Wasi;
using AsyncGrader.Wasm;
using AsyncGrader.Wasm.Tests.Fuzz;

// Engine benchmarks and long differential-fuzz runs. See docs/BENCHMARKS.md ("Engine").
//   dotnet run --project tests/AsyncGrader.Benchmarks -c Release -- bench [--rounds 3] [--runs 5] [--warmup 3] [--only NAME] [--eager]
//   dotnet run --project tests/AsyncGrader.Benchmarks -c Release -- bigmodule [path.wasm]
//   dotnet run --project tests/AsyncGrader.Benchmarks -c Release -- interrupt [--samples 30]
//   dotnet run --project tests/AsyncGrader.Benchmarks -c Release -- fuzz [--seeds 200] [--start 1]
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
string mode = args.Length > 0 ? args[0] : "bench";
int Opt(string name, int dflt)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : dflt;
}
string? OptS(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
string baseDir = AppContext.BaseDirectory;
string repo = FindRepo();

switch (mode)
{
    case "bench": return Bench();
    case "bigmodule": return BigModule(args.Length > 1 && !args[1].StartsWith("--") ? args[1] : null);   // [path] [--track]
    case "interrupt": return InterruptLatency();
    case "fuzz": return Fuzz();
    default:
        Console.Error.WriteLine("modes: bench | bigmodule [file] | interrupt | fuzz");
        return 2;
}

int Bench()
{
    int runs = Opt("--runs", 5), warmup = Opt("--warmup", 3), rounds = Opt("--rounds", 3);
    string? only = OptS("--only");
    // --eager: AggressiveOptimization on every compiled function (EngineConfig.OptimizeEagerly) instead of tiered JIT.
    bool eager = args.Contains("--eager");
    var workloads = new (string Name, string File, string Export, int Arg)[]
    {
        ("coremark-like", "coremark.wasm", "run", 2000),
        ("fib(30)", "fib.wasm", "fib", 30),
        ("sieve+memcpy+hash 16 MiB", "memory.wasm", "run", 1),
    };
    Console.WriteLine($"# engine benchmark ({(eager ? "OptimizeEagerly" : "tiered JIT")}): {rounds} rounds x {runs} runs after {warmup} warmup; cells are median / min ms; ratio = engine / V8 (node --no-liftoff), same run");
    Console.WriteLine($"# {Environment.ProcessorCount} cores, load average {LoadAverage()}, .NET {Environment.Version}, node {NodeVersion()}");
    Console.WriteLine("| workload | V8 ms | engine ms: fuel off | fuel on | worker | ratio: fuel off | fuel on | worker | fuel cost | tracking cost | fuel units |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    foreach (var w in workloads)
    {
        if (only is not null && !w.Name.Contains(only, StringComparison.OrdinalIgnoreCase)) continue;
        var path = Path.Combine(baseDir, "workloads", w.File);
        var bytes = File.ReadAllBytes(path);

        // Three configurations: the engine's default without and with fuel, and the worker's (fuel,
        // and dirty-page marks in every store for snapshot resets: EngineConfig.TrackDirtyPages).
        // Two instances each, created in the order off, on, worker, worker, on, off: on this
        // machine the order in which instances allocate their memory alone moves a memory-bound
        // workload by 10-20 %, so each configuration gets an early and a late instance.
        var configs = new[] { (Fuel: false, Track: false), (Fuel: true, Track: false), (Fuel: true, Track: true) };
        int[] order = [0, 1, 2, 2, 1, 0];
        var runners = order.Select(k => new Runner(new Engine(new EngineConfig { ConsumeFuel = configs[k].Fuel, TrackDirtyPages = configs[k].Track, OptimizeEagerly = eager }),
            bytes, w.Export, w.Arg, configs[k].Fuel)).ToArray();
        for (int i = 0; i < warmup; i++) foreach (var r in runners) r.Once();
        // Rounds interleave V8 and the engine so that load from other processes hits both alike.
        var v8s = new List<double>();
        var samples = configs.Select(_ => new List<double>()).ToArray();
        string v8Result = "";
        for (int round = 0; round < rounds; round++)
        {
            var v8 = V8(path, w.Export, w.Arg, warmup, runs);
            v8s.AddRange(v8.Samples);
            v8Result = v8.Result;
            for (int i = 0; i < runs; i++)
                for (int j = 0; j < runners.Length; j++) samples[order[j]].Add(runners[j].Once());
        }
        if (runners.Any(r => r.Result != v8Result))
            throw new InvalidOperationException($"{w.Name}: results differ: V8 {v8Result}, engine {string.Join(" / ", runners.Select(r => r.Result))}");
        if (runners.Where(r => r.Fuel).Select(r => r.FuelPerCall).Distinct().Count() != 1)
            throw new InvalidOperationException($"{w.Name}: fuel differs between configurations");
        double v8m = Median(v8s), v8min = v8s.Min();
        var med = samples.Select(Median).ToArray();
        var min = samples.Select(x => x.Min()).ToArray();
        string Cell(int k) => $"{med[k]:F1} / {min[k]:F1}";
        string Ratio(int k) => $"{med[k] / v8m:F2} / {min[k] / v8min:F2}";
        static string Cost(double a, double b, double amin, double bmin) => $"{(b / a - 1) * 100:+0.0;-0.0;0.0} % / {(bmin / amin - 1) * 100:+0.0;-0.0;0.0} %";
        Console.WriteLine($"| {w.Name} | {v8m:F1} / {v8min:F1} | {Cell(0)} | {Cell(1)} | {Cell(2)} | {Ratio(0)} | {Ratio(1)} | {Ratio(2)} | "
            + $"{Cost(med[0], med[1], min[0], min[1])} | {Cost(med[1], med[2], min[1], min[2])} | {runners[1].FuelPerCall:N0} |");
    }
    return 0;
}

int BigModule(string? path)
{
    path ??= Path.Combine(repo, "runtimes", "python-3.11", "out", "python.wasm");
    if (!File.Exists(path)) { Console.Error.WriteLine($"{path} not found"); return 1; }
    var bytes = File.ReadAllBytes(path);
    Console.WriteLine($"# {Path.GetFileName(path)}: {bytes.Length / 1e6:F1} MB; load average {LoadAverage()}");
    Console.WriteLine("| run | decode+validate+compile ms | instantiate ms | _initialize ms | total ms |");
    Console.WriteLine("|---|---:|---:|---:|---:|");
    for (int run = 0; run < 3; run++)
    {
        // A fresh engine each time: nothing is cached between runs. --track: the worker's settings (dirty-page marks).
        var engine = new Engine(new EngineConfig { TrackDirtyPages = args.Contains("--track") });
        var sw = Stopwatch.StartNew();
        var module = Module.Compile(engine, bytes);
        double compile = sw.Elapsed.TotalMilliseconds;
        var store = new Store(engine);
        store.Data = WasiContext.Create(new WasiConfigurationBuilder().WithArgs("python").Build());
        var linker = WasiLinker.AddToLinker(new Linker(engine));
        sw.Restart();
        var instance = engine.RunOnGuestThreadAsync(() => linker.Instantiate(store, module)).GetAwaiter().GetResult();
        double inst = sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        var init = instance.GetFunction("_initialize");
        init?.Invoke();
        double first = sw.Elapsed.TotalMilliseconds;
        Console.WriteLine($"| {run + 1} | {compile:F0} | {inst:F0} | {(init is null ? "n/a" : first.ToString("F0"))} | {compile + inst + first:F0} |");
    }
    var v8 = Exec("node", ["--no-liftoff", "-e", $"const t=performance.now();WebAssembly.compile(require('fs').readFileSync('{path}')).then(()=>console.log(performance.now()-t))"]);
    Console.WriteLine($"# V8 (--no-liftoff) WebAssembly.compile: {double.Parse(v8.Trim()):F0} ms");
    return 0;
}

int InterruptLatency()
{
    int samples = Opt("--samples", 30);
    const string wat = """
    (module
      (global $g (mut i32) (i32.const 0))
      (func (export "spin") (loop $l (global.set $g (i32.add (global.get $g) (i32.const 1))) (br $l)))
      (func $leaf (global.set $g (i32.add (global.get $g) (i32.const 3))))
      (func (export "calls") (loop $l (call $leaf) (br $l))))
    """;
    var engine = new Engine();
    var module = Module.Compile(engine, AsyncGrader.Wasm.Tests.EngineLimits.Wat.ToWasm(wat));
    Console.WriteLine($"# interrupt -> trap latency, {samples} samples each, load average {LoadAverage()}");
    Console.WriteLine("| guest | median ms | p95 ms | max ms |");
    Console.WriteLine("|---|---:|---:|---:|");
    foreach (var fn in new[] { "spin", "calls" })
    {
        var lat = new List<double>();
        for (int i = 0; i < samples; i++)
        {
            var store = new Store(engine);
            var inst = new Linker(engine).Instantiate(store, module);
            long trappedAt = 0;
            var started = new ManualResetEventSlim();
            var t = new Thread(() =>
            {
                started.Set();
                try { inst.GetFunction(fn)!.Invoke(); } catch (WasmTrap) { trappedAt = Stopwatch.GetTimestamp(); }
            });
            t.Start();
            started.Wait();
            Thread.Sleep(20);
            long at = Stopwatch.GetTimestamp();
            store.Interrupt();
            t.Join();
            lat.Add(Stopwatch.GetElapsedTime(at, trappedAt).TotalMilliseconds);
        }
        lat.Sort();
        Console.WriteLine($"| {fn} | {Median(lat):F3} | {lat[(int)(lat.Count * 0.95)]:F3} | {lat[^1]:F3} |");
    }
    return 0;
}

int Fuzz()
{
    int seeds = Opt("--seeds", 200), start = Opt("--start", 1);
    var fuzzer = new DifferentialFuzzer(Path.Combine(repo, "tests", "AsyncGrader.Wasm.Tests", "Fuzz", "fuzz-runner.mjs"));
    int mismatches = 0, skipped = 0, events = 0;
    var sw = Stopwatch.StartNew();
    for (int seed = start; seed < start + seeds; seed++)
    {
        DifferentialFuzzer.Outcome o;
        try { o = fuzzer.Run(seed); }
        catch (Exception e) { Console.WriteLine($"seed {seed}: harness error {e.Message}"); mismatches++; continue; }
        events += o.Ours.Count;
        if (o.Skipped is not null) { skipped++; continue; }
        if (!o.Match)
        {
            mismatches++;
            var file = Path.Combine(Path.GetTempPath(), $"fuzz-mismatch-{seed}.wasm");
            File.WriteAllBytes(file, o.Wasm);
            Console.WriteLine($"seed {seed}: MISMATCH (saved {file})\n{o.Diff()}");
        }
    }
    Console.WriteLine($"fuzz: {seeds} seeds from {start}, {events} events, {skipped} skipped, {mismatches} mismatches, {sw.Elapsed.TotalSeconds:F0} s");
    return mismatches == 0 ? 0 : 1;
}

(List<double> Samples, string Result) V8(string path, string export, int arg, int warmup, int runs)
{
    var json = Exec("node", ["--no-liftoff", Path.Combine(baseDir, "bench.mjs"), path, export, arg.ToString(), warmup.ToString(), runs.ToString()]);
    using var doc = JsonDocument.Parse(json.Trim().Split('\n')[^1]);
    var samples = doc.RootElement.GetProperty("samplesMs").EnumerateArray().Select(e => e.GetDouble()).ToList();
    var result = doc.RootElement.GetProperty("result").GetString()!;
    // JS prints i32 results signed; normalise to the engine's unsigned reading of the same bits.
    return (samples, result);
}

static double Median(List<double> xs)
{
    var s = xs.OrderBy(x => x).ToList();
    return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
}

static string Exec(string file, string[] a)
{
    var (rc, stdout, stderr) = DifferentialFuzzer.Exec(file, a, TimeSpan.FromMinutes(10));
    if (rc != 0) throw new InvalidOperationException($"{file} failed ({rc}): {stderr}");
    return stdout;
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

static string NodeVersion()
{
    try { return Exec("node", ["--version"]).Trim(); } catch { return "?"; }
}

static string FindRepo()
{
    for (var d = new DirectoryInfo(Directory.GetCurrentDirectory()); d is not null; d = d.Parent)
        if (File.Exists(Path.Combine(d.FullName, "AsyncGrader.sln"))) return d.FullName;
    for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        if (File.Exists(Path.Combine(d.FullName, "AsyncGrader.sln"))) return d.FullName;
    return Directory.GetCurrentDirectory();
}

/// <summary>One engine configuration running one export repeatedly in its own store.</summary>
sealed class Runner
{
    private readonly Func _f;
    private readonly Store _store;
    private readonly Value[] _args;
    private readonly bool _fuel;

    public bool Fuel => _fuel;

    public Runner(Engine engine, byte[] wasm, string export, int arg, bool fuel)
    {
        var module = Module.Compile(engine, wasm);
        _store = new Store(engine);
        var instance = new Linker(engine).Instantiate(_store, module);
        _f = instance.GetFunction(export)!;
        _args = [Value.I32(arg)];
        _fuel = fuel;
    }

    public string Result { get; private set; } = "";
    public long FuelPerCall { get; private set; }

    public double Once()
    {
        if (_fuel) _store.SetFuel(long.MaxValue / 4);
        long t0 = Stopwatch.GetTimestamp();
        var r = _f.Invoke(_args);
        double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        Result = r[0].AsI32().ToString(CultureInfo.InvariantCulture);
        if (_fuel) FuelPerCall = _store.FuelConsumed;
        return ms;
    }
}
