namespace AsyncGrader.Worker;

/// <summary>
/// The worker's sandbox slots (AsyncGrader:Concurrency, default the core count): a job holds one
/// while it runs. More messages than slots are in flight so that database and broker round trips
/// overlap the runs; the slots keep the CPU-bound part at one job per core. A freed slot goes to a
/// waiting live job before any waiting batch child, so a regrade never delays live grading by more
/// than the end of one child's run.
/// </summary>
public sealed class SandboxSlots
{
    private readonly Lock _lock = new();
    private readonly Queue<TaskCompletionSource> _live = new();
    private readonly Queue<TaskCompletionSource> _batch = new();
    private int _free;

    public SandboxSlots(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Count = _free = count;
    }

    public int Count { get; }

    /// <summary>Waits for a slot (live jobs before batch children); dispose the result to release it.</summary>
    public async ValueTask<Slot> EnterAsync(bool batch, CancellationToken ct)
    {
        TaskCompletionSource waiter;
        lock (_lock)
        {
            if (_free > 0) // waiters exist only while no slot is free
            {
                _free--;
                return new Slot(this);
            }
            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            (batch ? _batch : _live).Enqueue(waiter);
        }
        try
        {
            await waiter.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Either we were never granted (the grant loop skips a completed waiter), or the grant
            // raced with the cancellation: then the slot is ours and must be passed on.
            if (!waiter.TrySetCanceled() && waiter.Task.IsCompletedSuccessfully) Release();
            throw;
        }
        return new Slot(this);
    }

    private void Release()
    {
        lock (_lock)
        {
            while (_live.TryDequeue(out var w) || _batch.TryDequeue(out w))
                if (w.TrySetResult()) return;
            _free++;
        }
    }

    public readonly struct Slot(SandboxSlots owner) : IDisposable
    {
        public void Dispose() => owner.Release();
    }
}
