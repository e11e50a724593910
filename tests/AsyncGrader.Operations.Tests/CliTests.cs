using System.Text;
using System.Text.Json;
using AsyncGrader.Contracts;
using AsyncGrader.Sandbox;
using AsyncGrader.Worker.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AsyncGrader.Operations.Tests;

/// <summary>The built CLI (asyncgrader.dll) run as a process against a running worker, broker and database.</summary>
[Collection(OperationsCollection.Name)]
public sealed class CliTests(ServicesFixture services)
{
    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    private static string CliDll()
    {
        var config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var dll = Path.Combine(LocalServices.RepoRoot(), "src", "AsyncGrader.Cli", "bin", config, "net10.0", "asyncgrader.dll");
        Assert.True(File.Exists(dll), $"{dll} is not built");
        return dll;
    }

    private async Task<Processes.Result> Cli(params string[] args) =>
        await Processes.RunAsync("dotnet", [CliDll(), .. args], TimeSpan.FromSeconds(180));

    private string[] Db => ["--db", services.Endpoints.Postgres];
    private string[] Amqp => ["--amqp", services.Endpoints.RabbitMq];

    private static JsonElement Json(Processes.Result r)
    {
        try { return JsonDocument.Parse(r.Stdout).RootElement.Clone(); }
        catch (JsonException e) { throw new Xunit.Sdk.XunitException($"not JSON ({e.Message}): {r.Stdout}\nstderr: {r.Stderr}"); }
    }

