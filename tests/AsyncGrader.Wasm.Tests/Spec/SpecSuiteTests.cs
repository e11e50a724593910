using System.Diagnostics;
using System.Text;
using AsyncGrader.Wasm.Spec;
using Xunit.Abstractions;

namespace AsyncGrader.Wasm.Tests.Spec;

/// <summary>
/// The official WebAssembly 2.0 spec suite (wast2json corpus, see docs/SPEC-TESTS.md): one test per
/// script, each asserting that no command of the script fails. Text-format assert_malformed
/// commands are skipped (the engine reads binaries only).
/// </summary>
[Collection(SpecCollection.Name)]
public sealed class SpecSuiteTests(ITestOutputHelper output)
{
    private const string CorpusMissing = "(spec corpus unavailable)";

    /// <summary>One engine for the whole suite, as in production: modules are compiled per engine, state is per store.</summary>
    private static readonly Lazy<Engine> s_engine = new(() => new Engine());
    private static readonly Lazy<Engine> s_unmeteredEngine = new(() => new Engine(new EngineConfig { ConsumeFuel = false }));
    private static readonly Lazy<Engine> s_workerEngine = new(() => new Engine(new EngineConfig { TrackDirtyPages = true }));

    private static string? s_corpusError;

    public static TheoryData<string> Scripts()
    {
        var data = new TheoryData<string>();
        try
        {
            foreach (var file in SpecCorpus.Shared.Files) data.Add(Path.GetFileNameWithoutExtension(file));
        }
        catch (Exception e)
        {
            // Surface as a failing test instead of a discovery error.
            s_corpusError = e.Message;
            data.Add(CorpusMissing);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Script(string name) => Run(name, s_engine.Value);

    /// <summary>
    /// The same script on an engine compiled without fuel: compiled code then has another calling
    /// convention (no fuel passed through calls and returns, docs/FUEL.md) and no checks.
    /// </summary>
    [Theory]
    [MemberData(nameof(Scripts))]
    public void ScriptWithoutFuel(string name) => Run(name, s_unmeteredEngine.Value);

    /// <summary>
    /// The same script as the worker compiles: with dirty-page tracking, so stores carry marks and
    /// loops with induction-variable stores mark them on exit (LoopStoreAnalysis).
    /// </summary>
    [Theory]
    [MemberData(nameof(Scripts))]
    public void ScriptAsTheWorkerCompiles(string name) => Run(name, s_workerEngine.Value);

    private void Run(string name, Engine engine)
    {
        Assert.False(name == CorpusMissing, $"cannot open the spec corpus: {s_corpusError ?? Describe()}");
        var path = SpecCorpus.Shared.Find(name);
        Assert.NotNull(path);

        var result = new SpecRunner(engine).RunFile(path);

        output.WriteLine($"{result.Summary} in {result.Elapsed.TotalSeconds:0.00} s");
        foreach (var (type, stats) in result.ByType)
            output.WriteLine($"  {type}: {stats.Passed} passed, {stats.Failed} failed, {stats.Skipped} skipped");
        foreach (var note in result.Notes) output.WriteLine($"  note: {note}");
        // Scripts made only of text-format assert_malformed (token, utf8-invalid-encoding) are all skipped.
        Assert.True(result.Passed + result.Failed + result.Skipped > 0, $"{name}: the script has no commands");
        if (result.Failed > 0) Assert.Fail(FailureReport(result));
    }

    /// <summary>All 15 assert_exhaustion cases of the corpus trap with CallStackExhausted, and the process lives on.</summary>
    /// <remarks>
    /// Runs the console runner in a child process: a real stack overflow cannot be caught in .NET and
    /// would take down the test host, so here it shows up as this test failing with the child's exit status.
    /// </remarks>
    [Fact]
    public void CallStackExhaustion_AllCasesTrapAndTheProcessSurvives()
    {
        var corpus = SpecCorpus.Shared;
        var scripts = corpus.Files
            .Select(SpecScript.Load)
            .Where(s => s.Commands.Any(c => c.Type == "assert_exhaustion"))
            .ToList();
        int expected = scripts.Sum(s => s.Commands.Count(c => c.Type == "assert_exhaustion"));
        Assert.Equal(15, expected);

        var runnerDll = Path.Combine(AppContext.BaseDirectory, "AsyncGrader.Wasm.Spec.dll");
        Assert.True(File.Exists(runnerDll), $"{runnerDll} is missing (the test project references the runner project)");

        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "exec", runnerDll, corpus.Root, "--verbose", "--only", "assert_exhaustion" }) psi.ArgumentList.Add(a);
        foreach (var s in scripts) { psi.ArgumentList.Add("--filter"); psi.ArgumentList.Add(s.Name); }

        using var process = Process.Start(psi)!;
        var stderrTask = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        bool exited = process.WaitForExit(TimeSpan.FromMinutes(5));
        if (!exited) process.Kill(entireProcessTree: true);
        var stderr = stderrTask.Result;
        output.WriteLine(stdout);
        if (stderr.Length > 0) output.WriteLine("stderr: " + stderr);

        Assert.True(exited, "the runner did not finish within 5 minutes");
        var line = stdout.Split('\n').Select(l => l.TrimEnd()).FirstOrDefault(l => l.StartsWith("#   assert_exhaustion:", StringComparison.Ordinal));
        Assert.True(line is not null,
            $"the runner died before reporting (exit code {process.ExitCode}); a stack overflow kills the process.\nstdout tail:\n{Tail(stdout)}\nstderr:\n{Tail(stderr)}");
        Assert.Equal($"#   assert_exhaustion: {expected} passed, 0 failed, 0 skipped", line);
    }

    /// <summary>The harness parses every command of every script: counts agree with the corpus's COUNTS.tsv. Needs no engine.</summary>
    [Fact]
    public void Corpus_ParsedCommandCountsMatchCountsTsv()
    {
        var corpus = SpecCorpus.Shared;
        Assert.Equal(146, corpus.Files.Count);
        var tsv = corpus.CountsFile;
        Assert.NotNull(tsv);
        var problems = SpecCounts.Compare(corpus, tsv, out var totals);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.Equal(1077, totals["assert_malformed(text)"]);
        Assert.Equal(15, totals["assert_exhaustion"]);
        Assert.Equal(45634, totals["assert_return"]);
    }

    private static string FailureReport(FileResult result)
    {
        const int Max = 40;
        var sb = new StringBuilder();
        sb.AppendLine(result.Summary);
        foreach (var f in result.Failures.Take(Max)) sb.AppendLine($"  line {f.Line}: {f.CommandType}: {f.Message}");
        if (result.Failures.Count > Max) sb.AppendLine($"  ... and {result.Failures.Count - Max} more");
        return sb.ToString();
    }

    private static string Tail(string s, int lines = 30) => string.Join("\n", s.Split('\n').TakeLast(lines));

    private static string Describe()
    {
        try { return SpecCorpus.DefaultPath(); }
        catch (Exception e) { return e.Message; }
    }
}

/// <summary>Spec tests run one at a time: they are CPU-bound and share one engine.</summary>
[CollectionDefinition(Name)]
public sealed class SpecCollection
{
    public const string Name = "Wasm spec suite";
}
