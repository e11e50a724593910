// Batch regrade benchmark: N learners' submissions of a customresponse-style Python grader are
// seeded in the jobs table, then one RegradeCourse regrades them all through the real service
// (BatchStore → dispatcher → RabbitMQ batch queue → consumer → sandbox → PostgreSQL → monitor).
//
//   dotnet run -c Release --project tests/AsyncGrader.Benchmarks.Batch -- [options]
//     --count N            submissions to regrade (default 10000)
//     --sandbox wasm|null  wasm (default): the real WasmSandbox + python-3.11; null: returns at once
//                          (measures the batch machinery alone)
//     --concurrency N      the worker's job slots (default: processor count)
//     --live-every MS      during the batch, one live job at a time every MS ms (default 500; 0 = none):
//                          its publish → GradeCompleted latency, against the same jobs before the batch
//     --slots N            batch consumer slots (default: 2 × concurrency: slots beyond the job
//                          slots overlap database/broker work; sandbox runs stay ≤ concurrency)
// Connection settings: ASYNCGRADER_RABBITMQ / ASYNCGRADER_POSTGRES or .cache/services.env.
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AsyncGrader.Contracts;
using AsyncGrader.Data;
using AsyncGrader.Data.Operations;
using AsyncGrader.Sandbox;
using AsyncGrader.Worker;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

var opts = new Dictionary<string, string>();
for (int i = 0; i < args.Length; i++)
    if (args[i].StartsWith("--")) opts[args[i][2..]] = i + 1 < args.Length && !args[i + 1].StartsWith("--") ? args[++i] : "true";
int count = int.Parse(opts.GetValueOrDefault("count") ?? "10000");
string sandboxKind = opts.GetValueOrDefault("sandbox") ?? "wasm";
int concurrency = int.Parse(opts.GetValueOrDefault("concurrency") ?? Environment.ProcessorCount.ToString());
int slots = int.Parse(opts.GetValueOrDefault("slots") ?? (2 * concurrency).ToString());
int liveEvery = int.Parse(opts.GetValueOrDefault("live-every") ?? "500");
var (amqpUri, postgres) = Bench.Settings();
var run = Guid.NewGuid().ToString("N")[..10];
string queue = $"bench-batch-{run}";
string runtime = sandboxKind == "null" ? NullSandbox.Name : "python-3.11";
const string Grader = """
    def check(expect, ans):
        try:
            return abs(float(ans) - float(expect)) <= 1e-6 * max(1.0, abs(float(expect)))
        except ValueError:
            return False

    correct = check(expected, submission)
    score = 1.0 if correct else 0.0
    msg = "Correct!" if correct else "Expected a number close to %s" % expected
    """;

Console.WriteLine($"batch benchmark: count={count} sandbox={sandboxKind} concurrency={concurrency} batch slots={slots} cores={Environment.ProcessorCount}");
var dbOptionsBuilder = new DbContextOptionsBuilder<GraderDbContext>();
dbOptionsBuilder.UseGraderPostgres(postgres);
var dbOptions = dbOptionsBuilder.Options;
await using (var db = new GraderDbContext(dbOptions)) await db.Database.MigrateAsync();

// Seed: one finished job per learner (score 1 for a third of them), sharing one grader blob.
string course = $"course-v1:Bench+{run}";
var seedWatch = Stopwatch.StartNew();
await using (var db = new GraderDbContext(dbOptions))
{
    var code = Encoding.UTF8.GetBytes(Grader);
    var sha = Convert.ToHexStringLower(SHA256.HashData(code));
    var now = DateTimeOffset.UtcNow;
    await db.Database.ExecuteSqlAsync($"INSERT INTO blobs (sha256, size, content, created_at) VALUES ({sha}, {(long)code.Length}, {code}, {now}) ON CONFLICT DO NOTHING");
    db.Database.SetCommandTimeout(300);
    await db.Database.ExecuteSqlAsync($"""
        INSERT INTO jobs (id, job_id, course_id, problem_id, learner_id, status, runtime_name, code_sha256, submission, globals_in, options,
            priority, grade_correct, grade_score, fuel_used, fuel_limit, timeout_ms, stdout_truncated, stderr_truncated, attempts, created_at, updated_at, completed_at)
        SELECT gen_random_uuid(), 'bench-' || {run} || '-' || i, {course}, 'p' || (i % 5), 'learner-' || i, 'succeeded', {runtime}, {sha},
            CASE WHEN i % 3 = 0 THEN '3.0' WHEN i % 3 = 1 THEN '3.0000001' ELSE 'three' END,
            jsonb_build_object('expected', 3), jsonb_build_object(), 0, i % 3 = 0, CASE WHEN i % 3 = 0 THEN 1.0 ELSE 0.0 END,
            1000, 2000000000, 10000, false, false, 1, {now}, {now}, {now}
        FROM generate_series(1, {count}) AS i
        """);
}
Console.WriteLine($"seeded {count} jobs in {seedWatch.ElapsedMilliseconds} ms");

