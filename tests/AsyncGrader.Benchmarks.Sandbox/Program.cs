// Per-job benchmarks of the sandbox (python-3.11 and javascript runtimes on the managed engine),
// compared with the same Wasm modules under Node's V8 and with native CPython / Node.
//
//   dotnet run --project tests/AsyncGrader.Benchmarks.Sandbox -c Release [-- --quick] [-- --no-docs]
//   dotnet run --project tests/AsyncGrader.Benchmarks.Sandbox -c Release -- --sustained
//   DOTNET_TieredCompilation=0 dotnet run --project tests/AsyncGrader.Benchmarks.Sandbox -c Release -- --images --no-docs
//
// --images runs the runtimes the way the worker does: code from ahead-of-time images (built into
// the default image directory when missing), the rest compiled fully optimised on first call; with
// tiered compilation off, as in the worker, or the hot image methods are re-JIT-compiled.
// Prints a markdown report and writes it to the "Sandbox" section of docs/BENCHMARKS.md.
// --sustained only measures trivial python jobs back to back after the JIT has settled (jobs/s,
// process CPU and allocations per job, with 1 and 2 callers) and prints a table; no docs.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AsyncGrader.Sandbox;
using AsyncGrader.Wasi;
using AsyncGrader.Wasm;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
bool quick = args.Contains("--quick");
bool writeDocs = !args.Contains("--no-docs");
int scale = quick ? 4 : 1;

var root = FindRoot();
var started = DateTime.UtcNow;
var commit = Sh("git", "rev-parse --short HEAD", root).Trim();
var dirty = Sh("git", "status --porcelain -- src runtimes", root).Trim();
var loadBefore = Sh("uptime", "", root).Trim();
Console.Error.WriteLine($"repo {root} @ {commit}; {loadBefore}");

var py = new[]
{
    new Workload("a", "`x = x + 1`", "x = x + 1", """{"x": 1}""", null, 3, 40 / scale),
    new Workload("b", "check function", """
        def check(expect, ans):
            try:
                v = float(ans.strip().replace(',', '.'))
            except ValueError:
                return False, 'Could not parse %r' % ans
            ok = abs(v - float(expect)) <= 0.01 * abs(float(expect))
            return ok, ('Correct!' if ok else 'Expected about %s' % expect)
        correct, msg = check(expected, submission)
        score = 1.0 if correct else 0.0
        """, """{"expected": "9.81"}""", "9.8", 3, 40 / scale),
    new Workload("c", "compute: fib(25)", "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\nr = fib(25)\n", "{}", null, 2, 10 / scale),
};
var js = new[]
{
    new Workload("a", "`x = x + 1`", "x = x + 1", """{"x": 1}""", null, 20, 300 / scale),
    new Workload("b", "check function", """
        function check(expect, ans) {
          const v = Number(String(ans).trim().replace(',', '.'));
          if (!Number.isFinite(v)) return [false, 'Could not parse ' + JSON.stringify(ans)];
          const ok = Math.abs(v - Number(expect)) <= 0.01 * Math.abs(Number(expect));
          return [ok, ok ? 'Correct!' : 'Expected about ' + expect];
        }
        [correct, msg] = check(expected, submission);
        score = correct ? 1 : 0;
        """, """{"expected": "9.81"}""", "9.8", 20, 300 / scale),
    new Workload("c", "compute: fib(25)", "function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }\nr = fib(25);", "{}", null, 3, 20 / scale),
};

bool images = args.Contains("--images");
var sandbox = new WasmSandbox(images
    ? new SandboxOptions { ImageCacheDirectory = SandboxOptions.DefaultImageCacheDirectory(), OptimizeEagerly = true }
    : new SandboxOptions());
if (images && Environment.GetEnvironmentVariable("DOTNET_TieredCompilation") != "0")
    Console.Error.WriteLine("warning: --images without DOTNET_TieredCompilation=0: hot image methods get re-JIT-compiled");
