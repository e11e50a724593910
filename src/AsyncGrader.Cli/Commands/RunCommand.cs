using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using AsyncGrader.Sandbox;

namespace AsyncGrader.Cli.Commands;

/// <summary>
/// <c>asyncgrader run grader.py --globals g.json --submission answer.txt</c>: the course author's
/// tool. Runs one grading job locally, in the same sandbox code the worker uses; needs no
/// RabbitMQ and no PostgreSQL. Exit code 0 when the job succeeded, 1 for any other outcome,
/// 2 for bad arguments.
/// </summary>
public static class RunCommand
{
    public static Command Create()
    {
        var code = new Argument<FileInfo>("code") { Description = "The grader's code (e.g. grader.py, grader.js)" };
        var runtime = new Option<string?>("--runtime") { Description = "Runtime name (default: from the file extension: .py → python-3.11, .js → javascript)" };
        var globals = new Option<FileInfo?>("--globals") { Description = "JSON file with the input globals (an object)" };
        var submission = new Option<FileInfo?>("--submission") { Description = "File with the learner's answer (bound to the global `submission`)" };
        var submissionText = new Option<string?>("--submission-text") { Description = "The learner's answer given inline" };
        var pythonLib = new Option<FileInfo?>("--python-lib") { Description = "The course's python_lib.zip (importable by the grader)" };
        var files = new Option<string[]>("--file") { Description = "NAME=PATH: a file mounted read-only at /job/NAME (repeatable)" };
        var seed = new Option<ulong?>("--seed") { Description = "Seed for the runtime's random generator" };
        var randomCompat = new Option<string?>("--random-compat") { Description = "\"python2\": Python 2.7-compatible random (legacy problems)" };
        var options = new Option<string?>("--options") { Description = "Runtime options as a JSON object" };
        var fuel = new Option<long?>("--fuel") { Description = "Fuel budget (about one unit per Wasm instruction)" };
        var memory = new Option<long?>("--memory") { Description = "Memory limit in bytes" };
        var timeout = new Option<int?>("--timeout") { Description = "Wall-clock limit in milliseconds" };
        var runtimes = new Option<DirectoryInfo?>("--runtimes") { Description = "Runtimes directory (default: $ASYNCGRADER_RUNTIMES or the repository's runtimes/)" };
        var json = new Option<bool>("--json") { Description = "Print the outcome as JSON" };

        var cmd = new Command("run", "Run a grader locally in the sandbox (no services needed)");
        cmd.Arguments.Add(code);
        foreach (var o in new Option[] { runtime, globals, submission, submissionText, pythonLib, files, seed, randomCompat, options, fuel, memory, timeout, runtimes, json })
            cmd.Options.Add(o);
        cmd.SetAction(async (parse, ct) =>
        {
            try
            {
                var codeFile = parse.GetValue(code)!;
                var job = new SandboxJob
                {
                    Runtime = parse.GetValue(runtime) ?? RuntimeFor(codeFile),
                    Code = File.ReadAllText(codeFile.FullName),
                    GlobalsJson = parse.GetValue(globals) is { } g ? ReadObject(File.ReadAllText(g.FullName), "--globals") : "{}",
                    Submission = parse.GetValue(submissionText) ?? (parse.GetValue(submission) is { } s ? File.ReadAllText(s.FullName) : null),
                    Files = ReadFiles(parse.GetValue(files) ?? [], parse.GetValue(pythonLib)),
                    Seed = parse.GetValue(seed),
                    OptionsJson = BuildOptions(parse.GetValue(options), parse.GetValue(randomCompat)),
                    Limits = new JobLimits(parse.GetValue(fuel), parse.GetValue(memory), parse.GetValue(timeout)),
                };
                var sandbox = new WasmSandbox(new SandboxOptions
                {
                    RuntimesDirectory = parse.GetValue(runtimes)?.FullName,
                    // Use a runtime image a worker (or `runtimes images`) built, but never spend seconds building one here.
                    ImageCacheDirectory = SandboxOptions.DefaultImageCacheDirectory(),
                    BuildImages = false,
                });
                var outcome = await sandbox.RunAsync(job, ct);
                Print(outcome, parse.GetValue(json));
                return outcome.Status == JobStatus.Succeeded ? 0 : 1;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or JsonException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
        });
        return cmd;
    }

    private static string RuntimeFor(FileInfo f) => f.Extension.ToLowerInvariant() switch
    {
        ".py" => "python-3.11",
        ".js" or ".mjs" => "javascript",
        _ => throw new ArgumentException($"cannot tell the runtime from '{f.Name}': pass --runtime"),
    };

    private static string ReadObject(string text, string what)
    {
        var node = JsonNode.Parse(text) as JsonObject ?? throw new ArgumentException($"{what} must be a JSON object");
        return node.ToJsonString();
    }

    private static string BuildOptions(string? options, string? randomCompat)
    {
        var obj = options is null ? new JsonObject() : JsonNode.Parse(options) as JsonObject ?? throw new ArgumentException("--options must be a JSON object");
        if (randomCompat is not null) obj["random_compat"] = randomCompat;
        return obj.ToJsonString();
    }

    private static Dictionary<string, byte[]> ReadFiles(string[] specs, FileInfo? pythonLib)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (pythonLib is not null) files["python_lib.zip"] = File.ReadAllBytes(pythonLib.FullName);
        foreach (var spec in specs)
        {
            int eq = spec.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"--file expects NAME=PATH, got '{spec}'");
            files[spec[..eq]] = File.ReadAllBytes(spec[(eq + 1)..]);
        }
        return files;
    }

    private static void Print(SandboxOutcome o, bool json)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                status = o.Status.ToString(),
                grade = o.Grade,
                globals = JsonNode.Parse(o.GlobalsJson),
                stdout = o.Stdout,
                stderr = o.Stderr,
                error = o.Error,
                fuelUsed = o.FuelUsed,
                fuelLimit = o.FuelLimit,
                peakMemoryBytes = o.PeakMemoryBytes,
                durationMs = o.Duration.TotalMilliseconds,
                runtime = o.RuntimeName,
                runtimeSha256 = o.RuntimeSha256,
            }, new JsonSerializerOptions { WriteIndented = true }));
            return;
        }
        Console.WriteLine($"status:   {o.Status}");
        if (o.Grade is { } g) Console.WriteLine($"grade:    correct={g.Correct?.ToString() ?? "-"} score={g.Score?.ToString() ?? "-"} msg={g.Msg ?? "-"}");
        Console.WriteLine($"globals:  {o.GlobalsJson}");
        if (o.Stdout.Length > 0) Console.WriteLine($"stdout:\n{o.Stdout.TrimEnd()}{(o.StdoutTruncated ? "\n[truncated]" : "")}");
        if (o.Stderr.Length > 0) Console.WriteLine($"stderr:\n{o.Stderr.TrimEnd()}{(o.StderrTruncated ? "\n[truncated]" : "")}");
        if (o.Error is not null) Console.WriteLine($"error:\n{o.Error.TrimEnd()}");
        Console.WriteLine($"fuel:     {o.FuelUsed:N0} of {o.FuelLimit:N0}");
        Console.WriteLine($"memory:   {o.PeakMemoryBytes:N0} bytes peak");
        Console.WriteLine($"duration: {o.Duration.TotalMilliseconds:F1} ms (runtime {o.RuntimeName} {o.RuntimeSha256[..Math.Min(12, o.RuntimeSha256.Length)]})");
    }
}
