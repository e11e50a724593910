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
        // A worker runs the same runtimes all day: compile guest code fully optimised on first call
        // rather than tiering up (the tiering JIT's background work competes with jobs for the
        // cores for minutes after start; see docs/BENCHMARKS.md, "Batch").
        builder.Services.AddSingleton(new AsyncGrader.Wasm.Engine(new AsyncGrader.Wasm.EngineConfig
        {
            OptimizeEagerly = builder.Configuration.GetValue("Sandbox:OptimizeEagerly", true),
        }));
        builder.Services.AddWasmSandbox(o => builder.Configuration.GetSection("Sandbox").Bind(o));
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
        logger.LogInformation("Runtimes warmed up in {Ms} ms", sw.ElapsedMilliseconds);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