var loadTimes = new Dictionary<string, (TimeSpan Compile, TimeSpan Init, long SnapshotBytes)>();
foreach (var name in new[] { "python-3.11", "javascript" })
{
    if (!sandbox.Registry.TryGetManifest(name, out _)) throw new InvalidOperationException($"runtime {name} is not built: bash scripts/build-runtimes.sh");
    var sw = Stopwatch.StartNew();
    var rt = sandbox.Registry.Get(name);
    loadTimes[name] = (rt.CompileTime, rt.InitTime, rt.Snapshot.MemoryBytes);
    Console.Error.WriteLine($"{name}: loaded in {sw.Elapsed.TotalSeconds:F1} s ({(rt.ImageBuildTime is { } b ? $"image built in {b.TotalSeconds:F1} s, " : "")}"
        + $"{(rt.Module.FromImage ? "code loaded from image" : "compile")} {rt.CompileTime.TotalSeconds:F1} s, init+snapshot {rt.InitTime.TotalSeconds:F1} s)");
}

if (args.Contains("--sustained"))
{
    await Sustained(sandbox);
    return 0;
}

// ---- jobs on the managed engine ----------------------------------------------------------------
var ours = new Dictionary<(string, string), JobStats>();
foreach (var (runtime, workloads) in new[] { ("python-3.11", py), ("javascript", js) })
{
    foreach (var w in workloads)
    {
        var durations = new List<double>();
        var e2e = new List<double>();
        long fuel = -1;
        for (int i = 0; i < w.Warmup + w.N; i++)
        {
            var sw = Stopwatch.StartNew();
            var o = await sandbox.RunAsync(new SandboxJob { Runtime = runtime, Code = w.Code, GlobalsJson = w.Globals, Submission = w.Submission });
            var wall = sw.Elapsed;
            if (o.Status != JobStatus.Succeeded) throw new InvalidOperationException($"{runtime} {w.Name}: {o.Status} {o.Error}");
            if (fuel >= 0 && fuel != o.FuelUsed) Console.Error.WriteLine($"note: {runtime} {w.Name}: fuel varies ({fuel} vs {o.FuelUsed})");
            fuel = o.FuelUsed;
            if (i >= w.Warmup) { durations.Add(o.Duration.TotalMilliseconds); e2e.Add(wall.TotalMilliseconds); }
        }
        ours[(runtime, w.Name)] = new JobStats(durations, e2e, fuel);
        Console.Error.WriteLine($"{runtime} {w.Name}: p50 {Pct(durations, 50):F2} ms, p99 {Pct(durations, 99):F2} ms, fuel {fuel:N0}");
    }
}

// ---- instantiation from the snapshot alone ------------------------------------------------------
var inst = new Dictionary<string, List<double>>();
var instLink = new Dictionary<string, List<double>>();
foreach (var name in new[] { "python-3.11", "javascript" })
{
    var rt = sandbox.Registry.Get(name);
    int n = 200 / scale;
    var linkOnly = instLink[name] = new List<double>();
    inst[name] = await sandbox.Engine.RunOnGuestThreadAsync(() =>
    {
        var times = new List<double>();
        for (int i = 0; i < 20 + n; i++)
        {
            var sw = Stopwatch.StartNew();
            var store = new Store(sandbox.Engine, new StoreLimits { MaxMemoryBytes = rt.Manifest.Limits.MemoryBytes, MaxTableElements = 1_000_000 });
            store.SetFuel(rt.Manifest.Limits.Fuel);
            store.Data = WasiContext.Create(rt.Wasi, new WasiJob { RandomSeed = 0, StdoutCapacity = 1 << 20, StderrCapacity = 1 << 20, Timeout = TimeSpan.FromSeconds(10) }, rt.WasiState);
            var t0 = sw.Elapsed.TotalMilliseconds;
            using var instance = rt.Linker.Instantiate(store, rt.Snapshot);
            var t = sw.Elapsed.TotalMilliseconds;
            if (i >= 20) { times.Add(t); linkOnly.Add(t - t0); }
        }
        return times;
    });
    Console.Error.WriteLine($"{name} instantiate: p50 {Pct(inst[name], 50):F3} ms p99 {Pct(inst[name], 99):F3} ms (Linker.Instantiate alone p50 {Pct(instLink[name], 50):F3} ms)");
}