var startWatch = Stopwatch.StartNew();
var app = WorkerApp.Create([], builder =>
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
        ["AsyncGrader:Batch:QueueName"] = queue + "-b",
        ["AsyncGrader:Batch:CommandQueueName"] = queue + "-c",
        ["AsyncGrader:Batch:Concurrency"] = slots.ToString(),
        ["AsyncGrader:Batch:MonitorPollMs"] = "250",
        ["Logging:LogLevel:Default"] = "Warning",
    });
    builder.WebHost.UseUrls("http://127.0.0.1:0");
});
await app.StartAsync();
Console.WriteLine($"worker started in {startWatch.ElapsedMilliseconds} ms (includes runtime warm-up)");

// Live jobs: the same grader through the live queue, one at a time; first without a batch.
await using var client = await GradingClient.ConnectAsync(amqpUri, "asyncgrader-batch-bench");
async Task<double> RunLiveJob()
{
    var (ms, evt) = await (await client.SendAsync(queue, new GradeRequested
    {
        JobId = "bench-live-" + Guid.NewGuid().ToString("N"), CourseId = "bench-live", ProblemId = "p-live", LearnerId = "anon",
        Runtime = runtime, Code = Grader, Submission = "3.0", Globals = JsonDocument.Parse("""{"expected": 3}""").RootElement,
    })).WaitAsync(TimeSpan.FromMinutes(2));
    if (evt.Status != GradeStatus.Succeeded) throw new InvalidOperationException($"live job ended {evt.Status}: {evt.Error}");
    return ms;
}
var liveBefore = new List<double>();
if (liveEvery > 0)
{
    for (int i = 0; i < 5; i++) await RunLiveJob(); // warm-up
    for (int i = 0; i < 20; i++) liveBefore.Add(await RunLiveJob());
}

var cpuBefore = CpuUsage.Snapshot();
var total = Stopwatch.StartNew();
BatchRecord batch;
await using (var db = new GraderDbContext(dbOptions))
{
    db.Database.SetCommandTimeout(300);
    batch = await BatchStore.CreateAsync(db, new RegradeCourse { CourseId = course, Reason = "benchmark", RequestedBy = "bench" }, DateTimeOffset.UtcNow, queue + "-b");
}
app.Services.GetRequiredService<BatchSignal>().Notify();
var created = total.Elapsed;
Console.WriteLine($"batch {batch.Id}: {batch.TotalJobs} children created in {created.TotalMilliseconds:F0} ms");

var liveDuring = new List<double>();
using var liveStop = new CancellationTokenSource();
var liveLoop = liveEvery <= 0 ? Task.CompletedTask : Task.Run(async () =>
{
    while (!liveStop.IsCancellationRequested)
    {
        liveDuring.Add(await RunLiveJob());
        try { await Task.Delay(liveEvery, liveStop.Token); } catch (OperationCanceledException) { }
    }
});

