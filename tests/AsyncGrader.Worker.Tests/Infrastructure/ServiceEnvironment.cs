using System.Diagnostics;
using AsyncGrader.Data;
using Microsoft.EntityFrameworkCore;

namespace AsyncGrader.Worker.Tests.Infrastructure;

/// <summary>
/// Where the real broker and database are, and how to take the database down for outage tests.
/// The seam is this small on purpose: a Testcontainers-backed implementation can replace
/// <see cref="LocalServices"/> where those packages restore.
/// </summary>
public interface IServiceEndpoints
{
    string RabbitMq { get; }
    string Postgres { get; }
    Task StopDatabaseAsync();
    Task StartDatabaseAsync();
}

/// <summary>
/// Services started by scripts/services.sh: settings from ASYNCGRADER_RABBITMQ / ASYNCGRADER_POSTGRES,
/// or from the .cache/services.env file it writes; PostgreSQL is stopped/started with pg_ctlcluster.
/// </summary>
public sealed class LocalServices : IServiceEndpoints
{
    public string RabbitMq { get; }
    public string Postgres { get; }
    private readonly string _cluster;

    public LocalServices()
    {
        var file = FindEnvFile();
        var values = file is null ? new Dictionary<string, string>() : ParseEnvFile(file);
        RabbitMq = Get("ASYNCGRADER_RABBITMQ", values);
        Postgres = Get("ASYNCGRADER_POSTGRES", values);
        _cluster = Environment.GetEnvironmentVariable("ASYNCGRADER_PG_CLUSTER") ?? values.GetValueOrDefault("ASYNCGRADER_PG_CLUSTER") ?? "15/main";
    }

    private static string Get(string name, Dictionary<string, string> file) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v
        : file.TryGetValue(name, out var f) ? f
        : throw new InvalidOperationException($"{name} is not set and no .cache/services.env was found: run scripts/services.sh first.");

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "AsyncGrader.sln"))) return dir.FullName;
        throw new InvalidOperationException("repository root not found");
    }

    private static string? FindEnvFile()
    {
        var path = Path.Combine(RepoRoot(), ".cache", "services.env");
        return File.Exists(path) ? path : null;
    }

    private static Dictionary<string, string> ParseEnvFile(string path)
    {
        var result = new Dictionary<string, string>();
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.StartsWith("export ")) line = line[7..];
            int eq = line.IndexOf('=');
            if (eq <= 0) continue;
            result[line[..eq]] = line[(eq + 1)..].Trim('\'', '"');
        }
        return result;
    }

    public Task StopDatabaseAsync() => PgCtl("stop", "-m", "fast");
    public async Task StartDatabaseAsync()
    {
        await PgCtl("start");
        // The tests' own pooled connections died with the server; without this each would fail
        // once when next used (57P01). The worker under test copes with its own through retries.
        Npgsql.NpgsqlConnection.ClearAllPools();
    }

    private async Task PgCtl(string action, params string[] extra)
    {
        var parts = _cluster.Split('/');
        var psi = new ProcessStartInfo("pg_ctlcluster") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(parts[0]);
        psi.ArgumentList.Add(parts[1]);
        psi.ArgumentList.Add(action);
        foreach (var e in extra) psi.ArgumentList.Add(e);
        psi.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") + ":/usr/sbin:/sbin:/usr/bin";
        using var p = Process.Start(psi)!;
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"pg_ctlcluster {action} failed: {await p.StandardError.ReadToEndAsync()}");
    }
}

/// <summary>Shared by every test: the endpoints, with the schema migrated once.</summary>
public sealed class ServicesFixture : IAsyncLifetime
{
    public IServiceEndpoints Endpoints { get; } = new LocalServices();

    public async Task InitializeAsync()
    {
        var options = new DbContextOptionsBuilder<GraderDbContext>();
        options.UseGraderPostgres(Endpoints.Postgres);
        await using var db = new GraderDbContext(options.Options);
        await db.Database.MigrateAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public GraderDbContext CreateDb()
    {
        var options = new DbContextOptionsBuilder<GraderDbContext>();
        options.UseGraderPostgres(Endpoints.Postgres);
        return new GraderDbContext(options.Options);
    }
}

[CollectionDefinition(Name)]
public sealed class ServicesCollection : ICollectionFixture<ServicesFixture>
{
    public const string Name = "services";
}