// ---- memory of 100 live instances -------------------------------------------------------------
var mem = new Dictionary<string, (double GcMiB, double WsMiB, double PrivMiB)>();
foreach (var name in new[] { "python-3.11", "javascript" })
{
    var rt = sandbox.Registry.Get(name);
    const int count = 100;
    var (gc0, ws0, pv0) = Measure();
    var held = await sandbox.Engine.RunOnGuestThreadAsync(() =>
    {
        var list = new List<Instance>();
        for (int i = 0; i < count; i++)
        {
            var store = new Store(sandbox.Engine, new StoreLimits { MaxMemoryBytes = rt.Manifest.Limits.MemoryBytes, MaxTableElements = 1_000_000 });
            store.SetFuel(rt.Manifest.Limits.Fuel);
            store.Data = WasiContext.Create(rt.Wasi, new WasiJob { RandomSeed = 0, StdoutCapacity = 1 << 20, StderrCapacity = 1 << 20 }, rt.WasiState);
            var instance = rt.Linker.Instantiate(store, rt.Snapshot);
            // Touch every page the way a job would (restored memories may be lazily materialised).
            var memory = instance.GetMemory("memory")!;
            for (long p = 0; p < memory.Length; p += 4096) memory.WriteByte(p, memory.ReadByte(p));
            list.Add(instance);
        }
        return list;
    });
    var (gc1, ws1, pv1) = Measure();
    mem[name] = ((gc1 - gc0) / count, (ws1 - ws0) / count, (pv1 - pv0) / count);
    Console.Error.WriteLine($"{name}: 100 instances: GC heap +{gc1 - gc0:F0} MiB, working set +{ws1 - ws0:F0} MiB, private +{pv1 - pv0:F0} MiB");
    await sandbox.Engine.RunOnGuestThreadAsync(() => { foreach (var i in held) i.Dispose(); return 0; });
    held.Clear();
    GC.Collect();
}

// ---- the same workloads under Node's V8 and natively ------------------------------------------
var nodeVersion = Sh("node", "--version", root).Trim();
var benchDir = Path.Combine(root, "tests", "AsyncGrader.Benchmarks.Sandbox");
var v8Py = External("node", $"--no-liftoff {Q(Path.Combine(benchDir, "node", "python-wasm.mjs"))} {Q(Path.Combine(root, "runtimes", "python-3.11", "test", "run-node.mjs"))}", py, root);
var v8Js = External("node", $"--no-liftoff {Q(Path.Combine(benchDir, "node", "quickjs-wasm.mjs"))} {Q(Path.Combine(root, "runtimes", "javascript", "test", "run-node.mjs"))}", js, root);
var nativeJs = External("node", Q(Path.Combine(benchDir, "node", "native.mjs")), js, root);
var nativePy = External("/usr/bin/python3", Q(Path.Combine(benchDir, "native.py")), py, root);
var loadAfter = Sh("uptime", "", root).Trim();

// ---- report ------------------------------------------------------------------------------------
var md = new StringBuilder();
md.AppendLine("## Sandbox");
md.AppendLine();
md.AppendLine($"Measured {started:yyyy-MM-dd HH:mm} UTC at commit `{commit}`{(dirty.Length > 0 ? " (with uncommitted changes of other agents in src/ or runtimes/)" : "")} with");
md.AppendLine();
md.AppendLine("```");
md.AppendLine("dotnet run --project tests/AsyncGrader.Benchmarks.Sandbox -c Release" + (quick ? " -- --quick" : ""));
md.AppendLine("```");
md.AppendLine();
md.AppendLine($"Machine: {Environment.ProcessorCount} cores shared with other agents' builds and tests (`{CpuModel()}`), .NET {Environment.Version}, Node {nodeVersion}, native CPython {nativePy.Version} (`/usr/bin/python3`). " +
              $"Load average before: `{LoadAvg(loadBefore)}`, after: `{LoadAvg(loadAfter)}` — numbers are noisy; p99 in particular reflects other processes.");
