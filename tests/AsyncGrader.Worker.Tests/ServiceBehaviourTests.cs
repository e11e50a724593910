using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AsyncGrader.Contracts;
using AsyncGrader.Sandbox;
using AsyncGrader.Worker.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AsyncGrader.Worker.Tests;

/// <summary>
/// The service's delivery guarantees against the real RabbitMQ and PostgreSQL, with a scripted
/// ISandbox (these behaviours are the service's, not the sandbox's).
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed class ServiceBehaviourTests(ServicesFixture services) : IAsyncLifetime
{
    private readonly ScriptedSandbox _sandbox = new();
    private WorkerHarness _worker = null!;
    private CompletionListener _completions = null!;

    public async Task InitializeAsync()
    {
        _worker = await WorkerHarness.StartAsync(services.Endpoints, b => b.Services.AddSingleton<ISandbox>(_sandbox));
        _completions = await _worker.Amqp.ListenAsync();
    }

    public async Task DisposeAsync()
    {
        await _completions.DisposeAsync();
        await _worker.DisposeAsync();
    }

    private static string NewJobId() => "t-" + Guid.NewGuid().ToString("N");

    private static Dictionary<string, object?> Job(string jobId, string code = "ok", string? submission = null) => new()
    {
        ["job_id"] = jobId,
        ["course_id"] = "course-v1:Test+T1+2026",
        ["problem_id"] = "problem-" + jobId,
        ["learner_id"] = "anon-1",
        ["runtime"] = ScriptedSandbox.RuntimeName,
        ["code"] = code,
        ["submission"] = submission ?? jobId + "=42",
        ["globals"] = new Dictionary<string, object> { ["expect"] = 42 },
        ["files"] = new Dictionary<string, byte[]> { ["python_lib.zip"] = Encoding.UTF8.GetBytes("shared library bytes") },
        ["limits"] = new Dictionary<string, object> { ["fuel"] = 5_000_000 },
        ["correlation"] = new Dictionary<string, string> { ["xqueue_header"] = "abc" },
    };

    [Fact]
    public async Task Job_is_graded_recorded_and_visible_over_http()
    {
        var id = NewJobId();
        await _worker.PublishAsync(Job(id));
        var evt = (await _completions.WaitAsync(id)).Single();

        Assert.Equal(GradeStatus.Succeeded, evt.Status);
        Assert.True(evt.Grade!.Correct);
        Assert.Equal(1.0, evt.Grade.Score);
        Assert.Equal(5_000_000, evt.FuelLimit);
        Assert.True(evt.FuelUsed > 0);
        Assert.Equal(1, evt.Attempt);
        Assert.Equal("abc", evt.Correlation!["xqueue_header"]);
        Assert.Equal(42, evt.Globals!.Value.GetProperty("answer").GetInt32());
        Assert.Equal(ScriptedSandbox.RuntimeSha, evt.RuntimeSha256);

        // The event on the wire is plain snake_case JSON (no MassTransit envelope).
        using (var doc = JsonDocument.Parse(_completions.JsonFor(id).Single()))
        {
            Assert.Equal(id, doc.RootElement.GetProperty("job_id").GetString());
            Assert.False(doc.RootElement.TryGetProperty("message", out _));
        }

        await using (var db = services.CreateDb())
        {
            var row = await db.Jobs.Include(j => j.Files).SingleAsync(j => j.JobId == id);
            Assert.Equal(GradeStatus.Succeeded, row.Status);
            Assert.Equal(evt.FuelUsed, row.FuelUsed);
            Assert.NotNull(row.CompletedAt);
            Assert.Single(row.Files);
            Assert.True(await db.Blobs.AnyAsync(b => b.Sha256 == row.CodeSha256));
            Assert.True(await db.Outbox.AnyAsync(o => o.JobId == id && o.PublishedAt != null));
        }

        var view = await _worker.Http.GetFromJsonAsync<JsonElement>($"/jobs/{id}");
        Assert.Equal("succeeded", view.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _worker.Http.GetAsync("/jobs/no-such-job")).StatusCode);
        var page = await _worker.Http.GetFromJsonAsync<JsonElement>($"/jobs?problemId=problem-{id}&status=succeeded&page=1&pageSize=10");
        Assert.Equal(1, page.GetProperty("total").GetInt32());

        var metrics = await _worker.Http.GetStringAsync("/metrics");
        Assert.Contains("asyncgrader_jobs_completed_total{status=\"succeeded\"} 1", metrics);
        Assert.Contains("asyncgrader_job_fuel_used_count 1", metrics);
        Assert.Contains($"asyncgrader_queue_depth{{queue=\"{_worker.Queue}\"}}", metrics);

        var ready = await _worker.Http.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _worker.Http.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task Wire_json_matches_the_published_schemas()
    {
        var ok = NewJobId();
        var rejected = NewJobId();
        var error = NewJobId();
        var request = Job(ok);
        request["seed"] = 7;
        request["options"] = new Dictionary<string, object> { ["random_compat"] = "python2" };
        request["priority"] = 3;
        var bad = Job(rejected);
        bad["runtime"] = "no-such-runtime";
        await _worker.PublishAsync(request);
        await _worker.PublishAsync(bad);
        await _worker.PublishAsync(Job(error, "status:error"));
        await _completions.WaitAsync(ok);
        await _completions.WaitAsync(rejected);
        await _completions.WaitAsync(error);

        var requests = await Processes.ValidateJsonAsync("grade-requested.schema.json", JsonSerializer.Serialize(request));
        Assert.True(requests.ExitCode == 0, requests.Stdout + requests.Stderr);
        var events = await Processes.ValidateJsonAsync("grade-completed.schema.json",
            [.. _completions.JsonFor(ok), .. _completions.JsonFor(rejected), .. _completions.JsonFor(error)]);
        Assert.True(events.ExitCode == 0, events.Stdout + events.Stderr);

        // And the schema does reject what it should (the check can fail).
        var broken = await Processes.ValidateJsonAsync("grade-completed.schema.json",
            _completions.JsonFor(ok).Single().Replace("\"succeeded\"", "\"sort_of\""));
        Assert.Equal(1, broken.ExitCode);
    }

    [Fact]
    public async Task Blobs_are_stored_once_across_jobs()
    {
        var code = "ok;shared-grader-" + Guid.NewGuid().ToString("N");
        var a = NewJobId();
        var b = NewJobId();
        await _worker.PublishAsync(Job(a, code));
        await _worker.PublishAsync(Job(b, code));
        await _completions.WaitAsync(a);
        await _completions.WaitAsync(b);
        await using var db = services.CreateDb();
        var sha = (await db.Jobs.SingleAsync(j => j.JobId == a)).CodeSha256;
        Assert.Equal(sha, (await db.Jobs.SingleAsync(j => j.JobId == b)).CodeSha256);
        Assert.Equal(1, await db.Blobs.CountAsync(x => x.Sha256 == sha));
    }

    [Fact]
    public async Task Duplicate_publish_runs_the_job_once()
    {
        var id = NewJobId();
        var job = Job(id, "sleep:700");
        await _worker.PublishAsync(job);
        await _worker.PublishAsync(job);
        var events = await _completions.WaitAsync(id, count: 2);

        Assert.All(events, e => Assert.Equal(GradeStatus.Succeeded, e.Status));
        Assert.Equal(1, _sandbox.Runs(id + "=42"));
        await using var db = services.CreateDb();
        var row = await db.Jobs.SingleAsync(j => j.JobId == id);
        Assert.Equal(1, row.Attempts);
    }

    [Fact]
    public async Task Redelivered_finished_job_is_answered_again_without_running()
    {
        var id = NewJobId();
        await _worker.PublishAsync(Job(id));
        var first = (await _completions.WaitAsync(id)).Single();
        await _worker.PublishAsync(Job(id));
        var both = await _completions.WaitAsync(id, count: 2);

        Assert.Equal(1, _sandbox.Runs(id + "=42"));
        Assert.Equal(first.FuelUsed, both[1].FuelUsed);
        Assert.Equal(first.CompletedAt, both[1].CompletedAt);
        Assert.Contains("asyncgrader_jobs_republished_total 1", await _worker.Http.GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task Guest_faults_are_results_and_are_not_retried()
    {
        var id = NewJobId();
        await _worker.PublishAsync(Job(id, "status:error"));
        var evt = (await _completions.WaitAsync(id)).Single();
        Assert.Equal(GradeStatus.Error, evt.Status);
        Assert.Contains("Traceback", evt.Error);
        Assert.Equal(1, _sandbox.Runs(id + "=42"));
    }

    [Fact]
    public async Task Host_faults_are_retried_until_the_job_completes()
    {
        var id = NewJobId();
        await _worker.PublishAsync(Job(id, "hostfault:2"));
        var evt = (await _completions.WaitAsync(id)).Single();
        Assert.Equal(GradeStatus.Succeeded, evt.Status);
        Assert.Equal(3, _sandbox.Runs(id + "=42"));
        Assert.Null(await _worker.Amqp.GetAsync(_worker.ErrorQueue, TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task Python_pika_client_publishes_and_receives_plain_json()
    {
        var id = NewJobId();
        var run = await Processes.PikaClientAsync("submit", "--amqp", services.Endpoints.RabbitMq, "--queue", _worker.Queue,
            "--job-id", id, "--runtime", ScriptedSandbox.RuntimeName, "--code", "ok", "--submission", id + "=42",
            "--globals", "{\"x\": 1}", "--course-id", "c1", "--problem-id", "p1", "--learner-id", "l1", "--timeout", "60");
        Assert.True(run.ExitCode == 0, run.Stderr);
        using var evt = JsonDocument.Parse(run.Stdout);
        Assert.Equal(id, evt.RootElement.GetProperty("job_id").GetString());
        Assert.Equal("succeeded", evt.RootElement.GetProperty("status").GetString());
        Assert.True(evt.RootElement.GetProperty("grade").GetProperty("correct").GetBoolean());
        await using var db = services.CreateDb();
        var row = await db.Jobs.SingleAsync(j => j.JobId == id);
        Assert.Equal("c1", row.CourseId);
        Assert.Equal("""{"x": 1}""", row.GlobalsIn);
    }

    [Fact]
    public async Task Invalid_json_is_dead_lettered_with_its_reason()
    {
        var marker = Guid.NewGuid().ToString("N");
        var run = await Processes.PikaClientAsync("publish-raw", "--amqp", services.Endpoints.RabbitMq, "--queue", _worker.Queue,
            "--body", "{\"job_id\": \"" + marker + "\", not json");
        Assert.True(run.ExitCode == 0, run.Stderr);
        var dead = await _worker.Amqp.GetAsync(_worker.ErrorQueue, TimeSpan.FromSeconds(20));
        Assert.NotNull(dead);
        Assert.Contains(marker, Encoding.UTF8.GetString(dead.Body.ToArray()));
        var headers = dead.BasicProperties.Headers!;
        Assert.True(headers.ContainsKey("MT-Fault-Message"), string.Join(",", headers.Keys));
        Assert.False(string.IsNullOrEmpty(Encoding.UTF8.GetString((byte[])headers["MT-Fault-Message"]!)));

        await using var db = services.CreateDb();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await db.DeadLetters.AnyAsync(d => d.Queue == _worker.Queue) && DateTime.UtcNow < deadline) await Task.Delay(100);
        var row = await db.DeadLetters.Where(d => d.Queue == _worker.Queue).SingleAsync();
        Assert.Contains(marker, Encoding.UTF8.GetString(row.BodyPrefix!));
        Assert.False(string.IsNullOrWhiteSpace(row.Reason));
    }

    public static TheoryData<string, string> BadJobs => new()
    {
        { "missing-code", "code is required" },
        { "unknown-runtime", "unknown runtime" },
        { "bad-globals", "globals must be a JSON object" },
        { "bad-file-name", "invalid file name" },
        { "pinned-sha", "not the pinned" },
        { "limits-above-cap", "above the operator cap" },
    };

    [Theory]
    [MemberData(nameof(BadJobs))]
    public async Task Bad_jobs_are_rejected_recorded_and_dead_lettered(string kind, string reason)
    {
        var id = NewJobId();
        var job = Job(id);
        switch (kind)
        {
            case "missing-code": job.Remove("code"); break;
            case "unknown-runtime": job["runtime"] = "cobol-85"; break;
            case "bad-globals": job["globals"] = new[] { 1, 2 }; break;
            case "bad-file-name": job["files"] = new Dictionary<string, byte[]> { ["../etc/passwd"] = [1] }; break;
            case "pinned-sha": job["runtime_sha256"] = new string('b', 64); break;
            case "limits-above-cap": job["limits"] = new Dictionary<string, object> { ["memory_bytes"] = 1L << 40 }; break;
        }
        await _worker.PublishAsync(job);

        var evt = (await _completions.WaitAsync(id)).Single();
        Assert.Equal(GradeStatus.Rejected, evt.Status);
        Assert.Contains(reason, evt.Error);

        var dead = await _worker.Amqp.GetAsync(_worker.ErrorQueue, TimeSpan.FromSeconds(20));
        Assert.NotNull(dead);
        var faultMessage = Encoding.UTF8.GetString((byte[])dead.BasicProperties.Headers!["MT-Fault-Message"]!);
        Assert.Contains(reason, faultMessage);

        await using var db = services.CreateDb();
        var row = await db.Jobs.SingleAsync(j => j.JobId == id);
        Assert.Equal(GradeStatus.Rejected, row.Status);
        Assert.Contains(reason, row.Error);
        Assert.True(await db.DeadLetters.AnyAsync(d => d.JobId == id && d.Reason.Contains(reason)));
        Assert.Equal(0, _sandbox.Runs(id + "=42"));
    }

    [Fact]
    public async Task A_message_without_a_usable_job_id_is_dead_lettered_without_an_event()
    {
        var job = Job("not a valid id!");
        await _worker.PublishAsync(job);
        var dead = await _worker.Amqp.GetAsync(_worker.ErrorQueue, TimeSpan.FromSeconds(20));
        Assert.NotNull(dead);
        Assert.Contains("job_id must be", Encoding.UTF8.GetString((byte[])dead.BasicProperties.Headers!["MT-Fault-Message"]!));
        Assert.Empty(_completions.For("not a valid id!"));
    }

    [Fact]
    public async Task Broker_connection_loss_mid_run_loses_nothing_and_runs_once()
    {
        var id = NewJobId();
        var key = id + "=42";
        await _worker.PublishAsync(Job(id, "sleep:2000"));
        await _sandbox.Started(key).WaitAsync(TimeSpan.FromSeconds(20));
        var vhost = new Uri(services.Endpoints.RabbitMq).AbsolutePath.Trim('/');
        Assert.True(await Processes.CloseBrokerConnectionsAsync(vhost, keepPrefix: "asyncgrader-tests") > 0);

        // The delivery's ack is lost with the connection: the broker redelivers it after the
        // worker reconnects; the job is not run again and its completion is published (again).
        var events = await _completions.WaitAsync(id, timeout: TimeSpan.FromSeconds(60));
        Assert.All(events, e => Assert.Equal(GradeStatus.Succeeded, e.Status));
        await using var db = services.CreateDb();
        var row = await db.Jobs.SingleAsync(j => j.JobId == id);
        Assert.Equal(GradeStatus.Succeeded, row.Status);
        Assert.Equal(1, _sandbox.Runs(key));
        // The queue drains: nothing is left unacknowledged or lost.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline && !(await _worker.Http.GetStringAsync("/metrics")).Contains($"asyncgrader_queue_depth{{queue=\"{_worker.Queue}\"}} 0"))
            await Task.Delay(200);
        Assert.Equal(1, _sandbox.Runs(key));
    }

    [Fact]
    public async Task Database_outage_mid_run_loses_nothing_and_runs_once()
    {
        var id = NewJobId();
        var key = id + "=42";
        await _worker.PublishAsync(Job(id, "sleep:2500"));
        await _sandbox.Started(key).WaitAsync(TimeSpan.FromSeconds(20));
        await services.Endpoints.StopDatabaseAsync();
        try
        {
            await _sandbox.Finished(key).WaitAsync(TimeSpan.FromSeconds(20));
            await Task.Delay(3000); // the outcome cannot be committed: retries back off meanwhile
            Assert.Empty(_completions.For(id));
        }
        finally
        {
            await services.Endpoints.StartDatabaseAsync();
        }
        var events = await _completions.WaitAsync(id, timeout: TimeSpan.FromSeconds(60));
        Assert.Equal(GradeStatus.Succeeded, Assert.Single(events).Status);
        Assert.Equal(1, _sandbox.Runs(key));
        await using var db = services.CreateDb();
        var row = await db.Jobs.SingleAsync(j => j.JobId == id);
        Assert.Equal(GradeStatus.Succeeded, row.Status);
        Assert.Equal(1, row.Attempts);
        await Task.Delay(500);
        Assert.Single(_completions.For(id));
    }

    [Fact]
    public async Task Graceful_shutdown_finishes_in_flight_jobs()
    {
        var id = NewJobId();
        var key = id + "=42";
        await _worker.PublishAsync(Job(id, "sleep:1500"));
        await _sandbox.Started(key).WaitAsync(TimeSpan.FromSeconds(20));
        await _worker.StopAsync();
        // The job finished and its completion was published before the worker stopped.
        var evt = (await _completions.WaitAsync(id, timeout: TimeSpan.FromSeconds(5))).Single();
        Assert.Equal(GradeStatus.Succeeded, evt.Status);
        await using var db = services.CreateDb();
        Assert.Equal(GradeStatus.Succeeded, (await db.Jobs.SingleAsync(j => j.JobId == id)).Status);
    }

    [Fact]
    public async Task Graceful_shutdown_returns_jobs_still_waiting_for_a_sandbox_slot_unrun()
    {
        // One slot, several messages in flight: two jobs are claimed and wait while the first runs;
        // the shutdown timeout ends before a slot frees up.
        var settings = new Dictionary<string, string?>
        {
            ["AsyncGrader:Concurrency"] = "1", ["AsyncGrader:MessageConcurrency"] = "4", ["AsyncGrader:ShutdownTimeoutMs"] = "500",
        };
        await using var worker = await WorkerHarness.StartAsync(services.Endpoints, b => b.Services.AddSingleton<ISandbox>(_sandbox), settings);
        await using var completions = await worker.Amqp.ListenAsync();
        var running = NewJobId();
        await worker.PublishAsync(Job(running, "sleep:2000"));
        await _sandbox.Started(running + "=42").WaitAsync(TimeSpan.FromSeconds(20));
        var waiting = new[] { NewJobId(), NewJobId() };
        foreach (var id in waiting) await worker.PublishAsync(Job(id));
        await using (var db = services.CreateDb())
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (await db.Jobs.CountAsync(j => waiting.Contains(j.JobId) && j.Status == GradeStatus.Running) < 2)
            {
                Assert.True(DateTime.UtcNow < deadline, "the waiting jobs were never claimed");
                await Task.Delay(20);
            }
        }

        await worker.StopAsync();
        await using (var db = services.CreateDb())
        {
            // The cancelled consumers give their claims back as the host winds down.
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (await db.Jobs.CountAsync(j => waiting.Contains(j.JobId) && j.Status == GradeStatus.Queued) < 2 && DateTime.UtcNow < deadline)
                await Task.Delay(50);
            foreach (var row in await db.Jobs.AsNoTracking().Where(j => waiting.Contains(j.JobId)).ToListAsync())
            {
                Assert.Equal(GradeStatus.Queued, row.Status);
                Assert.Null(row.LeaseOwner);
                Assert.Equal(0, row.Attempts);
            }
        }
        foreach (var id in waiting) Assert.Equal(0, _sandbox.Runs(id + "=42"));

        // Another worker on the queue runs them at once (no lease to wait out), as first attempts.
        await using var next = await WorkerHarness.StartAsync(services.Endpoints, b => b.Services.AddSingleton<ISandbox>(_sandbox), settings, worker.Queue);
        foreach (var id in waiting)
        {
            var evt = (await completions.WaitAsync(id, timeout: TimeSpan.FromSeconds(10))).Single();
            Assert.Equal(GradeStatus.Succeeded, evt.Status);
            Assert.Equal(1, evt.Attempt);
            Assert.Equal(1, _sandbox.Runs(id + "=42"));
        }
    }

    [Fact]
    public async Task Limits_are_clamped_to_the_operator_caps_in_clamp_mode()
    {
        await using var worker = await WorkerHarness.StartAsync(services.Endpoints, b => b.Services.AddSingleton<ISandbox>(_sandbox),
            new Dictionary<string, string?> { ["AsyncGrader:Caps:Policy"] = "clamp" });
        await using var completions = await worker.Amqp.ListenAsync();
        var id = NewJobId();
        var job = Job(id);
        job["limits"] = new Dictionary<string, object> { ["fuel"] = long.MaxValue, ["wall_clock_ms"] = 1_000_000 };
        await worker.PublishAsync(job);
        var evt = (await completions.WaitAsync(id)).Single();
        var caps = worker.Service<GraderOptions>().Caps;
        Assert.Equal(GradeStatus.Succeeded, evt.Status);
        Assert.Equal(caps.MaxFuel, evt.FuelLimit);
        await using var db = services.CreateDb();
        var row = await db.Jobs.SingleAsync(j => j.JobId == id);
        Assert.Equal(caps.MaxWallClockMs, row.TimeoutMs);
        Assert.Equal(64 << 20, row.MemoryLimitBytes); // the runtime default, below the cap
    }
}
