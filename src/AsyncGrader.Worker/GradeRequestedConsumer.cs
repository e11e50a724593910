using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using AsyncGrader.Contracts;
using AsyncGrader.Data;
using AsyncGrader.Sandbox;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AsyncGrader.Worker;

/// <summary>Identity of this worker process, used as the owner of job leases.</summary>
public sealed class WorkerIdentity
{
    public string Id { get; } = Limit($"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}");

    private static string Limit(string s) => s.Length <= 100 ? s : s[^100..];
}

/// <summary>
/// In-process state shared by deliveries: which job each delivery is running, and outcomes that
/// were computed but not yet committed (so a database fault after the run does not run the job again).
/// </summary>
public sealed class InFlightJobs
{
    public ConcurrentDictionary<string, ReceiveContext> Owners { get; } = new();
    public ConcurrentDictionary<Guid, SandboxOutcome> UncommittedOutcomes { get; } = new();
}

/// <summary>
/// The live queue's consumer: validate (a refused message is recorded, answered with a rejected
/// completion where the job id is usable, and dead-lettered), then <see cref="JobRunner"/>.
/// </summary>
public sealed class GradeRequestedConsumer(
    JobValidator validator,
    JobStore store,
    JobRunner runner,
    GraderMetrics metrics,
    ILogger<GradeRequestedConsumer> logger) : IConsumer<GradeRequested>
{
    public async Task Consume(ConsumeContext<GradeRequested> context)
    {
        var receivedAt = DateTimeOffset.UtcNow;
        var message = context.Message;
        ValidatedJob job;
        try
        {
            job = validator.Validate(message, context.ReceiveContext.Body.Length ?? 0);
        }
        catch (JobRejectedException rejected)
        {
            await RejectAsync(context, message, rejected, receivedAt);
            throw; // → error queue with the reason in MT-Fault-Message; never retried
        }
        await runner.RunAsync(context, job, receivedAt, batchChild: false);
    }

    private async Task RejectAsync(ConsumeContext<GradeRequested> context, GradeRequested message, JobRejectedException rejected, DateTimeOffset receivedAt)
    {
        metrics.JobRejected();
        logger.LogWarning("Rejected message {MessageId} (job {JobId}): {Reason}", context.MessageId, message.JobId, rejected.Reason);
        var deadLetter = DeadLetters.Create(context.ReceiveContext, rejected.Reason, message.JobId, receivedAt);
        if (await store.RejectAsync(message, rejected.Reason, deadLetter, context.CancellationToken) is { } completion)
            await runner.PublishNowAsync(context, completion.Event, completion.OutboxId);
    }
}

