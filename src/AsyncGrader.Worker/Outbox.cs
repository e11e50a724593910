using System.Text.Json;
using AsyncGrader.Contracts;
using AsyncGrader.Data;
using MassTransit;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AsyncGrader.Worker;

/// <summary>
/// Marks outbox rows published after the consumer has published them itself, grouped: one UPDATE
/// for everything published since the last flush, off the job's path. A mark lost in a crash only
/// means the outbox publisher sends that completion again (completions are at-least-once,
/// deduplicated by job id). Registered before the bus so that it stops after it and flushes last.
/// </summary>
public sealed class OutboxMarks(NpgsqlDataSource data, ILogger<OutboxMarks> logger) : BackgroundService
{
    private readonly Channel<long> _published = Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleReader = true });

    public void Published(long outboxId) => _published.Writer.TryWrite(outboxId);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var ids = new List<long>();
        var backoff = TimeSpan.FromMilliseconds(200);
        try
        {
            while (await _published.Reader.WaitToReadAsync(stoppingToken))
            {
                while (ids.Count < 10_000 && _published.Reader.TryRead(out var id)) ids.Add(id);
                try
                {
                    await FlushAsync(ids, stoppingToken);
                    ids.Clear();
                    backoff = TimeSpan.FromMilliseconds(200);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning("Outbox marks: {Message}; retrying in {Backoff}", ex.Message, backoff);
                    await Task.Delay(backoff, stoppingToken);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        // Shutdown: the bus has stopped (it was registered after us); flush what it left.
        try
        {
            while (_published.Reader.TryRead(out var id)) ids.Add(id);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await FlushAsync(ids, cts.Token);
        }
        catch (Exception ex) { logger.LogInformation("Outbox marks not flushed on shutdown ({Count}): {Message}", ids.Count, ex.Message); }
    }

    private async Task FlushAsync(List<long> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return;
        await using var command = data.CreateCommand(
            "UPDATE outbox SET published_at = now(), publish_attempts = publish_attempts + 1 WHERE id = ANY($1) AND published_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray() });
        await command.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>
/// Publishes committed outbox rows (GradeCompleted) that nobody published: rows older than
/// AsyncGrader:OutboxGraceMs (the consumer publishes its own completion at once; this catches
/// broker faults and crashes). Oldest first, then marks them published. Rows are locked with SKIP
/// LOCKED so several workers share the work. A crash between publish and mark re-publishes:
/// completions are at-least-once, deduplicated by job id.
/// </summary>
public sealed class OutboxPublisher(
    IDbContextFactory<GraderDbContext> dbs,
    IBus bus,
    GraderOptions options,
    GraderMetrics metrics,
    ILogger<OutboxPublisher> logger) : BackgroundService
{
    public const int BatchSize = 100;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var poll = TimeSpan.FromMilliseconds(options.OutboxPollMs);
        var backoff = TimeSpan.Zero;
        var lastCount = DateTime.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                int published;
                do { published = await PublishBatchAsync(stoppingToken); } while (published == BatchSize);
                if (DateTime.UtcNow - lastCount > TimeSpan.FromSeconds(5))
                {
                    await using var db = await dbs.CreateDbContextAsync(stoppingToken);
                    metrics.OutboxPending = await db.Outbox.CountAsync(o => o.PublishedAt == null, stoppingToken);
                    lastCount = DateTime.UtcNow;
                }
                backoff = TimeSpan.Zero;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { break; }
            catch (Exception ex)
            {
                backoff = backoff == TimeSpan.Zero ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
                logger.LogWarning("Outbox publisher: {Message}; retrying in {Backoff}", ex.Message, backoff);
                try { await Task.Delay(backoff, stoppingToken); } catch (OperationCanceledException) { break; }
                continue;
            }
            try { await Task.Delay(poll, stoppingToken); } catch (OperationCanceledException) { break; }
        }
        // Drain what is committed, briefly, so a graceful shutdown leaves nothing behind.
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            while (await PublishBatchAsync(cts.Token) > 0) { }
        }
        catch (Exception ex) { logger.LogInformation("Outbox drain on shutdown stopped: {Message}", ex.Message); }
    }

    /// <summary>
    /// Publishes unpublished outbox rows older than OutboxGraceMs (up to <see cref="BatchSize"/>)
    /// and marks them published, in one transaction. Rows locked by another publisher are skipped.
    /// </summary>
    private async Task<int> PublishBatchAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var before = DateTimeOffset.UtcNow - TimeSpan.FromMilliseconds(options.OutboxGraceMs);
        var rows = await db.Outbox.FromSql($"SELECT * FROM outbox WHERE published_at IS NULL AND created_at < {before} ORDER BY id LIMIT {BatchSize} FOR UPDATE SKIP LOCKED").ToListAsync(ct);
        if (rows.Count == 0) return 0;
        foreach (var row in rows)
        {
            row.PublishAttempts++;
            if (row.MessageType != typeof(GradeCompleted).FullName)
            {
                row.LastError = $"unknown message type {row.MessageType}";
                row.PublishedAt = DateTimeOffset.UtcNow; // never publishable: park it
                continue;
            }
            var evt = JsonSerializer.Deserialize<GradeCompleted>(row.Payload)!;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await bus.Publish(evt, timeout.Token);
            row.PublishedAt = DateTimeOffset.UtcNow;
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return rows.Count;
    }
}