md.AppendLine();
md.AppendLine("Per-job time in ms (p50 / p99). **ours** = `SandboxOutcome.Duration`: from creating the job's store, instantiating from the post-init snapshot, lowering the job, running it, to the lifted outcome (excluding the thread hop of `RunAsync`). " +
              "**V8 restore+run** = the runtime's Node harness per job: new `WebAssembly.Instance`, memory overwritten with the snapshot, WASI (temp dirs), `run` (python); for javascript the harness has no snapshot, so it is new instance + `_initialize` + `init` + `run`. " +
              "**V8 run** = the guest's `run` call alone (the fair compute comparison). Node runs with `--no-liftoff` (TurboFan only). **native** = CPython `exec` in-process via `timeit` / Node `vm` context + script per job.");
md.AppendLine();
md.AppendLine("| runtime | workload | ours p50 / p99 | V8 restore+run p50 / p99 | V8 run p50 / p99 | ours ÷ V8 run (p50) | native p50 / p99 | fuel per job |");
md.AppendLine("|---|---|---|---|---|---|---|---|");
foreach (var (runtime, workloads, v8, native) in new[] { ("python-3.11", py, v8Py, nativePy), ("javascript", js, v8Js, nativeJs) })
{
    foreach (var w in workloads)
    {
        var o = ours[(runtime, w.Name)];
        var vr = v8.Results[w.Name];
        var nr = native.Results[w.Name];
        md.AppendLine($"| {runtime} | ({w.Name}) {w.Label} | {Pct(o.Durations, 50):F2} / {Pct(o.Durations, 99):F2} | {Pct(vr.Total, 50):F2} / {Pct(vr.Total, 99):F2} | {Pct(vr.Run, 50):F2} / {Pct(vr.Run, 99):F2} | {Pct(o.Durations, 50) / Pct(vr.Run, 50):F2}x | {Pct(nr.Total, 50):F3} / {Pct(nr.Total, 99):F3} | {o.Fuel:N0} |");
    }
}
md.AppendLine();
md.AppendLine($"Jobs per workload after warm-up: python {py[0].N}/{py[1].N}/{py[2].N}, javascript {js[0].N}/{js[1].N}/{js[2].N} (same counts for V8 and native). `RunAsync` wall time including the guest-thread hop, p50: " +
              string.Join(", ", ours.Select(kv => $"{kv.Key.Item1} ({kv.Key.Item2}) {Pct(kv.Value.EndToEnd, 50):F2} ms")) + ".");
md.AppendLine();
md.AppendLine("| runtime | load: compile / init+snapshot | snapshot memory | instantiate from snapshot p50 / p99 (of which `Linker.Instantiate` p50) | 100 live instances: GC heap / working set / private bytes per instance |");
md.AppendLine("|---|---|---|---|---|");
foreach (var name in new[] { "python-3.11", "javascript" })
{
    var (c, i, b) = loadTimes[name];
    var m = mem[name];
    md.AppendLine($"| {name} | {c.TotalSeconds:F1} s / {i.TotalSeconds:F1} s | {b / 1048576.0:F1} MiB | {Pct(inst[name], 50):F3} / {Pct(inst[name], 99):F3} ms ({Pct(instLink[name], 50):F3} ms) | {m.GcMiB:F1} / {m.WsMiB:F1} / {m.PrivMiB:F1} MiB (×100 = {m.PrivMiB * 100 / 1024:F2} GiB private) |");
}
md.AppendLine();
md.AppendLine("<!-- sandbox-targets -->");
var report = md.ToString();
Console.WriteLine(report);

