using System.Text.Json;
using AsyncGrader.Contracts;
using AsyncGrader.Data;
using AsyncGrader.Data.Operations;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AsyncGrader.Worker;

/// <summary>Configuration section "AsyncGrader:Batch".</summary>
public sealed class BatchOptions
{
    public const string Section = "AsyncGrader:Batch";

    /// <summary>Queue of batch children (GradeRequested), separate from the live queue.</summary>
    public string QueueName { get; set; } = "grade-requests-batch";
    /// <summary>Queue of RegradeCourse commands.</summary>
    public string CommandQueueName { get; set; } = "batch-commands";
    /// <summary>Batch children in flight in this worker (0 = 2 × AsyncGrader:Concurrency). Their
    /// runs share the worker's sandbox slots, and a freed slot goes to a waiting live job first.</summary>
    public int Concurrency { get; set; }
    /// <summary>How often running batches are counted (and dispatched batches checked).</summary>
    public int MonitorPollMs { get; set; } = 500;
    /// <summary>At most one BatchProgress per batch per this interval.</summary>
    public int ProgressIntervalMs { get; set; } = 1_000;
    /// <summary>Children sent per dispatcher transaction.</summary>
    public int DispatchChunk { get; set; } = 500;
}

/// <summary>Wakes the dispatcher when a batch was created.</summary>
public sealed class BatchSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);
    public void Notify() { try { if (_signal.CurrentCount == 0) _signal.Release(); } catch (SemaphoreFullException) { } }
    public Task WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);
}

public static class BatchRegradeHosting
{
    public static BatchOptions ReadBatchOptions(IConfiguration configuration) =>
        configuration.GetSection(BatchOptions.Section).Get<BatchOptions>() ?? new BatchOptions();

    /// <summary>Services of the batch feature, the operator API and the dashboard.</summary>
    public static IServiceCollection AddBatchRegrade(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(ReadBatchOptions(configuration));
        services.AddSingleton<BatchSignal>();
        services.AddSingleton(OperatorAuth.Read(configuration));
        services.AddHostedService<BatchDispatcher>();
        services.AddHostedService<BatchMonitor>();
        return services;
    }

    public static void AddBatchRegradeConsumers(this IBusRegistrationConfigurator x)
    {
        x.AddConsumer<BatchGradeConsumer>();
        x.AddConsumer<RegradeCourseConsumer>();
    }

    /// <summary>The batch children's queue (its own small concurrency) and the command queue.</summary>
    public static void ConfigureBatchEndpoints(this IRabbitMqBusFactoryConfigurator cfg, IBusRegistrationContext context, GraderOptions options)
    {
        var batch = context.GetRequiredService<BatchOptions>();
        int inFlight = batch.Concurrency > 0 ? batch.Concurrency : 2 * options.EffectiveConcurrency;
        cfg.ReceiveEndpoint(batch.QueueName, e =>
        {
            e.PrefetchCount = inFlight + 1;
            e.ConcurrentMessageLimit = inFlight;
            e.PublishFaults = false;
            e.UseMessageRetry(r =>
            {
                r.Exponential(options.RetryLimit, TimeSpan.FromMilliseconds(options.RetryMinMs),
                    TimeSpan.FromMilliseconds(options.RetryMaxMs), TimeSpan.FromMilliseconds(options.RetryMinMs));
                r.Ignore<JobRejectedException>();
            });
            e.ConfigureConsumer<BatchGradeConsumer>(context);
        });
        cfg.ReceiveEndpoint(batch.CommandQueueName, e =>
        {
            e.PrefetchCount = 2;
            e.ConcurrentMessageLimit = 1;
            e.PublishFaults = false;
            e.UseMessageRetry(r => { r.Interval(5, TimeSpan.FromSeconds(1)); r.Ignore<ArgumentException>(); });
            e.ConfigureConsumer<RegradeCourseConsumer>(context);
        });
    }
}