    [Fact]
    public async Task Operator_commands_work_against_the_running_service()
    {
        var sandbox = new ScriptedSandbox();
        await using var w = await OpsWorker.StartAsync(services.Endpoints, b => b.Services.AddSingleton<ISandbox>(sandbox));
        var course = Unique("course-cli");
        var dir = Directory.CreateTempSubdirectory("ag-cli-").FullName;
        var grader = Path.Combine(dir, "grader.txt");
        await File.WriteAllTextAsync(grader, "ok");

        // submit: publish over RabbitMQ and wait for the completion.
        var jobId = Unique("cli-job");
        var submit = await Cli(["submit", grader, "--runtime", ScriptedSandbox.RuntimeName, "--submission-text", "x=42", "--job-id", jobId,
            "--course", course, "--problem", "p1", "--learner", "anon-cli", "--queue", w.Worker.Queue, "--json", .. Amqp]);
        Assert.True(submit.ExitCode == 0, submit.Stderr + submit.Stdout);
        Assert.Equal("succeeded", Json(submit).GetProperty("status").GetString());
        var second = await Cli(["submit", grader, "--runtime", ScriptedSandbox.RuntimeName, "--submission-text", "y=41", "--job-id", Unique("cli-job"),
            "--course", course, "--problem", "p1", "--learner", "anon-cli-2", "--queue", w.Worker.Queue, "--json", .. Amqp]);
        Assert.Equal(0, second.ExitCode);

        // jobs list / show
        var list = await Cli(["jobs", "list", "--course", course, "--json", .. Db]);
        Assert.Equal(0, list.ExitCode);
        Assert.Equal(2, Json(list).GetProperty("total").GetInt32());
        var filtered = Json(await Cli(["jobs", "list", "--course", course, "--learner", "anon-cli", "--status", "succeeded", "--runtime", ScriptedSandbox.RuntimeName, "--since", "1h", "--json", .. Db]));
        Assert.Equal(jobId, filtered.GetProperty("items")[0].GetProperty("job_id").GetString());
        Assert.Equal(1, filtered.GetProperty("total").GetInt32());
        var show = Json(await Cli(["jobs", "show", jobId, "--json", .. Db]));
        Assert.Equal("x=42", show.GetProperty("inputs").GetProperty("submission").GetString());
        Assert.Equal("ok", show.GetProperty("inputs").GetProperty("code").GetString());
        Assert.Equal(1.0, show.GetProperty("outputs").GetProperty("grade").GetProperty("score").GetDouble());
        Assert.True(show.GetProperty("usage").GetProperty("fuel_used").GetInt64() > 0);
        Assert.Equal(1, show.GetProperty("attempts").GetInt32());
        var human = await Cli(["jobs", "show", jobId, .. Db]);
        Assert.Contains("anon-cli", human.Stdout);

        // jobs retry: the same job id runs again (attempt 2).
        var retry = await Cli(["jobs", "retry", jobId, "--queue", w.Worker.Queue, .. Db, .. Amqp]);
        Assert.True(retry.ExitCode == 0, retry.Stderr);
        await WaitUntil(async () => { await using var db = services.CreateDb(); var r = await db.Jobs.AsNoTracking().SingleAsync(j => j.JobId == jobId); return r.Status == GradeStatus.Succeeded && r.Attempts == 2; });
        Assert.Equal(2, sandbox.Runs("x=42"));

        // batch regrade with a replacement grader, followed to the end; status; cancel of a finished batch.
        await File.WriteAllTextAsync(grader, "status:error");
        var regrade = await Cli(["batch", "regrade", "--course", course, "--code", grader, "--reason", "cli test", "--queue", w.BatchQueue, "--timeout", "120", "--json", .. Db]);
        Assert.True(regrade.ExitCode == 0, regrade.Stderr + regrade.Stdout);
        var batch = Json(regrade);
        Assert.Equal("completed", batch.GetProperty("status").GetString());
        Assert.Equal(2, batch.GetProperty("total").GetInt32());
        Assert.Equal(2, batch.GetProperty("errored").GetInt32());
        Assert.Equal(1, batch.GetProperty("score_down").GetInt32()); // 1.0 → error; 0.0 → error is unchanged
        var batchId = batch.GetProperty("batch_id").GetString()!;
        var status = Json(await Cli(["batch", "status", batchId, "--json", .. Db]));
        Assert.Equal("cli test", status.GetProperty("reason").GetString());
        var cancel = Json(await Cli(["batch", "cancel", batchId, "--json", .. Db]));
        Assert.Equal("completed", cancel.GetProperty("status").GetString());
        Assert.Contains(Json(await Cli(["batch", "status", "--json", .. Db])).EnumerateArray(), b => b.GetProperty("batch_id").GetString() == batchId);
        Assert.Contains(batchId, (await Cli(["batch", "status", .. Db])).Stdout); // tables are not squeezed to 80 columns in a pipe

        // stats
        var stats = Json(await Cli(["stats", "--course", course, "--json", .. Db]));
        Assert.Equal(4, stats[0].GetProperty("jobs").GetInt32());
        Assert.Equal(ScriptedSandbox.RuntimeName, stats[0].GetProperty("runtime").GetString());

        // dead letters: an unreadable message is recorded, listed, and replayed from the error queue.
        await w.Worker.PublishRawAsync("{ not json");
        await WaitUntil(async () => { await using var db = services.CreateDb(); return await db.DeadLetters.AnyAsync(d => d.Queue == w.Worker.Queue); });
        await WaitUntil(async () => (await Cli(["dead-letters", "list", "--queue", w.Worker.Queue, "--json", .. Db, .. Amqp])) is var r && Json(r).GetProperty("error_queue_messages").GetInt32() == 1);
        var dl = Json(await Cli(["dead-letters", "list", "--queue", w.Worker.Queue, "--json", .. Db, .. Amqp]));
        Assert.Equal(1, dl.GetProperty("items").GetArrayLength());
        Assert.False(string.IsNullOrWhiteSpace(dl.GetProperty("items")[0].GetProperty("reason").GetString()));
        Assert.Equal(1, dl.GetProperty("error_queue_messages").GetInt32());
        var replay = Json(await Cli(["dead-letters", "replay", "--queue", w.Worker.Queue, "--json", .. Amqp]));
        Assert.Equal(1, replay.GetProperty("moved").GetInt32());
        // Replayed, it is refused again (still invalid JSON): a second dead letter, and back in the error queue once.
        await WaitUntil(async () => { await using var db = services.CreateDb(); return await db.DeadLetters.CountAsync(d => d.Queue == w.Worker.Queue) == 2; });
        await WaitUntil(async () => Json(await Cli(["dead-letters", "list", "--queue", w.Worker.Queue, "--json", .. Db, .. Amqp])).GetProperty("error_queue_messages").GetInt32() == 1);
        var after = Json(await Cli(["dead-letters", "list", "--queue", w.Worker.Queue, "--json", .. Db, .. Amqp]));
        Assert.Equal(2, after.GetProperty("items").GetArrayLength());
        Assert.Equal(1, after.GetProperty("error_queue_messages").GetInt32());

        // migrate
        var migrate = await Cli(["migrate", .. Db]);
        Assert.True(migrate.ExitCode == 0, migrate.Stderr);
        Assert.Contains("up to date", migrate.Stdout);
    }

