using System.Collections.Concurrent;

namespace AsyncGrader.Wasm.Runtime;

/// <summary>
/// Long-lived threads with large stacks on which guest code runs. Deep guest recursion needs far
/// more native stack than the CLR's default 1.5 MiB (CPython's C recursion goes through large
/// compiled frames); starting a thread per call would cost 50-200 µs, so threads are kept and
/// reused. Calls made while already on a guest thread run inline.
/// </summary>
internal sealed class GuestThreadPool
{
    [ThreadStatic] private static bool t_isGuestThread;
    [ThreadStatic] private static nuint t_stackLimit;

    /// <summary>Room kept below the limit for one large frame, host functions and exception dispatch.</summary>
    private int StackMargin => Math.Min(16 << 20, _stackBytes / 4);

    private readonly int _stackBytes;
    private readonly BlockingCollection<WorkItem> _queue = new();
    private int _idle;
    private int _threads;

    public GuestThreadPool(int stackBytes) => _stackBytes = stackBytes;

    public static bool OnGuestThread => t_isGuestThread;

    /// <summary>
    /// The lowest stack address compiled code may reach on this guest thread (0 elsewhere).
    /// Every compiled function compares the address of one of its locals with it on entry, a
    /// cheaper probe than RuntimeHelpers.TryEnsureSufficientExecutionStack.
    /// </summary>
    public static nuint CurrentStackLimit => t_stackLimit;

    public T Run<T>(Func<T> work)
    {
        if (t_isGuestThread) return work();
        return RunAsync(work).GetAwaiter().GetResult();
    }

    public Task<T> RunAsync<T>(Func<T> work)
    {
        if (t_isGuestThread) return Task.FromResult(work());
        var item = new WorkItem<T>(work);
        _queue.Add(item);
        EnsureWorker();
        return item.Task;
    }

    private abstract class WorkItem
    {
        /// <summary>Runs the work and keeps its result or exception.</summary>
        public abstract void Execute();
        /// <summary>Completes the task (its continuations run on the thread pool).</summary>
        public abstract void Publish();
    }

    private sealed class WorkItem<T>(Func<T> work) : WorkItem
    {
        private readonly TaskCompletionSource<T> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;
        private Exception? _error;

        public Task<T> Task => _tcs.Task;

        public override void Execute()
        {
            try
            {
                _result = work();
            }
            catch (Exception e)
            {
                _error = e;
            }
        }

        public override void Publish()
        {
            if (_error is null) _tcs.SetResult(_result!);
            else _tcs.SetException(_error);
        }
    }

    private void EnsureWorker()
    {
        // Start a thread when more work waits than idle threads will take (idle ones pick work
        // from the shared queue). Idle is read first: work an idle thread took meanwhile has left
        // the queue, so it is not counted as waiting (checking "no thread idle" instead started a
        // thread whenever the only one had just taken the work submitted).
        int idle = Volatile.Read(ref _idle);
        if (_queue.Count <= idle) return;
        Interlocked.Increment(ref _threads);
        var t = new Thread(Loop, _stackBytes) { IsBackground = true, Name = $"wasm-guest-{_threads}" };
        t.Start();
    }

    private unsafe void Loop()
    {
        t_isGuestThread = true;
        byte marker = 0;
        // The stack grows down from about here; the thread was created with _stackBytes.
        t_stackLimit = (nuint)(&marker) - (nuint)_stackBytes + (nuint)StackMargin;
        Interlocked.Increment(ref _idle);
        while (true)
        {
            var item = _queue.Take();
            Interlocked.Decrement(ref _idle);
            item.Execute();
            // Idle again before the caller learns the result: a caller whose continuation submits
            // the next work at once must find this thread idle, not start another one.
            Interlocked.Increment(ref _idle);
            item.Publish();
        }
    }
}