var json = new JsonObject
{
    ["commit"] = commit,
    ["ours"] = new JsonObject(ours.Select(kv => KeyValuePair.Create($"{kv.Key.Item1}/{kv.Key.Item2}", (JsonNode?)new JsonObject
    {
        ["p50"] = Pct(kv.Value.Durations, 50), ["p99"] = Pct(kv.Value.Durations, 99), ["fuel"] = kv.Value.Fuel,
    }))),
    ["instantiate"] = new JsonObject(inst.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)new JsonObject { ["p50"] = Pct(kv.Value, 50), ["p99"] = Pct(kv.Value, 99) }))),
};
File.WriteAllText(Path.Combine(Path.GetTempPath(), "asyncgrader-sandbox-bench.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

if (writeDocs) WriteSection(Path.Combine(root, "docs", "BENCHMARKS.md"), report);
return 0;

// ---- helpers -------------------------------------------------------------------------------------
// Trivial python jobs (`x = x + 1`) back to back, through RunAsync as the worker calls it: after
// 1,500 jobs and 15 s (the JIT's tiering of the runtime's code takes that long to settle), two
// 10 s rounds each with 1 and 2 concurrent callers. CPU is the whole process's (all threads).
static async Task Sustained(WasmSandbox sandbox)
{
    var job = new SandboxJob { Runtime = "python-3.11", Code = "x = x + 1", GlobalsJson = """{"x": 1}""" };
    for (int i = 0; i < 1500; i++) await sandbox.RunAsync(job);
    for (var warm = Stopwatch.StartNew(); warm.Elapsed.TotalSeconds < 15;) await sandbox.RunAsync(job);
    Console.WriteLine("| callers | jobs/s | process CPU per job | allocated per job | GCs gen0 / gen1 / gen2 per 10,000 jobs |");
    Console.WriteLine("|---|---|---|---|---|");
    foreach (int callers in new[] { 1, 2, 1, 2 })
    {
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        long alloc0 = GC.GetTotalAllocatedBytes(false);
        int g0 = GC.CollectionCount(0), g1 = GC.CollectionCount(1), g2 = GC.CollectionCount(2);
        int count = 0;
        long fuel = -1;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(async _ =>
        {
            while (sw.Elapsed.TotalSeconds < 10)
            {
                var o = await sandbox.RunAsync(job);
                if (o.Status != JobStatus.Succeeded) throw new InvalidOperationException($"{o.Status} {o.Error}");
                if (Interlocked.Exchange(ref fuel, o.FuelUsed) is var before && before >= 0 && before != o.FuelUsed)
                    throw new InvalidOperationException($"fuel varies: {before} vs {o.FuelUsed}");
                Interlocked.Increment(ref count);
            }
        }));
        var elapsed = sw.Elapsed;
        process.Refresh();
        double cpuMs = (process.TotalProcessorTime - cpu0).TotalMilliseconds;
        double per10k = 10_000.0 / count;
        Console.WriteLine($"| {callers} | {count / elapsed.TotalSeconds:F0} | {cpuMs / count:F3} ms | {(GC.GetTotalAllocatedBytes(false) - alloc0) / 1024.0 / count:F1} KiB | " +
                          $"{(GC.CollectionCount(0) - g0) * per10k:F0} / {(GC.CollectionCount(1) - g1) * per10k:F0} / {(GC.CollectionCount(2) - g2) * per10k:F0} |");
    }
}

static double Pct(IReadOnlyList<double> xs, double p)
{
    var s = xs.OrderBy(x => x).ToArray();
    if (s.Length == 0) return double.NaN;
    var rank = p / 100.0 * (s.Length - 1);
    int lo = (int)Math.Floor(rank), hi = (int)Math.Ceiling(rank);
    return s[lo] + (s[hi] - s[lo]) * (rank - lo);
}

static (double GcMiB, double WsMiB, double PrivMiB) Measure()
{
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    var p = Process.GetCurrentProcess();
    p.Refresh();
    return (GC.GetTotalMemory(true) / 1048576.0, p.WorkingSet64 / 1048576.0, p.PrivateMemorySize64 / 1048576.0);
}

static string FindRoot()
{
    for (var d = new DirectoryInfo(Directory.GetCurrentDirectory()); d is not null; d = d.Parent)
        if (File.Exists(Path.Combine(d.FullName, "AsyncGrader.sln"))) return d.FullName;
    for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        if (File.Exists(Path.Combine(d.FullName, "AsyncGrader.sln"))) return d.FullName;
    throw new InvalidOperationException("run from the repository");
}

static string Q(string s) => "\"" + s + "\"";

static string Sh(string file, string arguments, string cwd)
{
    var psi = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = cwd };
    using var p = Process.Start(psi)!;
    var output = p.StandardOutput.ReadToEnd();
    p.WaitForExit();
    return output;
}

