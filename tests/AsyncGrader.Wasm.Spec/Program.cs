using System.Diagnostics;
using System.Globalization;
using AsyncGrader.Wasm;
using AsyncGrader.Wasm.Spec;

// Spec-suite conformance runner. See docs/SPEC-TESTS.md.
//   dotnet run --project tests/AsyncGrader.Wasm.Spec -c Release -- [corpus.tar.gz | dir] [--filter name]... [--verbose]

const string Usage = """
    usage: AsyncGrader.Wasm.Spec [corpus.tar.gz | extracted-dir] [options]
      --filter NAME    run only script NAME (exact name, e.g. i32), or every script whose name contains NAME; repeatable
      --verbose, -v    list each failure (line, command, expected vs actual) and per-file time
      --timeout SEC    wall-clock limit per command (default 20); the store is interrupted after it
      --jobs N         run N scripts in parallel (default 1)
      --only TYPE      count only assertions of TYPE (e.g. assert_exhaustion); others are skipped; repeatable
      --print          let spectest.print* write to stdout
      --no-fuel        an engine compiled without fuel (its own calling convention); by default fuel is
                       compiled in and every store is metered with a large budget
      --dry-run        parse every script, check command counts against COUNTS.tsv; no engine
    default corpus: $ASYNCGRADER_SPEC_CORPUS, else ../shared/wasm-spec/core-json.tar.gz next to the repository root
    """;

string? corpusPath = null;
var filters = new List<string>();
var only = new HashSet<string>(StringComparer.Ordinal);
bool verbose = false, dryRun = false, print = false, fuel = true;
double timeoutSeconds = 20;
int jobs = 1;

try
{
    for (int i = 0; i < args.Length; i++)
    {
        string a = args[i];
        string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{a} needs a value");
        switch (a)
        {
            case "--filter" or "-f": filters.AddRange(Next().Split(',', StringSplitOptions.RemoveEmptyEntries)); break;
            case "--verbose" or "-v": verbose = true; break;
            case "--timeout": timeoutSeconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
            case "--jobs" or "-j": jobs = Math.Max(1, int.Parse(Next(), CultureInfo.InvariantCulture)); break;
            case "--only": only.Add(Next()); break;
            case "--print": print = true; break;
            case "--no-fuel": fuel = false; break;
            case "--dry-run": dryRun = true; break;
            case "--help" or "-h": Console.WriteLine(Usage); return 0;
            default:
                if (a.StartsWith('-')) throw new ArgumentException($"unknown option {a}");
                if (corpusPath is not null) throw new ArgumentException("more than one corpus given");
                corpusPath = a;
                break;
        }
    }
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(Usage);
    return 2;
}

SpecCorpus corpus;
try
{
    corpus = corpusPath is null ? SpecCorpus.OpenDefault() : SpecCorpus.Open(corpusPath);
}
catch (Exception e)
{
    Console.Error.WriteLine($"cannot open the spec corpus: {e.Message}");
    return 2;
}

var files = corpus.Select(filters);
if (files.Count == 0)
{
    Console.Error.WriteLine($"no scripts match {string.Join(", ", filters)} in {corpus.Root}");
    return 2;
}

if (dryRun) return DryRun(corpus, files);

var engine = new Engine(new EngineConfig { ConsumeFuel = fuel });
var runner = new SpecRunner(engine, new SpecRunnerOptions
{
    CommandTimeout = TimeSpan.FromSeconds(timeoutSeconds),
    PrintOutput = print ? Console.Out : null,
    OnlyAssertions = only.Count > 0 ? only : null,
});

var total = Stopwatch.StartNew();
var results = new FileResult?[files.Count];
int printed = 0;
var gate = new object();

void Report(int index, FileResult result)
{
    lock (gate)
    {
        results[index] = result;
        while (printed < results.Length && results[printed] is { } r)
        {
            Console.WriteLine(r.Summary + (verbose ? $"  ({r.Elapsed.TotalSeconds:0.00} s)" : ""));
            if (verbose)
            {
                foreach (var f in r.Failures)
                    Console.WriteLine($"    line {f.Line}: {f.CommandType}: {f.Message}");
                foreach (var n in r.Notes)
                    Console.WriteLine($"    note: {n}");
            }
            printed++;
        }
    }
}

FileResult RunGuarded(string file)
{
    try
    {
        return runner.RunFile(file);
    }
    catch (Exception e)
    {
        // RunFile guards each command; this is a harness bug, still reported as a failure of the file.
        return SpecRunner.Crashed(Path.GetFileName(file), e);
    }
}

if (jobs == 1)
    for (int i = 0; i < files.Count; i++) Report(i, RunGuarded(files[i]));
else
    Parallel.For(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = jobs }, i => Report(i, RunGuarded(files[i])));

int passed = results.Sum(r => r!.Passed), failed = results.Sum(r => r!.Failed), skipped = results.Sum(r => r!.Skipped);
if (verbose)
{
    Console.WriteLine($"# {files.Count} scripts in {total.Elapsed.TotalSeconds:0.0} s; by command type:");
    foreach (var group in results.SelectMany(r => r!.ByType).GroupBy(kv => kv.Key).OrderBy(g => g.Key, StringComparer.Ordinal))
        Console.WriteLine($"#   {group.Key}: {group.Sum(g => g.Value.Passed)} passed, {group.Sum(g => g.Value.Failed)} failed, {group.Sum(g => g.Value.Skipped)} skipped");
}
Console.WriteLine($"{passed} passed, {failed} failed, {skipped} skipped");
return failed == 0 ? 0 : 1;

static int DryRun(SpecCorpus corpus, IReadOnlyList<string> files)
{
    var totals = SpecCounts.Columns.ToDictionary(c => c, _ => 0, StringComparer.Ordinal);
    foreach (var file in files)
    {
        var counts = SpecCounts.Count(SpecScript.Load(file));
        foreach (var (k, v) in counts) totals[k] += v;
    }
    Console.WriteLine($"{files.Count} scripts in {corpus.Root}");
    foreach (var column in SpecCounts.Columns) Console.WriteLine($"  {column}: {totals[column]}");
    if (files.Count != corpus.Files.Count) return 0;
    if (corpus.CountsFile is not { } tsv)
    {
        Console.WriteLine("no COUNTS.tsv to compare with");
        return 0;
    }
    var problems = SpecCounts.Compare(corpus, tsv, out _);
    foreach (var p in problems) Console.WriteLine($"  MISMATCH {p}");
    Console.WriteLine(problems.Count == 0 ? $"all counts agree with {tsv}" : $"{problems.Count} difference(s) from {tsv}");
    return problems.Count == 0 ? 0 : 1;
}