/// <summary>
/// Consumes batch children from the batch queue and grades them with the live path's
/// <see cref="JobRunner"/> (same claim, sandbox, outbox), as batch children: a child already final
/// (redelivery, re-dispatch after a crash) is acknowledged without running or publishing again; a
/// child of a cancelled batch is marked "cancelled" by its claim and never runs; its sandbox run
/// waits behind live jobs for a slot. An invalid child (e.g. an unknown replacement runtime) is
/// marked "rejected".
/// </summary>
public sealed class BatchGradeConsumer(
    GradeRequestedConsumer live,
    JobRunner runner,
    JobValidator validator,
    IDbContextFactory<GraderDbContext> dbs,
    GraderMetrics metrics,
    ILogger<BatchGradeConsumer> logger) : IConsumer<GradeRequested>
{
    public async Task Consume(ConsumeContext<GradeRequested> context)
    {
        var receivedAt = DateTimeOffset.UtcNow;
        ValidatedJob job;
        try
        {
            job = validator.Validate(context.Message, context.ReceiveContext.Body.Length ?? 0);
        }
        catch (JobRejectedException rejected)
        {
            if (!await RejectChildAsync(context, rejected)) await live.Consume(context); // not a known child: refused like a live message
            return;
        }
        await runner.RunAsync(context, job, receivedAt, batchChild: true);
    }

    /// <summary>Marks a known, unfinished child rejected (or cancelled, if its batch is); false when the job id has no row.</summary>
    private async Task<bool> RejectChildAsync(ConsumeContext<GradeRequested> context, JobRejectedException rejected)
    {
        var jobId = context.Message.JobId;
        if (!JobValidator.IsUsableJobId(jobId)) return false;
        await using var db = await dbs.CreateDbContextAsync(context.CancellationToken);
        var state = await db.Jobs.AsNoTracking().Where(j => j.JobId == jobId)
            .Select(j => new { j.Id, j.Status, BatchStatus = j.Batch == null ? null : j.Batch.Status })
            .SingleOrDefaultAsync(context.CancellationToken);
        if (state is null) return false;
        if (JobStore.IsFinal(state.Status)) return true;
        var now = DateTimeOffset.UtcNow;
        if (state.Status == GradeStatus.Queued && state.BatchStatus is BatchModel.Cancelling or BatchModel.Cancelled)
        {
            await db.Database.ExecuteSqlAsync(
                $"UPDATE jobs SET status = 'cancelled', completed_at = {now}, updated_at = {now} WHERE id = {state.Id} AND status = 'queued'",
                context.CancellationToken);
            return true;
        }
        logger.LogWarning("Batch child {JobId} rejected: {Reason}", jobId, rejected.Reason);
        await db.Database.ExecuteSqlAsync(
            $"UPDATE jobs SET status = 'rejected', error = {rejected.Reason}, completed_at = {now}, updated_at = {now} WHERE id = {state.Id} AND status IN ('queued', 'running')",
            context.CancellationToken);
        metrics.JobRejected();
        return true;
    }
}

/// <summary>Starts a batch from a RegradeCourse command (queue batch-commands).</summary>
public sealed class RegradeCourseConsumer(IDbContextFactory<GraderDbContext> dbs, BatchSignal signal, BatchOptions batchOptions, ILogger<RegradeCourseConsumer> logger) : IConsumer<RegradeCourse>
{
    public async Task Consume(ConsumeContext<RegradeCourse> context)
    {
        var command = context.Message.BatchId is null && context.MessageId is { } mid
            ? context.Message with { BatchId = mid } // redelivery of the same message starts the same batch
            : context.Message;
        try
        {
            await using var db = await dbs.CreateDbContextAsync(context.CancellationToken);
            var batch = await BatchStore.CreateAsync(db, command, DateTimeOffset.UtcNow, batchOptions.QueueName, context.CancellationToken);
            logger.LogInformation("Batch {BatchId}: regrade of {Course}, {Total} children", batch.Id, batch.CourseId, batch.TotalJobs);
            signal.Notify();
        }
        catch (ArgumentException e)
        {
            logger.LogWarning("RegradeCourse refused: {Message}", e.Message);
            throw;
        }
    }
}

/// <summary>
/// Sends the children of running batches to the batch queue, a chunk per transaction, advancing
/// batches.dispatched with each chunk. A crash between send and commit re-sends that chunk; the
/// children's deterministic job ids make the duplicates harmless (see BatchGradeConsumer).
/// </summary>
public sealed class BatchDispatcher(
    IDbContextFactory<GraderDbContext> dbs,
    ISendEndpointProvider send,
    BatchOptions batchOptions,
    BatchSignal signal,
    ILogger<BatchDispatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var endpoint = await send.GetSendEndpoint(new Uri($"queue:{batchOptions.QueueName}"));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await DispatchChunkAsync(endpoint, stoppingToken)) { }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { break; }
            catch (Exception ex)
            {
                logger.LogWarning("Batch dispatcher: {Message}", ex.Message);
                try { await Task.Delay(1000, stoppingToken); } catch (OperationCanceledException) { break; }
            }
            try { await signal.WaitAsync(TimeSpan.FromMilliseconds(batchOptions.MonitorPollMs), stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
    }

    /// <summary>Sends one chunk of one batch; false when nothing is left to send.</summary>
    public async Task<bool> DispatchChunkAsync(ISendEndpoint endpoint, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var batch = await db.Batches.FromSql(
            $"SELECT * FROM batches WHERE status = 'running' AND dispatched < total_jobs AND queue_name = {batchOptions.QueueName} ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED")
            .SingleOrDefaultAsync(ct);
        if (batch is null) return false;
        var children = await db.BatchItems.AsNoTracking().Where(i => i.BatchId == batch.Id).OrderBy(i => i.ChildId)
            .Skip(batch.Dispatched).Take(batchOptions.DispatchChunk)
            .Join(db.Jobs.AsNoTracking(), i => i.ChildId, j => j.Id, (i, j) => j)
            .ToListAsync(ct);
        var ids = children.Select(c => c.Id).ToList();
        var files = (await db.JobFiles.AsNoTracking().Where(f => ids.Contains(f.JobId)).ToListAsync(ct)).ToLookup(f => f.JobId);
        var requests = new JobRequests(db);
        var sends = new List<Task>(children.Count);
        foreach (var child in children)
        {
            if (child.Status != GradeStatus.Queued) continue;
            var message = await requests.BuildAsync(child, files[child.Id].ToList(), ct);
            sends.Add(endpoint.Send(message, ct));
        }
        await Task.WhenAll(sends);
        batch.Dispatched = children.Count == 0 ? batch.TotalJobs : batch.Dispatched + children.Count;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return true;
    }
}

