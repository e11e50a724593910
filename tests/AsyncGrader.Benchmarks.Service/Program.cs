// End-to-end benchmark of the grading service: latency (publish → GradeCompleted received) and
// throughput of trivial jobs over the real RabbitMQ and PostgreSQL.
//
//   dotnet run -c Release --project tests/AsyncGrader.Benchmarks.Service -- [options]
//     --sandbox wasm|null   wasm (default): the real WasmSandbox with python-3.11 in an in-process worker;
//                           null: a sandbox that returns at once (measures the service's own overhead)
//     --external            do not start a worker: measure one already consuming --queue
//     --queue NAME          default: a fresh queue per run
//     --sequential N        jobs sent one at a time (latency), default 20
//     --burst N             jobs sent all at once (throughput), default 40
//     --warmup N            jobs before measuring, default 3
//     --concurrency N       worker concurrency (in-process), default = processor count
// Connection settings: ASYNCGRADER_RABBITMQ / ASYNCGRADER_POSTGRES or .cache/services.env (scripts/services.sh).
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using AsyncGrader.Contracts;
using AsyncGrader.Data;
using AsyncGrader.Sandbox;
using AsyncGrader.Worker;
using Microsoft.EntityFrameworkCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var opts = ParseArgs(args);
var (amqpUri, postgres) = Bench.Settings();
string queue = opts.GetValueOrDefault("queue") ?? $"grade-requests-bench-{Guid.NewGuid():N}"[..32];
string sandboxKind = opts.GetValueOrDefault("sandbox") ?? "wasm";
int sequential = int.Parse(opts.GetValueOrDefault("sequential") ?? "20");
int burst = int.Parse(opts.GetValueOrDefault("burst") ?? "40");
int warmup = int.Parse(opts.GetValueOrDefault("warmup") ?? "3");
int concurrency = int.Parse(opts.GetValueOrDefault("concurrency") ?? Environment.ProcessorCount.ToString());
bool external = opts.ContainsKey("external");
string runtime = sandboxKind == "null" ? NullSandbox.Name : "python-3.11";
const string code = "correct = submission == '42'\nscore = 1.0 if correct else 0.0\nmsg = 'ok'";

Console.WriteLine($"service benchmark: sandbox={sandboxKind} queue={queue} concurrency={concurrency} cores={Environment.ProcessorCount}");

// Schema
{
    var b = new DbContextOptionsBuilder<GraderDbContext>();
    b.UseGraderPostgres(postgres);
    await using var db = new GraderDbContext(b.Options);
    await db.Database.MigrateAsync();
}

WebApplication? app = null;
if (!external)
{
    var sw = Stopwatch.StartNew();
    app = WorkerApp.Create([], builder =>
    {
        if (sandboxKind == "null") builder.Services.AddSingleton<ISandbox, NullSandbox>();
        else WorkerApp.RegisterWasmSandbox(builder);
    }, builder =>
    {
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AsyncGrader:RabbitMq"] = amqpUri,
            ["AsyncGrader:Postgres"] = postgres,
            ["AsyncGrader:QueueName"] = queue,
            ["AsyncGrader:Concurrency"] = concurrency.ToString(),
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
    });
    await app.StartAsync();
    Console.WriteLine($"worker started in {sw.ElapsedMilliseconds} ms (includes runtime warm-up)");
}

await using var client = await GradingClient.ConnectAsync(amqpUri, "asyncgrader-bench");

Task<Task<(double Ms, GradeCompleted Evt)>> Send() => client.SendAsync(queue, new GradeRequested
{
    JobId = "bench-" + Guid.NewGuid().ToString("N"), CourseId = "bench", ProblemId = "trivial", LearnerId = "anon", Runtime = runtime, Code = code, Submission = "42",
});

for (int i = 0; i < warmup; i++) await (await Send()).WaitAsync(TimeSpan.FromMinutes(5));

var seq = new List<double>();
var sandboxMs = new List<double>();
for (int i = 0; i < sequential; i++)
{
    var (ms, evt) = await (await Send()).WaitAsync(TimeSpan.FromMinutes(5));
    if (evt.Status != GradeStatus.Succeeded) throw new InvalidOperationException($"job {evt.JobId} ended {evt.Status}: {evt.Error}");
    seq.Add(ms);
    sandboxMs.Add(evt.DurationMs);
}

var cpuBefore = CpuUsage.Snapshot();
var burstSw = Stopwatch.StartNew();
var tasks = new List<Task<(double Ms, GradeCompleted Evt)>>();
for (int i = 0; i < burst; i++) tasks.Add(await Send());
var burstResults = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromMinutes(30));
burstSw.Stop();
var cpuAfter = CpuUsage.Snapshot();
if (burstResults.Any(r => r.Evt.Status != GradeStatus.Succeeded)) throw new InvalidOperationException("a burst job failed");

var sb = new StringBuilder();
sb.AppendLine($"sequential ({sequential} jobs, one at a time): end-to-end p50 {Bench.P(seq, 50):F1} ms, p99 {Bench.P(seq, 99):F1} ms, max {seq.DefaultIfEmpty().Max():F1} ms; sandbox run p50 {Bench.P(sandboxMs, 50):F1} ms; service overhead p50 {Bench.P(seq.Zip(sandboxMs, (a, b) => a - b).ToList(), 50):F1} ms");
var bl = burstResults.Select(r => r.Ms).ToList();
sb.AppendLine($"burst ({burst} jobs at once, concurrency {concurrency}): {burst / burstSw.Elapsed.TotalSeconds:F2} jobs/s, end-to-end p50 {Bench.P(bl, 50):F1} ms, p99 {Bench.P(bl, 99):F1} ms, wall {burstSw.Elapsed.TotalSeconds:F1} s");
sb.AppendLine($"fuel per trivial job: {burstResults[0].Evt.FuelUsed:N0}");
sb.AppendLine("CPU per burst job (ms): " + CpuUsage.PerJob(cpuBefore, cpuAfter, burst));
Console.Write(sb.ToString());

if (app is not null) { await app.StopAsync(); await app.DisposeAsync(); }
if (!opts.ContainsKey("queue"))
{
    await client.DeleteQueueAsync(queue);
}
return 0;

static Dictionary<string, string?> ParseArgs(string[] args)
{
    var d = new Dictionary<string, string?>();
    for (int i = 0; i < args.Length; i++)
    {
        if (!args[i].StartsWith("--")) continue;
        var key = args[i][2..];
        d[key] = i + 1 < args.Length && !args[i + 1].StartsWith("--") ? args[++i] : null;
    }
    return d;
}

/// <summary>Returns at once: isolates the service's own overhead (broker, database, outbox).</summary>
sealed class NullSandbox : ISandbox
{
    public const string Name = "null";
    public IReadOnlyList<RuntimeInfo> Runtimes { get; } = [new RuntimeInfo(Name, "0", new string('0', 64), "none", new JobLimits(1000, 1 << 20, 1000, 1024))];

    public Task<SandboxOutcome> RunAsync(SandboxJob job, CancellationToken cancellationToken = default) =>
        Task.FromResult(new SandboxOutcome
        {
            Status = JobStatus.Succeeded, GlobalsJson = job.GlobalsJson, Grade = new Grade(true, 1, "ok"),
            FuelUsed = 1, FuelLimit = job.Limits.Fuel ?? 0, RuntimeName = Name, RuntimeSha256 = Runtimes[0].Sha256,
        });
}
