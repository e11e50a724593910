using AsyncGrader.Contracts;
using AsyncGrader.Data;
using AsyncGrader.Sandbox;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AsyncGrader.Worker;

/// <summary>All of the worker's wiring, in the MassTransit samples' style: one extension method.</summary>
public static class WorkerHosting
{
    /// <summary>
    /// Reads <see cref="GraderOptions"/> (section "AsyncGrader"; ASYNCGRADER_RABBITMQ and
    /// ASYNCGRADER_POSTGRES override the connection settings) and registers the data layer, the
    /// MassTransit bus with the grade-requests consumer, the outbox publisher, health checks and
    /// metrics. An <see cref="ISandbox"/> must be registered as well (AddWasmSandbox).
    /// </summary>
    public static GraderOptions AddAsyncGraderWorker(this IServiceCollection services, IConfiguration configuration)
    {
        var options = ReadOptions(configuration);
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddGraderData(options.Postgres);
        services.AddSingleton(sp => new JobStore(sp.GetRequiredService<IDbContextFactory<GraderDbContext>>(), sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<TimeProvider>())
        {
            LeaseGrace = TimeSpan.FromMilliseconds(options.LeaseGraceMs),
        });
        services.AddSingleton<JobValidator>();
        services.AddSingleton<InFlightJobs>();
        services.AddSingleton<WorkerIdentity>();
        services.AddSingleton(new SandboxSlots(options.EffectiveConcurrency));
        services.AddSingleton<JobRunner>();
        services.AddSingleton<OutboxMarks>();
        services.AddSingleton<GraderMetrics>();
        services.AddSingleton<DeadLetterObserver>();

        // Hosted services start in registration order: check the sandbox and migrate before the bus.
        services.AddHostedService<StartupChecks>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxMarks>()); // stops after the bus: flushes its marks

        services.AddMassTransit(x =>
        {
            x.AddConsumer<GradeRequestedConsumer>();
            x.AddBatchRegradeConsumers(); // batch regrades: BatchRegrade.cs
            x.UsingRabbitMq((context, cfg) =>
            {
                var uri = new Uri(options.RabbitMq);
                var userInfo = Uri.UnescapeDataString(uri.UserInfo).Split(':', 2);
                var vhost = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
                cfg.Host(uri.Host, (ushort)(uri.IsDefaultPort || uri.Port <= 0 ? 5672 : uri.Port), vhost.Length == 0 ? "/" : vhost, h =>
                {
                    if (userInfo[0].Length > 0) h.Username(userInfo[0]);
                    if (userInfo.Length > 1) h.Password(userInfo[1]);
                });
                // Plain JSON both ways, so clients need no MassTransit envelope.
                cfg.UseRawJsonSerializer(RawSerializerOptions.AnyMessageType | RawSerializerOptions.AddTransportHeaders, isDefault: true);
                cfg.UseRawJsonDeserializer(RawSerializerOptions.AnyMessageType | RawSerializerOptions.AddTransportHeaders, isDefault: true);
                cfg.ConnectReceiveObserver(context.GetRequiredService<DeadLetterObserver>());
                cfg.ConfigureBatchEndpoints(context, options); // the lower-priority batch queue: BatchRegrade.cs

                cfg.ReceiveEndpoint(options.QueueName, e =>
                {
                    e.PrefetchCount = options.EffectivePrefetch;
                    e.ConcurrentMessageLimit = options.EffectiveMessageConcurrency; // runs are bounded by SandboxSlots
                    e.PublishFaults = false;
                    if (options.MaxPriority > 0) e.SetQueueArgument("x-max-priority", options.MaxPriority);
                    e.UseMessageRetry(r =>
                    {
                        r.Exponential(options.RetryLimit, TimeSpan.FromMilliseconds(options.RetryMinMs),
                            TimeSpan.FromMilliseconds(options.RetryMaxMs), TimeSpan.FromMilliseconds(options.RetryMinMs));
                        r.Ignore<JobRejectedException>();
                    });
                    e.ConfigureConsumer<GradeRequestedConsumer>(context);
                });
            });
        });
        services.Configure<MassTransitHostOptions>(o =>
        {
            o.WaitUntilStarted = true;
            o.StartTimeout = TimeSpan.FromSeconds(60);
            o.StopTimeout = TimeSpan.FromMilliseconds(options.ShutdownTimeoutMs);
        });
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(options.ShutdownTimeoutMs + 10_000));

        services.AddHostedService<OutboxPublisher>();
        services.AddHostedService<QueueDepthSampler>();
        services.AddBatchRegrade(configuration); // batch dispatcher/monitor, operator API + dashboard auth

        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: ["ready"])
            .AddCheck<RuntimesHealthCheck>("runtimes", tags: ["ready"]);
        return options;
    }

    public static GraderOptions ReadOptions(IConfiguration configuration)
    {
        var options = configuration.GetSection(GraderOptions.Section).Get<GraderOptions>() ?? new GraderOptions();
        var section = configuration.GetSection(GraderOptions.Section);
        if (section["RabbitMq"] is null && Environment.GetEnvironmentVariable("ASYNCGRADER_RABBITMQ") is { Length: > 0 } mq) options.RabbitMq = mq;
        if (section["Postgres"] is null && Environment.GetEnvironmentVariable("ASYNCGRADER_POSTGRES") is { Length: > 0 } pg) options.Postgres = pg;
        return options;
    }

    /// <summary>Applies pending migrations (the `migrate` command and MigrateOnStart).</summary>
    public static async Task MigrateAsync(IServiceProvider services, CancellationToken ct = default)
    {
        var dbs = services.GetRequiredService<IDbContextFactory<GraderDbContext>>();
        await using var db = await dbs.CreateDbContextAsync(ct);
        await db.Database.MigrateAsync(ct);
    }
}

/// <summary>Fails start-up early when no sandbox is registered or it has no runtimes; migrates when configured.</summary>
internal sealed class StartupChecks(IServiceProvider services, GraderOptions options, ILogger<StartupChecks> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var sandbox = services.GetService<ISandbox>()
            ?? throw new InvalidOperationException("No ISandbox is registered: call services.AddWasmSandbox(configuration).");
        logger.LogInformation("Runtimes: {Runtimes}", string.Join(", ", sandbox.Runtimes.Select(r => $"{r.Name} ({r.Sha256})")));
        logger.LogInformation("Queue {Queue}: {Slots} sandbox slots, {Messages} messages in flight, prefetch {Prefetch}",
            options.QueueName, options.EffectiveConcurrency, options.EffectiveMessageConcurrency, options.EffectivePrefetch);
        if (options.MigrateOnStart)
        {
            logger.LogInformation("Applying migrations (MigrateOnStart)");
            await WorkerHosting.MigrateAsync(services, cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
