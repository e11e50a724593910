using AsyncGrader.Sandbox;

namespace AsyncGrader.Sandbox.Tests;

/// <summary>
/// The runtimes as the worker runs them: code from ahead-of-time images (built into the default
/// image directory on first use, as the worker does). Every job must give the same outcome, output
/// and fuel as the in-memory compiled runtime of the shared fixture.
/// </summary>
[Collection("sandbox")]
public sealed class RuntimeImageTests(SandboxFixture f)
{
    private static readonly Lazy<WasmSandbox> s_imaged = new(() =>
        new WasmSandbox(new SandboxOptions { ImageCacheDirectory = SandboxOptions.DefaultImageCacheDirectory(), OptimizeEagerly = true }));

    public static TheoryData<string, string, string> Jobs() => new()
    {
        { "python-3.11", "x = x + 1", """{"x": 41}""" },
        { "python-3.11", "import json, math, re, decimal, fractions\nr = [math.factorial(30) % 1000003, re.sub(r'\\d', '#', 'a1b22'), str(decimal.Decimal(1) / 7), str(fractions.Fraction(3, 9))]\nprint(json.dumps(r))", "{}" },
        { "python-3.11", "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\nr = fib(18)", "{}" },
        { "python-3.11", "def f(d):\n    return d['missing']\nf({})", "{}" },
        { "python-3.11", "def g(n):\n    return g(n + 1)\ng(0)", "{}" },
        { "javascript", "function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }\nr = fib(18); console.log(JSON.stringify([r, [3, 1, 2].sort()]));", "{}" },
        { "javascript", "null.x", "{}" },
    };

    [Theory]
    [MemberData(nameof(Jobs))]
    public async Task Image_runtimes_give_the_same_outcome_output_and_fuel(string runtime, string code, string globals)
    {
        f.Require(runtime);
        var imaged = s_imaged.Value;
        Assert.True(imaged.Registry.Get(runtime).Module.FromImage, $"{runtime} was not loaded from an image");
        Assert.False(f.Sandbox.Registry.Get(runtime).Module.FromImage);

        var job = new SandboxJob { Runtime = runtime, Code = code, GlobalsJson = globals };
        var expected = await f.Sandbox.RunAsync(job);
        var actual = await imaged.RunAsync(job);
        SameOutcome.Assert(expected, actual);
    }

    [Fact]
    public async Task A_runtime_whose_image_cannot_be_built_runs_compiled_in_memory()
    {
        f.Require("javascript");
        var dir = Path.Combine(Path.GetTempPath(), "asyncgrader-image-tests", Guid.NewGuid().ToString("N"));
        // A crossgen2 that fails: the load must report why and fall back, not fail the runtime.
        var sandbox = new WasmSandbox(new SandboxOptions { ImageCacheDirectory = dir, Crossgen2Path = "/bin/false" });
        var rt = sandbox.Registry.Get("javascript");
        Assert.False(rt.Module.FromImage);
        Assert.Contains("crossgen2 exited with 1", rt.ImageError);
        var o = await sandbox.RunAsync(new SandboxJob { Runtime = "javascript", Code = "r = 6 * 7", GlobalsJson = "{}" });
        Assert.Equal(JobStatus.Succeeded, o.Status);
        Assert.Contains("42", o.GlobalsJson);
        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }
}
