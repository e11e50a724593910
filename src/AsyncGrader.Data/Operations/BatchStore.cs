using System.Security.Cryptography;
using System.Text;
using AsyncGrader.Contracts;
using Microsoft.EntityFrameworkCore;

namespace AsyncGrader.Data.Operations;

/// <summary>Counts of a batch's children, read from the jobs table (the source of truth).</summary>
public sealed record BatchCounts(int Total, int Queued, int Running, int Succeeded, int Errored, int Cancelled,
    int ScoreUp, int ScoreDown, int ScoreSame, long FuelTotal);

/// <summary>
/// Batch regrades in PostgreSQL: creating a batch (selecting the latest submissions and inserting
/// the child job rows in one statement), cancelling it, and recomputing its counts. Used by the
/// worker (HTTP API, dispatcher, monitor) and by the CLI (which talks to the database directly).
/// Child rows are created up front with status "queued" and the batch id, so the worker's
/// claim finds them (idempotency by job id) and the counts are one GROUP BY away.
/// </summary>
public static class BatchStore
{
    /// <param name="queueName">The batch queue its children go to (default grade-requests-batch).</param>
    public static async Task<BatchRecord> CreateAsync(GraderDbContext db, RegradeCourse command, DateTimeOffset now, string? queueName = null, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(command.CourseId)) throw new ArgumentException("course_id is required");
        if (command.Code is { Length: 0 }) throw new ArgumentException("code, when given, must not be empty");
        var problems = command.ProblemIds is { Count: > 0 } p ? p.Distinct().ToList() : null;
        var batchId = command.BatchId ?? Guid.CreateVersion7();

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var existing = await db.Batches.FromSql($"SELECT * FROM batches WHERE id = {batchId} FOR UPDATE").AsNoTracking().SingleOrDefaultAsync(ct);
        if (existing is not null)
        {
            await tx.CommitAsync(ct);
            return existing; // idempotent: the same batch id starts one batch
        }

        string? codeSha = null;
        if (command.Code is { } code)
        {
            var bytes = Encoding.UTF8.GetBytes(code);
            codeSha = Convert.ToHexStringLower(SHA256.HashData(bytes));
            await db.Database.ExecuteSqlAsync(
                $"INSERT INTO blobs (sha256, size, content, created_at) VALUES ({codeSha}, {(long)bytes.Length}, {bytes}, {now}) ON CONFLICT (sha256) DO NOTHING", ct);
        }
        var batch = new BatchRecord
        {
            Id = batchId,
            Name = $"regrade {command.CourseId}",
            CourseId = command.CourseId,
            ProblemId = problems is { Count: 1 } ? problems[0] : null,
            ProblemIds = problems,
            Reason = command.Reason,
            RequestedBy = command.RequestedBy,
            ReplacementRuntime = command.Runtime,
            ReplacementCodeSha256 = codeSha,
            Status = BatchModel.Running,
            QueueName = queueName ?? "grade-requests-batch",
            CreatedAt = now,
            StartedAt = now,
        };
        db.Batches.Add(batch);
        await db.SaveChangesAsync(ct);

        var prefix = $"batch:{batchId:N}:";
        var runtime = command.Runtime;
        string[]? problemArray = problems?.ToArray();
        // One statement: pick the latest submission per (problem, learner), insert the child jobs,
        // their files and the batch items. The child id is drawn once (MATERIALIZED).
        int total = await db.Database.ExecuteSqlAsync($"""
            WITH latest AS MATERIALIZED (
                SELECT DISTINCT ON (j.problem_id, j.learner_id) j.*, gen_random_uuid() AS child_id
                FROM jobs j
                WHERE j.course_id = {command.CourseId} AND j.batch_id IS NULL AND j.code_sha256 IS NOT NULL
                  AND ({problemArray}::text[] IS NULL OR j.problem_id = ANY({problemArray}::text[]))
                ORDER BY j.problem_id, j.learner_id, j.created_at DESC, j.id DESC
            ), children AS (
                INSERT INTO jobs (id, job_id, course_id, problem_id, learner_id, batch_id, status, runtime_name,
                    runtime_sha256_requested, code_sha256, submission, globals_in, options, seed, priority, correlation,
                    fuel_limit, memory_limit_bytes, timeout_ms, output_limit_bytes, stdout_truncated, stderr_truncated,
                    attempts, created_at, updated_at)
                SELECT l.child_id, {prefix} || replace(l.id::text, '-', ''), l.course_id, l.problem_id, l.learner_id, {batchId}, 'queued',
                    COALESCE({runtime}::varchar, l.runtime_name),
                    CASE WHEN {runtime}::varchar IS NULL THEN l.runtime_sha256_requested END,
                    COALESCE({codeSha}::varchar, l.code_sha256), l.submission, l.globals_in, l.options, l.seed, 0,
                    COALESCE(l.correlation, jsonb_build_object()) || jsonb_build_object('batch_id', {batchId.ToString()}::text, 'regrade_of', l.job_id),
                    l.fuel_limit, l.memory_limit_bytes, l.timeout_ms, l.output_limit_bytes, false, false, 0, {now}, {now}
                FROM latest l
                RETURNING id
            ), files AS (
                INSERT INTO job_files (job_id, name, blob_sha256)
                SELECT l.child_id, f.name, f.blob_sha256 FROM latest l JOIN job_files f ON f.job_id = l.id
                RETURNING job_id
            )
            INSERT INTO batch_items (batch_id, original_id, child_id, original_score, original_status)
            SELECT {batchId}, l.id, l.child_id, l.grade_score, l.status FROM latest l
            """, ct);
        batch.TotalJobs = total;
        batch.Queued = total;
        if (total == 0)
        {
            batch.Status = BatchModel.Completed;
            batch.CompletedAt = now;
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return batch;
    }