TimeSpan? dispatched = null;
var lastPrint = TimeSpan.Zero;
while (true)
{
    await Task.Delay(250);
    await using var db = new GraderDbContext(dbOptions);
    BatchRecord b;
    try { b = await db.Batches.AsNoTracking().SingleAsync(x => x.Id == batch.Id); }
    catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException) { Console.WriteLine($"  (database unavailable: {e.Message})"); continue; } // shared test database restarts
    if (dispatched is null && b.Dispatched >= b.TotalJobs) dispatched = total.Elapsed;
    if (total.Elapsed - lastPrint > TimeSpan.FromSeconds(5))
    {
        lastPrint = total.Elapsed;
        Console.WriteLine($"  {total.Elapsed.TotalSeconds,6:F1} s: dispatched {b.Dispatched}, succeeded {b.Succeeded}, errored {b.Errored}, queued {b.Queued}");
    }
    if (BatchModel.IsFinal(b.Status))
    {
        var elapsed = total.Elapsed;
        liveStop.Cancel();
        await liveLoop;
        Console.WriteLine($"batch {b.Status} in {elapsed.TotalSeconds:F1} s ({b.TotalJobs / elapsed.TotalSeconds:F0} jobs/s): " +
            $"succeeded {b.Succeeded}, errored {b.Errored}, scores up {b.ScoreUp} down {b.ScoreDown} same {b.ScoreSame}, fuel {b.FuelTotal:N0} " +
            $"({(b.Succeeded > 0 ? b.FuelTotal / b.Succeeded : 0):N0}/job); all dispatched after {dispatched?.TotalSeconds:F1} s");
        Console.WriteLine($"CPU per child (ms): {CpuUsage.PerJob(cpuBefore, CpuUsage.Snapshot(), b.TotalJobs)}");
        if (liveEvery > 0)
            Console.WriteLine($"live jobs (publish → GradeCompleted): before the batch p50 {Bench.P(liveBefore, 50):F1} ms, p99 {Bench.P(liveBefore, 99):F1} ms ({liveBefore.Count}); " +
                $"during it p50 {Bench.P(liveDuring, 50):F1} ms, p99 {Bench.P(liveDuring, 99):F1} ms, max {liveDuring.DefaultIfEmpty().Max():F1} ms ({liveDuring.Count})");
        var durations = await db.Jobs.AsNoTracking().Where(j => j.BatchId == b.Id && j.DurationMs != null).Select(j => j.DurationMs!.Value).ToListAsync();
        durations.Sort();
        if (durations.Count > 0)
            Console.WriteLine($"sandbox time per child: p50 {durations[durations.Count / 2]:F1} ms, p99 {durations[(int)(durations.Count * 0.99)]:F1} ms");
        break;
    }
}
await app.StopAsync();
// The run's queues are not needed any more.
var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(amqpUri) };
await using (var connection = await factory.CreateConnectionAsync())
    foreach (var q in new[] { queue, queue + "-b", queue + "-c", queue + "_error", queue + "-b_error", queue + "-c_error" })
    {
        await using var ch = await connection.CreateChannelAsync();
        try { await ch.QueueDeleteAsync(q, ifUnused: false, ifEmpty: false); } catch (RabbitMQ.Client.Exceptions.OperationInterruptedException) { }
    }
return 0;

/// <summary>Returns at once: measures the batch machinery without the sandbox.</summary>
sealed class NullSandbox : ISandbox
{
    public const string Name = "null-batch";
    public IReadOnlyList<RuntimeInfo> Runtimes { get; } = [new RuntimeInfo(Name, "1", new string('0', 64), "asyncgrader:runtime@1.0.0", new JobLimits(1000, 1 << 20, 1000, 1 << 16))];

    public Task<SandboxOutcome> RunAsync(SandboxJob job, CancellationToken cancellationToken = default)
    {
        bool correct = job.Submission?.StartsWith("3.0") == true;
        return Task.FromResult(new SandboxOutcome
        {
            Status = JobStatus.Succeeded, GlobalsJson = job.GlobalsJson, Grade = new Grade(correct, correct ? 1.0 : 0.0, "ok"),
            FuelUsed = 1, FuelLimit = 1000, PeakMemoryBytes = 1, Duration = TimeSpan.FromMilliseconds(0.01), RuntimeName = Name, RuntimeSha256 = new string('0', 64),
        });
    }
}