/// <summary>
/// Counts running batches from their children's rows, publishes BatchProgress (at most once per
/// ProgressIntervalMs per batch) and, when nothing is queued or running, finishes the batch and
/// publishes BatchCompleted (recorded in completed_published_at, re-tried until published).
/// Batch rows are locked with SKIP LOCKED, so several workers share the work.
/// </summary>
public sealed class BatchMonitor(
    IDbContextFactory<GraderDbContext> dbs,
    IBus bus,
    BatchOptions batchOptions,
    ILogger<BatchMonitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using (var db = await dbs.CreateDbContextAsync(stoppingToken))
                {
                    var ids = await db.Batches.AsNoTracking()
                        .Where(b => b.Status == BatchModel.Running || b.Status == BatchModel.Cancelling || b.CompletedPublishedAt == null)
                        .Select(b => b.Id).ToListAsync(stoppingToken);
                    foreach (var id in ids) await TickAsync(id, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { break; }
            catch (Exception ex) { logger.LogWarning("Batch monitor: {Message}", ex.Message); }
            try { await Task.Delay(batchOptions.MonitorPollMs, stoppingToken); } catch (OperationCanceledException) { break; }
        }
    }

    public async Task TickAsync(Guid id, CancellationToken ct)
    {
        // Two transactions: the batch's final status is committed before BatchCompleted goes out,
        // so whoever receives the event and asks for the batch sees it finished.
        if (await UpdateAsync(id, ct)) await PublishCompletedAsync(id, ct);
    }

    /// <summary>Recounts a running batch and finishes it when nothing is left; true when it is final.</summary>
    private async Task<bool> UpdateAsync(Guid id, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var batch = await db.Batches.FromSql($"SELECT * FROM batches WHERE id = {id} FOR UPDATE SKIP LOCKED").SingleOrDefaultAsync(ct);
        if (batch is null) return false;
        var now = DateTimeOffset.UtcNow;
        if (!BatchModel.IsFinal(batch.Status))
        {
            if (batch.Status == BatchModel.Cancelling) // children queued since the cancel (none expected) are cancelled too
                await db.Database.ExecuteSqlAsync(
                    $"UPDATE jobs SET status = 'cancelled', completed_at = {now}, updated_at = {now} WHERE batch_id = {id} AND status = 'queued'", ct);
            var counts = await BatchStore.CountAsync(db, id, ct);
            bool changed = BatchStore.Apply(batch, counts);
            bool done = counts.Queued == 0 && counts.Running == 0 && (batch.Dispatched >= batch.TotalJobs || batch.Status == BatchModel.Cancelling);
            if (done)
            {
                batch.Status = batch.Status == BatchModel.Cancelling ? BatchModel.Cancelled : BatchModel.Completed;
                batch.CompletedAt = now;
            }
            else if (changed && (batch.ProgressPublishedAt is null || now - batch.ProgressPublishedAt >= TimeSpan.FromMilliseconds(batchOptions.ProgressIntervalMs)))
            {
                try
                {
                    await bus.Publish(BatchStore.ToProgress(batch, now), ct);
                    batch.ProgressPublishedAt = now;
                }
                catch (Exception ex) { logger.LogInformation("BatchProgress of {BatchId} not published: {Message}", id, ex.Message); }
            }
            await db.SaveChangesAsync(ct);
        }
        await tx.CommitAsync(ct);
        return BatchModel.IsFinal(batch.Status) && batch.CompletedPublishedAt is null;
    }

    /// <summary>Publishes BatchCompleted of a finished batch once (the row lock keeps other workers out; retried by the next tick if it fails).</summary>
    private async Task PublishCompletedAsync(Guid id, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var batch = await db.Batches.FromSql($"SELECT * FROM batches WHERE id = {id} FOR UPDATE SKIP LOCKED").SingleOrDefaultAsync(ct);
        if (batch is null || !BatchModel.IsFinal(batch.Status) || batch.CompletedPublishedAt is not null) return;
        await bus.Publish(BatchStore.ToCompleted(batch), ct);
        batch.CompletedPublishedAt = DateTimeOffset.UtcNow;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        logger.LogInformation("Batch {BatchId} {Status}: {Succeeded} succeeded, {Errored} errored, {Cancelled} cancelled, scores up {Up} down {Down}",
            id, batch.Status, batch.Succeeded, batch.Errored, batch.Cancelled, batch.ScoreUp, batch.ScoreDown);
    }
}