    [Fact]
    public async Task Bad_arguments_and_unreachable_services_give_clear_errors_and_exit_codes()
    {
        var noDb = await Cli(["jobs", "list", "--db", "Host=127.0.0.1;Port=1;Database=x;Username=x;Password=x;Timeout=3"]);
        Assert.Equal(3, noDb.ExitCode);
        Assert.Contains("unreachable", noDb.Stderr);
        var noBroker = await Cli(["submit", Path.Combine(LocalServices.RepoRoot(), "AsyncGrader.sln"), "--runtime", "x", "--amqp", "amqp://guest:guest@127.0.0.1:1/"]);
        Assert.Equal(3, noBroker.ExitCode);
        Assert.Contains("unreachable", noBroker.Stderr);
        var badPage = await Cli(["jobs", "list", "--page", "0", .. Db]);
        Assert.Equal(2, badPage.ExitCode);
        Assert.Contains("--page", badPage.Stderr);
        var badTime = await Cli(["jobs", "list", "--since", "yesterday-ish", .. Db]);
        Assert.Equal(2, badTime.ExitCode);
        var missing = await Cli(["submit", "/nonexistent/grader.py", .. Amqp]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("no such file", missing.Stderr);
        var unknown = await Cli(["jobs", "show", "no-such-job-" + Guid.NewGuid().ToString("N"), .. Db]);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no job", unknown.Stderr);
        var noCourse = await Cli(["batch", "regrade", .. Db]);
        Assert.NotEqual(0, noCourse.ExitCode);
        Assert.Contains("--course", noCourse.Stderr + noCourse.Stdout);
    }

    [Fact]
    public async Task Runtimes_list_and_verify_detect_a_tampered_file()
    {
        var list = await Cli(["runtimes", "list", "--json"]);
        Assert.True(list.ExitCode == 0, list.Stderr);
        var names = Json(list).EnumerateArray().Select(r => r.GetProperty("name").GetString()).ToList();
        Assert.Contains("javascript", names);
        Assert.Equal(0, (await Cli(["runtimes", "verify"])).ExitCode);

        // A copy of the javascript runtime with one byte changed fails verification.
        var source = Json(list).EnumerateArray().Single(r => r.GetProperty("name").GetString() == "javascript").GetProperty("directory").GetString()!;
        var root = Directory.CreateTempSubdirectory("ag-runtimes-").FullName;
        var copy = Directory.CreateDirectory(Path.Combine(root, "javascript")).FullName;
        foreach (var f in Directory.GetFiles(source)) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        Assert.Equal(0, (await Cli(["runtimes", "verify", "--runtimes", root])).ExitCode);
        var wasm = Directory.GetFiles(copy, "*.wasm").First();
        var bytes = await File.ReadAllBytesAsync(wasm);
        bytes[^1] ^= 0xFF;
        await File.WriteAllBytesAsync(wasm, bytes);
        var verify = await Cli(["runtimes", "verify", "--runtimes", root, "--json"]);
        Assert.Equal(1, verify.ExitCode);
        var result = Json(verify)[0];
        Assert.False(result.GetProperty("ok").GetBoolean());
        Assert.Contains("sha256", result.GetProperty("detail").GetString());
    }

    private static async Task WaitUntil(Func<Task<bool>> condition, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met");
            await Task.Delay(200);
        }
    }
}