/// <summary>
/// Runs one validated job: claim the row → wait for a sandbox slot → run → outcome row + outbox row
/// in one transaction → publish the completion and mark its outbox row. At-least-once in,
/// exactly-once in effect. Claims and completions of concurrent jobs share database round trips
/// (<see cref="GroupCommit{TItem,TResult}"/>); the run itself holds one of <see cref="SandboxSlots"/>.
/// </summary>
public sealed class JobRunner(
    JobStore store,
    ISandbox sandbox,
    SandboxSlots slots,
    InFlightJobs inFlight,
    WorkerIdentity identity,
    OutboxMarks marks,
    GraderMetrics metrics,
    ILogger<JobRunner> logger)
{
    public async Task RunAsync(ConsumeContext context, ValidatedJob job, DateTimeOffset receivedAt, bool batchChild)
    {
        if (!inFlight.Owners.TryAdd(job.JobId, context.ReceiveContext) &&
            !ReferenceEquals(inFlight.Owners.GetValueOrDefault(job.JobId), context.ReceiveContext))
            throw new JobBusyException(job.JobId);
        try
        {
            await RunClaimedAsync(context, job, receivedAt, batchChild);
        }
        catch (Exception ex) when (ex is not JobRejectedException)
        {
            metrics.InfrastructureRetry();
            logger.LogWarning(ex, "Job {JobId}: infrastructure fault (retried): {Message}", job.JobId, ex.Message);
            throw;
        }
        finally
        {
            inFlight.Owners.TryRemove(new KeyValuePair<string, ReceiveContext>(job.JobId, context.ReceiveContext));
        }
    }

    private async Task RunClaimedAsync(ConsumeContext context, ValidatedJob job, DateTimeOffset receivedAt, bool batchChild)
    {
        var claim = await store.ClaimAsync(job, identity.Id, receivedAt, context.CancellationToken, batchChild);
        switch (claim.Kind)
        {
            case ClaimKind.AlreadyFinished when batchChild:
                return; // a redelivered or cancelled child: no second run, no second event
            case ClaimKind.AlreadyFinished:
                var (again, againId) = await store.RepublishAsync(claim.Row.Id, context.CancellationToken);
                metrics.JobRepublished();
                await PublishNowAsync(context, again, againId);
                logger.LogInformation("Job {JobId} already finished ({Status}); completion re-published", job.JobId, claim.Row.Status);
                return;
            case ClaimKind.Busy:
                throw new JobBusyException(job.JobId);
        }

        if (!inFlight.UncommittedOutcomes.TryGetValue(claim.Row.Id, out var outcome))
        {
            SandboxSlots.Slot slot;
            try
            {
                slot = await slots.EnterAsync(batchChild, context.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                await ReturnClaimAsync(claim.Row, job.JobId);
                throw; // the message goes back to the queue
            }
            using (slot)
            {
                metrics.Started();
                try
                {
                    // Not cancelled on shutdown: in-flight jobs finish (bounded by their wall-clock limit).
                    outcome = await sandbox.RunAsync(job.SandboxJob, CancellationToken.None);
                }
                finally
                {
                    metrics.Finished();
                }
            }
            inFlight.UncommittedOutcomes[claim.Row.Id] = outcome;
        }

        var (evt, fresh, outboxId) = await store.CompleteAsync(claim.Row, outcome, CancellationToken.None, batchChild);
        inFlight.UncommittedOutcomes.TryRemove(claim.Row.Id, out _);
        if (fresh)
        {
            metrics.JobCompleted(evt.Status, outcome.FuelUsed, outcome.Duration, DateTimeOffset.UtcNow - receivedAt);
            logger.LogInformation("Job {JobId} {Status} fuel={Fuel} in {Ms:F1} ms (attempt {Attempt})",
                job.JobId, evt.Status, outcome.FuelUsed, outcome.Duration.TotalMilliseconds, evt.Attempt);
        }
        await PublishNowAsync(context, evt, outboxId);
    }

    private async Task ReturnClaimAsync(JobRecord row, string jobId)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await store.ReleaseClaimAsync(row, identity.Id, timeout.Token);
            logger.LogInformation("Job {JobId} returned unrun: the worker is stopping", jobId);
        }
        catch (Exception ex)
        {
            logger.LogWarning("Job {JobId}: claim not returned ({Message}); it is taken over when its lease expires", jobId, ex.Message);
        }
    }

    /// <summary>Publishes a committed completion right away and marks its outbox row (in the
    /// background, grouped). On failure the outbox publisher sends it once the row is older than
    /// AsyncGrader:OutboxGraceMs.</summary>
    public async Task PublishNowAsync(ConsumeContext context, GradeCompleted evt, long outboxId)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await context.Publish(evt, timeout.Token);
            marks.Published(outboxId);
        }
        catch (Exception ex)
        {
            logger.LogInformation("Completion {OutboxId} left to the outbox publisher: {Message}", outboxId, ex.Message);
        }
    }
}

public static class DeadLetters
{
    public const int BodyPrefixBytes = 64 * 1024;

    public static DeadLetterRecord Create(ReceiveContext receive, string reason, string? jobId, DateTimeOffset receivedAt)
    {
        byte[]? prefix = null;
        long length = receive.Body.Length ?? 0;
        try
        {
            var bytes = receive.Body.GetBytes();
            length = bytes.Length;
            prefix = bytes.Length <= BodyPrefixBytes ? bytes : bytes[..BodyPrefixBytes];
        }
        catch (Exception) { }
        var headers = new Dictionary<string, string?>();
        foreach (var h in receive.TransportHeaders.GetAll())
            headers[h.Key] = h.Value switch { byte[] b => Encoding.UTF8.GetString(b), null => null, var v => v.ToString() };
        return new DeadLetterRecord
        {
            JobId = jobId is { Length: <= 200 } ? jobId : null,
            MessageId = receive.TransportHeaders.Get<string>("MessageId") ?? receive.GetMessageId()?.ToString(),
            Queue = receive.InputAddress?.AbsolutePath.Trim('/').Split('/').Last() ?? "?",
            Reason = reason,
            HeadersJson = JsonSerializer.Serialize(headers),
            BodyPrefix = prefix,
            BodyLength = length,
            ReceivedAt = receivedAt,
        };
    }
}
