using AsyncGrader.Data;
using Microsoft.EntityFrameworkCore;
using AsyncGrader.Sandbox;

namespace AsyncGrader.Worker;

/// <summary>Builds the worker web application (used by Program and by the integration tests).</summary>
public static class WorkerApp
{
    /// <param name="registerSandbox">Registers the ISandbox (the real one: AddWasmSandbox).</param>
    /// <param name="configure">Extra configuration of the builder (tests: settings, URLs).</param>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder> registerSandbox, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        registerSandbox(builder);
        builder.Services.AddAsyncGraderWorker(builder.Configuration);
        var app = builder.Build();
        app.MapAsyncGraderEndpoints();
        return app;
    }

    /// <summary>Registers the real sandbox (WasmSandbox), configured from the "Sandbox" section
    /// (RuntimesDirectory defaults to $ASYNCGRADER_RUNTIMES or the repository's runtimes/).</summary>
    public static void RegisterWasmSandbox(WebApplicationBuilder builder)
    {
        // A worker runs the same runtimes all day: guest code from ahead-of-time images (built once
        // per runtime and engine build, then loaded in a fraction of a second), the rest compiled
        // fully optimised on first call rather than tiering up (docs/ENGINE.md, docs/BENCHMARKS.md).
        builder.Services.AddWasmSandbox(o =>
        {
            o.OptimizeEagerly = true;
            o.ImageCacheDirectory = SandboxOptions.DefaultImageCacheDirectory();
            builder.Configuration.GetSection("Sandbox").Bind(o);
            if (string.IsNullOrWhiteSpace(o.ImageCacheDirectory)) o.ImageCacheDirectory = null;
        });
        builder.Services.AddSingleton(sp => sp.GetRequiredService<SandboxOptions>().CreateEngine());
        // Compile, initialise and snapshot the runtimes before the bus starts taking jobs.
        if (builder.Configuration.GetValue("Sandbox:WarmUp", true))
            builder.Services.AddHostedService<SandboxWarmUp>();
    }

    /// <summary>`migrate`: applies the EF Core migrations and exits.</summary>
    public static async Task<int> MigrateAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);
        var options = WorkerHosting.ReadOptions(builder.Configuration);
        builder.Services.AddGraderData(options.Postgres);
        using var host = builder.Build();
        await WorkerHosting.MigrateAsync(host.Services);
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<GraderDbContext>>().CreateDbContextAsync();
        var applied = await db.Database.GetAppliedMigrationsAsync();
        Console.WriteLine($"database is up to date: {string.Join(", ", applied)}");
        return 0;
    }
}

/// <summary>Loads the runtimes at start-up (hosted services start in order: before the bus).</summary>
internal sealed class SandboxWarmUp(WasmSandbox sandbox, ILogger<SandboxWarmUp> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        await sandbox.WarmUpAsync();
        foreach (var manifest in sandbox.Registry.Manifests)
        {
            if (!sandbox.Registry.TryGetLoaded(manifest.Name, out var rt)) continue;
            if (rt!.ImageError is { } error)
                logger.LogWarning("Runtime {Runtime}: its image could not be built ({Error}); running it compiled in memory", manifest.Name, error);
            logger.LogInformation("Runtime {Runtime}: code {Source} in {CompileMs} ms{Built}, initialised in {InitMs} ms",
                manifest.Name, rt.Module.FromImage ? "loaded from its image" : "compiled in memory", (long)rt.CompileTime.TotalMilliseconds,
                rt.ImageBuildTime is { } b ? $" (image built in {(long)b.TotalMilliseconds} ms)" : "", (long)rt.InitTime.TotalMilliseconds);
        }
        if (sandbox.Engine.Config.CodeCacheDirectory is not null && sandbox.FindCrossgen2() is null)
            logger.LogWarning("No crossgen2 next to the worker: runtimes without an image run JIT-compiled code (slower compute)");
        logger.LogInformation("Runtimes warmed up in {Ms} ms", sw.ElapsedMilliseconds);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
