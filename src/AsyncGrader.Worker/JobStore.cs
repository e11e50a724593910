using System.Security.Cryptography;
using System.Text.Json;
using AsyncGrader.Contracts;
using AsyncGrader.Data;
using AsyncGrader.Sandbox;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AsyncGrader.Worker;

public enum ClaimKind { Claimed, AlreadyFinished, Busy }

public sealed record Claim(ClaimKind Kind, JobRecord Row);

/// <summary>The worker's database operations. Each public method is one transaction.</summary>
public sealed class JobStore : IAsyncDisposable
{
    private readonly IDbContextFactory<GraderDbContext> dbs;
    private readonly NpgsqlDataSource _data;
    private readonly TimeProvider clock;
    // Live jobs and batch children have their own groups, so a live job never waits for a batch's round trip.
    private readonly GroupCommit<ClaimRequest, Claim> _claims, _batchClaims;
    private readonly GroupCommit<(JobRecord, SandboxOutcome), (GradeCompleted, bool, long)> _completions, _batchCompletions;

    /// <param name="data">Raw Npgsql for the hot path (claims and completions); EF Core for the rest.</param>
    public JobStore(IDbContextFactory<GraderDbContext> dbs, NpgsqlDataSource data, TimeProvider clock)
    {
        this.dbs = dbs;
        _data = data;
        this.clock = clock;
        _claims = new(ClaimGroupAsync);
        _batchClaims = new(ClaimGroupAsync);
        _completions = new(CompleteGroupAsync);
        _batchCompletions = new(CompleteGroupAsync);
    }

    public async ValueTask DisposeAsync()
    {
        await _claims.DisposeAsync();
        await _batchClaims.DisposeAsync();
        await _completions.DisposeAsync();
        await _batchCompletions.DisposeAsync();
    }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string StatusName(JobStatus s) => JsonNamingPolicy.SnakeCaseLower.ConvertName(s.ToString());

    public static string Sha256Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>
    /// Finds or creates the job row (blobs stored once by sha256) and claims it for
    /// <paramref name="owner"/>: AlreadyFinished when a final status is recorded, Busy when another
    /// owner holds an unexpired lease, Claimed otherwise (attempts is counted once per owner).
    /// A batch child whose batch is being cancelled is marked cancelled instead (AlreadyFinished).
    /// Concurrent claims are written together: one round trip per group (see <see cref="GroupCommit{TItem,TResult}"/>).
    /// </summary>
    public Task<Claim> ClaimAsync(ValidatedJob job, string owner, DateTimeOffset receivedAt, CancellationToken ct, bool batchChild = false) =>
        (batchChild ? _batchClaims : _claims).SubmitAsync(new ClaimRequest(job, owner, receivedAt, batchChild), ct);

    /// <summary>Records the outcome and its GradeCompleted in the outbox, in one transaction.
    /// Returns the event (Fresh = false when the row was already final: its recorded completion is
    /// queued again) and the id of its outbox row. Grouped like claims.</summary>
    public Task<(GradeCompleted Event, bool Fresh, long OutboxId)> CompleteAsync(JobRecord claimed, SandboxOutcome outcome, CancellationToken ct, bool batchChild = false) =>
        (batchChild ? _batchCompletions : _completions).SubmitAsync((claimed, outcome), ct);

