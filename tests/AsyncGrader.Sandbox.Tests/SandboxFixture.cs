using AsyncGrader.Sandbox;

namespace AsyncGrader.Sandbox.Tests;

/// <summary>One sandbox per test run: runtimes are compiled, initialised and snapshotted once.</summary>
public sealed class SandboxFixture
{
    public WasmSandbox Sandbox { get; } = new(new SandboxOptions());

    public bool Has(string runtime) => Sandbox.Registry.TryGetManifest(runtime, out _);

    /// <summary>Fails (never skips) when a runtime the tests need has not been built.</summary>
    public void Require(string runtime)
    {
        if (!Has(runtime))
            Assert.Fail($"runtime `{runtime}` is not built: run runtimes/{runtime}/build.sh (scripts/build-runtimes.sh builds all)");
    }

    public Task<SandboxOutcome> Run(string runtime, string code, string globals = "{}", string? submission = null, ulong? seed = null,
        string options = "{}", JobLimits? limits = null, IReadOnlyDictionary<string, byte[]>? files = null)
    {
        Require(runtime);
        return Sandbox.RunAsync(new SandboxJob
        {
            Runtime = runtime,
            Code = code,
            GlobalsJson = globals,
            Submission = submission,
            Seed = seed,
            OptionsJson = options,
            Limits = limits ?? new JobLimits(),
            Files = files ?? new Dictionary<string, byte[]>(),
        });
    }
}

/// <summary>Two runs of the same job must agree on everything a job's author or the service sees.</summary>
public static class SameOutcome
{
    public static void Assert(SandboxOutcome expected, SandboxOutcome actual)
    {
        Xunit.Assert.Equal(expected.Status, actual.Status);
        Xunit.Assert.Equal(expected.GlobalsJson, actual.GlobalsJson);
        Xunit.Assert.Equal(expected.Stdout, actual.Stdout);
        Xunit.Assert.Equal(expected.Stderr, actual.Stderr);
        Xunit.Assert.Equal(expected.Error, actual.Error);
        Xunit.Assert.Equal(expected.FuelUsed, actual.FuelUsed);
    }
}

[CollectionDefinition("sandbox")]
public sealed class SandboxCollection : ICollectionFixture<SandboxFixture>;