static ExternalResult External(string file, string arguments, Workload[] workloads, string cwd)
{
    var spec = new JsonObject
    {
        ["workloads"] = new JsonArray(workloads.Select(w => (JsonNode)new JsonObject
        {
            ["name"] = w.Name, ["code"] = w.Code, ["globals"] = w.Globals, ["submission"] = w.Submission, ["warmup"] = w.Warmup, ["n"] = w.N,
        }).ToArray()),
    };
    Console.Error.WriteLine($"running {file} {arguments}");
    var psi = new ProcessStartInfo(file, arguments)
    {
        RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = cwd,
    };
    using var p = Process.Start(psi)!;
    p.StandardInput.Write(spec.ToJsonString());
    p.StandardInput.Close();
    var errTask = p.StandardError.ReadToEndAsync();
    var output = p.StandardOutput.ReadToEnd();
    p.WaitForExit();
    if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {arguments} failed ({p.ExitCode}): {errTask.Result}");
    var doc = JsonNode.Parse(output)!;
    var results = new Dictionary<string, (List<double> Total, List<double> Run)>();
    foreach (var (name, r) in doc["results"]!.AsObject())
    {
        var status = (string?)r!["status"];
        if (status != "succeeded") throw new InvalidOperationException($"{file} {arguments}: workload {name}: {status} {r["error"]}");
        results[name] = (r["total"]!.AsArray().Select(x => (double)x!).ToList(), r["run"]!.AsArray().Select(x => (double)x!).ToList());
    }
    return new ExternalResult((string?)doc["version"] ?? "", results.ToDictionary(kv => kv.Key, kv => new Timings(kv.Value.Total, kv.Value.Run)));
}

static string LoadAvg(string uptime)
{
    int i = uptime.IndexOf("load average", StringComparison.Ordinal);
    return i >= 0 ? uptime[i..] : uptime;
}

static string CpuModel()
{
    try
    {
        var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
        return line is null ? "unknown CPU" : line[(line.IndexOf(':') + 1)..].Trim();
    }
    catch (IOException) { return "unknown CPU"; }
}

/// <summary>Replaces the "## Sandbox" section (up to the next "## " heading) or appends it; other sections are untouched.</summary>
static void WriteSection(string path, string section)
{
    var text = File.Exists(path) ? File.ReadAllText(path) : "# Benchmarks\n\n";
    var lines = text.Split('\n').ToList();
    int start = lines.FindIndex(l => l.TrimEnd() == "## Sandbox");
    string notes = "";
    if (start >= 0)
    {
        int end = lines.FindIndex(start + 1, l => l.StartsWith("## ", StringComparison.Ordinal));
        if (end < 0) end = lines.Count;
        // Hand-written analysis below the marker is kept across runs.
        var old = string.Join('\n', lines.Skip(start).Take(end - start));
        int marker = old.IndexOf("<!-- sandbox-targets -->", StringComparison.Ordinal);
        if (marker >= 0) notes = old[(marker + "<!-- sandbox-targets -->".Length)..].TrimEnd('\n').TrimStart('\n');
        lines.RemoveRange(start, end - start);
        var body = section.TrimEnd('\n') + (notes.Length > 0 ? "\n\n" + notes : "") + "\n";
        lines.Insert(start, body);
        File.WriteAllText(path, string.Join('\n', lines));
    }
    else
    {
        File.WriteAllText(path, text.TrimEnd('\n') + "\n\n" + section.TrimEnd('\n') + "\n");
    }
    Console.Error.WriteLine($"wrote the Sandbox section of {path}");
}

internal sealed record Workload(string Name, string Label, string Code, string Globals, string? Submission, int Warmup, int N);
internal sealed record JobStats(List<double> Durations, List<double> EndToEnd, long Fuel);
internal sealed record Timings(List<double> Total, List<double> Run);
internal sealed record ExternalResult(string Version, Dictionary<string, Timings> Results);