    /// <summary>Gives back a claim whose job never ran (the worker stopped while it waited for a
    /// sandbox slot): queued again, unleased, its attempt not counted, so the redelivered message
    /// runs at once on another worker instead of waiting for the lease to expire.</summary>
    public async Task ReleaseClaimAsync(JobRecord claimed, string owner, CancellationToken ct)
    {
        await using var command = _data.CreateCommand("""
            UPDATE jobs SET status = 'queued', attempts = GREATEST(attempts - 1, 0), lease_owner = NULL, lease_expires_at = NULL,
                started_at = NULL, updated_at = $3
            WHERE id = $1 AND status = 'running' AND lease_owner = $2
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = claimed.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = owner });
        command.Parameters.Add(new NpgsqlParameter { Value = Now() });
        await command.ExecuteNonQueryAsync(ct);
    }

    private sealed record ClaimRequest(ValidatedJob Job, string Owner, DateTimeOffset ReceivedAt, bool BatchChild);

    /// <summary>Blobs known to be stored (they are never deleted), so their bytes are sent once per process.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _storedBlobs = new();

    private async Task<IReadOnlyList<Claim>> ClaimGroupAsync(IReadOnlyList<ClaimRequest> group, CancellationToken ct)
    {
        // One batch = one round trip in one implicit transaction: blobs, new rows, cancellations of
        // children of cancelled batches, the claims, then one SELECT that classifies every job.
        var now = Now();
        await using var batch = _data.CreateBatch();
        var newBlobs = new Dictionary<string, byte[]>();
        var prepared = new List<(ClaimRequest Request, string CodeSha, List<(string Name, string Sha)> Files)>();
        foreach (var r in group)
        {
            var code = System.Text.Encoding.UTF8.GetBytes(r.Job.Request.Code!);
            var codeSha = Sha256Hex(code);
            if (!_storedBlobs.ContainsKey(codeSha)) newBlobs[codeSha] = code;
            var files = new List<(string, string)>();
            foreach (var (name, bytes) in r.Job.SandboxJob.Files)
            {
                var sha = Sha256Hex(bytes);
                if (!_storedBlobs.ContainsKey(sha)) newBlobs[sha] = bytes;
                files.Add((name, sha));
            }
            prepared.Add((r, codeSha, files));
        }
        foreach (var (sha, bytes) in newBlobs)
            Add(batch, "INSERT INTO blobs (sha256, size, content, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING",
                sha, (long)bytes.Length, bytes, now);
        foreach (var (r, codeSha, files) in prepared)
        {
            var req = r.Job.Request;
            var sj = r.Job.SandboxJob;
            var id = Guid.CreateVersion7();
            var leaseExpires = now + TimeSpan.FromMilliseconds(r.Job.Limits.TimeoutMs ?? 30_000) + LeaseGrace;
            // A new job is inserted already claimed (one row version instead of two).
            Add(batch, """
                INSERT INTO jobs (id, job_id, status, course_id, problem_id, learner_id, runtime_name, runtime_sha256_requested,
                    code_sha256, submission, globals_in, options, seed, priority, correlation, fuel_limit, memory_limit_bytes,
                    timeout_ms, output_limit_bytes, stdout_truncated, stderr_truncated, attempts, lease_owner, lease_expires_at,
                    created_at, started_at, updated_at)
                VALUES ($1, $2, 'running', $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12, $13, $14::jsonb, $15, $16, $17, $18,
                    false, false, 1, $19, $20, $21, $22, $22)
                ON CONFLICT (job_id) DO NOTHING
                """,
                id, r.Job.JobId, req.CourseId, req.ProblemId, req.LearnerId, sj.Runtime, req.RuntimeSha256, codeSha, req.Submission,
                sj.GlobalsJson, sj.OptionsJson, (decimal?)req.Seed, r.Job.Priority,
                req.Correlation is null ? null : JsonSerializer.Serialize(req.Correlation, Json),
                r.Job.Limits.Fuel, r.Job.Limits.MemoryBytes, r.Job.Limits.TimeoutMs, r.Job.Limits.OutputBytes,
                r.Owner, leaseExpires, r.ReceivedAt, now);
            foreach (var (name, sha) in files) // only for the row just inserted (its id), never for an existing one
                Add(batch, "INSERT INTO job_files (job_id, name, blob_sha256) SELECT id, $2, $3 FROM jobs WHERE job_id = $1 AND id = $4 ON CONFLICT DO NOTHING",
                    r.Job.JobId, name, sha, id);
            if (r.BatchChild)
                Add(batch, $"""
                    UPDATE jobs SET status = '{BatchModel.ChildCancelled}', completed_at = $2, updated_at = $2
                    WHERE job_id = $1 AND status = 'queued'
                      AND batch_id IN (SELECT id FROM batches WHERE status IN ('{BatchModel.Cancelling}', '{BatchModel.Cancelled}'))
                    """, r.Job.JobId, now);
            Add(batch, """
                UPDATE jobs SET status = 'running',
                    attempts = attempts + CASE WHEN status <> 'running' OR lease_owner IS DISTINCT FROM $2 THEN 1 ELSE 0 END,
                    lease_owner = $2, lease_expires_at = $3, started_at = $4, updated_at = $4
                WHERE job_id = $1 AND id <> $5
                  AND (status = 'queued' OR (status = 'running' AND (lease_owner = $2 OR lease_expires_at <= $4)))
                """,
                r.Job.JobId, r.Owner, leaseExpires, now, id);
        }
        Add(batch, $"SELECT {EventColumns}, lease_owner FROM jobs WHERE job_id = ANY($1)", (object)group.Select(r => r.Job.JobId).ToArray());

        var rows = new Dictionary<string, JobRecord>();
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var row = ReadEventRow(reader);
                row.LeaseOwner = reader.IsDBNull(EventColumnCount) ? null : reader.GetString(EventColumnCount);
                rows[row.JobId] = row;
            }
        }
        foreach (var sha in newBlobs.Keys) _storedBlobs.TryAdd(sha, true);

        return group.Select(r =>
        {
            var row = rows[r.Job.JobId];
            var kind = IsFinal(row.Status) ? ClaimKind.AlreadyFinished
                : row.Status == GradeStatus.Running && row.LeaseOwner == r.Owner ? ClaimKind.Claimed
                : ClaimKind.Busy;
            return new Claim(kind, row);
        }).ToList();
    }

    private async Task<IReadOnlyList<(GradeCompleted, bool, long)>> CompleteGroupAsync(IReadOnlyList<(JobRecord Row, SandboxOutcome Outcome)> group, CancellationToken ct)
    {
        // One round trip: per job, record the outcome unless the row is already final, and insert
        // its outbox row only if it was recorded. The event is built from the claimed row with the
        // outcome applied, exactly what the UPDATE writes.
        var now = Now();
        var events = new List<GradeCompleted>(group.Count);
        await using var batch = _data.CreateBatch();
        foreach (var (claimed, o) in group)
        {
            var row = Apply(claimed, o, now);
            var evt = ToEvent(row);
            events.Add(evt);
            Add(batch, """
                WITH recorded AS (
                    UPDATE jobs SET status = $2, runtime_name = $3, runtime_sha256 = $4, grade_correct = $5, grade_score = $6, grade_msg = $7,
                        globals_out = $8::jsonb, stdout = $9, stderr = $10, stdout_truncated = $11, stderr_truncated = $12, error = $13,
                        fuel_used = $14, fuel_limit = $15, peak_memory_bytes = $16, duration_ms = $17,
                        completed_at = $18, updated_at = $18, lease_owner = NULL, lease_expires_at = NULL
                    WHERE id = $1 AND status IN ('queued', 'running')
                    RETURNING job_id)
                INSERT INTO outbox (message_type, job_id, payload, created_at, publish_attempts)
                SELECT $19, job_id, $20::jsonb, $18, 0 FROM recorded
                RETURNING id
                """,
                row.Id, row.Status, row.RuntimeName, row.RuntimeSha256, row.GradeCorrect, row.GradeScore, row.GradeMsg,
                row.GlobalsOut, row.Stdout, row.Stderr, row.StdoutTruncated, row.StderrTruncated, row.Error,
                row.FuelUsed, row.FuelLimit, row.PeakMemoryBytes, row.DurationMs, now,
                typeof(GradeCompleted).FullName!, JsonSerializer.Serialize(evt));
        }
        var outboxIds = new long?[group.Count];
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            int i = 0;
            do { while (await reader.ReadAsync(ct)) outboxIds[i] = reader.GetInt64(0); i++; } while (await reader.NextResultAsync(ct));
        }

        var results = new List<(GradeCompleted, bool, long)>(group.Count);
        for (int i = 0; i < group.Count; i++)
        {
            if (outboxIds[i] is { } id) { results.Add((events[i], true, id)); continue; }
            // Already final (another delivery recorded it first): queue the recorded completion again.
            var (again, againId) = await RepublishAsync(group[i].Row.Id, ct);
            results.Add((again, false, againId));
        }
        return results;
    }

    /// <summary>The claimed row with the outcome applied, as <see cref="CompleteGroupAsync"/> writes it.</summary>
    private static JobRecord Apply(JobRecord claimed, SandboxOutcome o, DateTimeOffset now) => new()
    {
        Id = claimed.Id, JobId = claimed.JobId, CourseId = claimed.CourseId, ProblemId = claimed.ProblemId, LearnerId = claimed.LearnerId,
        GlobalsIn = claimed.GlobalsIn, CorrelationJson = claimed.CorrelationJson, Attempts = claimed.Attempts,
        CreatedAt = claimed.CreatedAt, StartedAt = claimed.StartedAt,
        Status = StatusName(o.Status),
        RuntimeName = o.RuntimeName,
        RuntimeSha256 = o.RuntimeSha256,
        GradeCorrect = o.Grade?.Correct,
        GradeScore = o.Grade?.Score,
        GradeMsg = o.Grade?.Msg,
        GlobalsOut = string.IsNullOrWhiteSpace(o.GlobalsJson) ? null : o.GlobalsJson,
        Stdout = o.Stdout,
        Stderr = o.Stderr,
        StdoutTruncated = o.StdoutTruncated,
        StderrTruncated = o.StderrTruncated,
        Error = o.Error,
        FuelUsed = o.FuelUsed,
        FuelLimit = o.FuelLimit > 0 ? o.FuelLimit : claimed.FuelLimit,
        PeakMemoryBytes = o.PeakMemoryBytes,
        DurationMs = o.Duration.TotalMilliseconds,
        CompletedAt = now,
        UpdatedAt = now,
    };

    private const int EventColumnCount = 28;
    private const string EventColumns =
        "id, job_id, status, course_id, problem_id, learner_id, grade_correct, grade_score, grade_msg, globals_out::text, globals_in::text, " +
        "stdout, stderr, stdout_truncated, stderr_truncated, error, fuel_used, fuel_limit, peak_memory_bytes, duration_ms, runtime_name, " +
        "runtime_sha256, attempts, created_at, started_at, completed_at, updated_at, correlation::text";

    private static JobRecord ReadEventRow(NpgsqlDataReader r)
    {
        T? N<T>(int i) where T : struct => r.IsDBNull(i) ? null : r.GetFieldValue<T>(i);
        string? S(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        return new JobRecord
        {
            Id = r.GetGuid(0), JobId = r.GetString(1), Status = r.GetString(2), CourseId = S(3), ProblemId = S(4), LearnerId = S(5),
            GradeCorrect = N<bool>(6), GradeScore = N<double>(7), GradeMsg = S(8), GlobalsOut = S(9), GlobalsIn = S(10) ?? "{}",
            Stdout = S(11), Stderr = S(12), StdoutTruncated = r.GetBoolean(13), StderrTruncated = r.GetBoolean(14), Error = S(15),
            FuelUsed = N<long>(16), FuelLimit = N<long>(17), PeakMemoryBytes = N<long>(18), DurationMs = N<double>(19),
            RuntimeName = S(20), RuntimeSha256 = S(21), Attempts = r.GetInt32(22), CreatedAt = r.GetFieldValue<DateTimeOffset>(23),
            StartedAt = N<DateTimeOffset>(24), CompletedAt = N<DateTimeOffset>(25), UpdatedAt = r.GetFieldValue<DateTimeOffset>(26),
            CorrelationJson = S(27),
        };
    }

    /// <summary>Adds a command with positional parameters ($1, $2, …); nulls are sent as typed-by-the-server NULLs.</summary>
    private static void Add(NpgsqlBatch batch, string sql, params object?[] args)
    {
        var command = batch.CreateBatchCommand();
        command.CommandText = sql;
        foreach (var a in args) command.Parameters.Add(a is null ? new NpgsqlParameter { Value = DBNull.Value } : new NpgsqlParameter { Value = a });
        batch.BatchCommands.Add(command);
    }

    /// <summary>The clock at PostgreSQL's precision (microseconds), so events read back from rows are identical.</summary>
    private DateTimeOffset Now()
    {
        var t = clock.GetUtcNow();
        return t.AddTicks(-(t.Ticks % 10));
    }

    public TimeSpan LeaseGrace { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Queues the recorded completion of a finished job again (a redelivered request).</summary>
    public async Task<(GradeCompleted Event, long OutboxId)> RepublishAsync(Guid id, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var row = await db.Jobs.AsNoTracking().SingleAsync(j => j.Id == id, ct);
        var evt = ToEvent(row);
        var outbox = await EnqueueAsync(db, evt, ct);
        await db.SaveChangesAsync(ct);
        return (evt, outbox.Id);
    }

    /// <summary>Records a refused request: the job row (status rejected, unless the job id already
    /// has a row, whose completion is re-queued instead) plus its GradeCompleted; and the dead letter.</summary>
    public async Task<(GradeCompleted Event, long OutboxId)?> RejectAsync(GradeRequested? request, string reason, DeadLetterRecord deadLetter, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.DeadLetters.Add(deadLetter);
        OutboxRecord? outbox = null;
        GradeCompleted? evt = null;
        if (request is not null && JobValidator.IsUsableJobId(request.JobId))
        {
            var now = Now();
            var row = await LockAsync(db, request.JobId!, ct);
            if (row is null)
            {
                row = new JobRecord
                {
                    Id = Guid.CreateVersion7(),
                    JobId = request.JobId!,
                    Status = GradeStatus.Rejected,
                    CourseId = Truncate(request.CourseId),
                    ProblemId = Truncate(request.ProblemId),
                    LearnerId = Truncate(request.LearnerId),
                    RuntimeName = Truncate(request.Runtime, 100),
                    Submission = request.Submission,
                    Priority = request.Priority is >= 0 and <= 9 ? request.Priority.Value : 0,
                    Error = reason,
                    Attempts = 0,
                    CreatedAt = deadLetter.ReceivedAt,
                    CompletedAt = now,
                    UpdatedAt = now,
                };
                db.Jobs.Add(row);
            }
            evt = ToEvent(row);
            outbox = await EnqueueAsync(db, evt, ct);
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return outbox is null ? null : (evt!, outbox.Id);
    }

    /// <summary>Records a message that could not even be read (e.g. invalid JSON).</summary>
    public async Task RecordDeadLetterAsync(DeadLetterRecord deadLetter, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.DeadLetters.Add(deadLetter);
        await db.SaveChangesAsync(ct);
    }

    public static bool IsFinal(string status) => status is not (GradeStatus.Queued or GradeStatus.Running);

    public static GradeCompleted ToEvent(JobRecord row) => new()
    {
        JobId = row.JobId,
        Status = row.Status,
        CourseId = row.CourseId,
        ProblemId = row.ProblemId,
        LearnerId = row.LearnerId,
        Grade = row.GradeCorrect is null && row.GradeScore is null && row.GradeMsg is null
            ? null
            : new GradeResult { Correct = row.GradeCorrect, Score = row.GradeScore, Msg = row.GradeMsg },
        Globals = ParseObject(row.GlobalsOut ?? row.GlobalsIn),
        Stdout = row.Stdout ?? "",
        Stderr = row.Stderr ?? "",
        StdoutTruncated = row.StdoutTruncated,
        StderrTruncated = row.StderrTruncated,
        Error = row.Error,
        FuelUsed = row.FuelUsed ?? 0,
        FuelLimit = row.FuelLimit ?? 0,
        PeakMemoryBytes = row.PeakMemoryBytes ?? 0,
        DurationMs = row.DurationMs ?? 0,
        Runtime = row.RuntimeName,
        RuntimeSha256 = row.RuntimeSha256,
        Attempt = row.Attempts,
        ReceivedAt = row.CreatedAt,
        StartedAt = row.StartedAt,
        CompletedAt = row.CompletedAt ?? row.UpdatedAt,
        Correlation = row.CorrelationJson is null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(row.CorrelationJson, Json),
    };

    private static JsonElement? ParseObject(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return null;
        try { return JsonDocument.Parse(json).RootElement.Clone(); }
        catch (JsonException) { return null; }
    }

    private static Task<JobRecord?> LockAsync(GraderDbContext db, string jobId, CancellationToken ct) =>
        db.Jobs.FromSql($"SELECT * FROM jobs WHERE job_id = {jobId} FOR UPDATE").SingleOrDefaultAsync(ct);

    private Task<OutboxRecord> EnqueueAsync(GraderDbContext db, GradeCompleted evt, CancellationToken ct)
    {
        var row = new OutboxRecord
        {
            MessageType = typeof(GradeCompleted).FullName!,
            JobId = evt.JobId,
            Payload = JsonSerializer.Serialize(evt),
            CreatedAt = Now(),
        };
        db.Outbox.Add(row);
        return Task.FromResult(row);
    }

    private static string? Truncate(string? s, int max = 255) => s is null || s.Length <= max ? s : s[..max];
}