    /// <summary>Cancels a running batch: its queued children become "cancelled" (they never run);
    /// running children finish. Returns null when there is no such batch.</summary>
    public static async Task<BatchRecord?> CancelAsync(GraderDbContext db, Guid id, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var batch = await db.Batches.FromSql($"SELECT * FROM batches WHERE id = {id} FOR UPDATE").SingleOrDefaultAsync(ct);
        if (batch is null) return null;
        if (batch.Status == BatchModel.Running)
        {
            batch.Status = BatchModel.Cancelling;
            batch.CancelRequestedAt = now;
            await db.SaveChangesAsync(ct);
        }
        if (batch.Status == BatchModel.Cancelling)
            await db.Database.ExecuteSqlAsync(
                $"UPDATE jobs SET status = 'cancelled', completed_at = {now}, updated_at = {now} WHERE batch_id = {id} AND status = 'queued'", ct);
        await tx.CommitAsync(ct);
        return batch;
    }

    /// <summary>Recomputes a batch's counts from its children's rows.</summary>
    public static async Task<BatchCounts> CountAsync(GraderDbContext db, Guid id, CancellationToken ct = default)
    {
        var rows = await db.Database.SqlQuery<CountRow>($"""
            SELECT count(*)::int AS "Total",
              (count(*) FILTER (WHERE j.status = 'queued'))::int AS "Queued",
              (count(*) FILTER (WHERE j.status = 'running'))::int AS "Running",
              (count(*) FILTER (WHERE j.status = 'succeeded'))::int AS "Succeeded",
              (count(*) FILTER (WHERE j.status NOT IN ('queued', 'running', 'succeeded', 'cancelled')))::int AS "Errored",
              (count(*) FILTER (WHERE j.status = 'cancelled'))::int AS "Cancelled",
              (count(*) FILTER (WHERE j.status NOT IN ('queued', 'running', 'cancelled') AND COALESCE(j.grade_score, 0) > COALESCE(i.original_score, 0)))::int AS "ScoreUp",
              (count(*) FILTER (WHERE j.status NOT IN ('queued', 'running', 'cancelled') AND COALESCE(j.grade_score, 0) < COALESCE(i.original_score, 0)))::int AS "ScoreDown",
              (count(*) FILTER (WHERE j.status NOT IN ('queued', 'running', 'cancelled') AND COALESCE(j.grade_score, 0) = COALESCE(i.original_score, 0)))::int AS "ScoreSame",
              COALESCE(sum(j.fuel_used), 0)::bigint AS "FuelTotal"
            FROM jobs j JOIN batch_items i ON i.child_id = j.id
            WHERE j.batch_id = {id} AND i.batch_id = {id} -- both: the children are found by IX_jobs_batch_id, not a scan of all jobs
            """).ToListAsync(ct);
        var r = rows.Single();
        return new BatchCounts(r.Total, r.Queued, r.Running, r.Succeeded, r.Errored, r.Cancelled, r.ScoreUp, r.ScoreDown, r.ScoreSame, r.FuelTotal);
    }

    /// <summary>Copies counts onto the row; true when something changed.</summary>
    public static bool Apply(BatchRecord b, BatchCounts c)
    {
        bool changed = b.Queued != c.Queued || b.Running != c.Running || b.Succeeded != c.Succeeded || b.Errored != c.Errored
            || b.Cancelled != c.Cancelled || b.FuelTotal != c.FuelTotal || b.ScoreUp != c.ScoreUp || b.ScoreDown != c.ScoreDown || b.ScoreSame != c.ScoreSame;
        b.Queued = c.Queued; b.Running = c.Running; b.Succeeded = c.Succeeded; b.Errored = c.Errored; b.Cancelled = c.Cancelled;
        b.ScoreUp = c.ScoreUp; b.ScoreDown = c.ScoreDown; b.ScoreSame = c.ScoreSame; b.FuelTotal = c.FuelTotal;
        return changed;
    }

    public static BatchProgress ToProgress(BatchRecord b, DateTimeOffset at) => new()
    {
        BatchId = b.Id, CourseId = b.CourseId, Status = b.Status, Total = b.TotalJobs, Queued = b.Queued, Running = b.Running,
        Succeeded = b.Succeeded, Errored = b.Errored, Cancelled = b.Cancelled, At = at,
    };

    public static BatchCompleted ToCompleted(BatchRecord b) => new()
    {
        BatchId = b.Id, CourseId = b.CourseId, Status = b.Status, Total = b.TotalJobs, Succeeded = b.Succeeded, Errored = b.Errored,
        Cancelled = b.Cancelled, ScoreUp = b.ScoreUp, ScoreDown = b.ScoreDown, ScoreSame = b.ScoreSame, FuelTotal = b.FuelTotal,
        StartedAt = b.StartedAt, FinishedAt = b.CompletedAt ?? b.CreatedAt,
    };

    public sealed class CountRow
    {
        public int Total { get; set; }
        public int Queued { get; set; }
        public int Running { get; set; }
        public int Succeeded { get; set; }
        public int Errored { get; set; }
        public int Cancelled { get; set; }
        public int ScoreUp { get; set; }
        public int ScoreDown { get; set; }
        public int ScoreSame { get; set; }
        public long FuelTotal { get; set; }
    }
}
