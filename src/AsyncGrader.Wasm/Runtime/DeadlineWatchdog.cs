using System.Diagnostics;

namespace AsyncGrader.Wasm.Runtime;

/// <summary>
/// Interrupts stores whose wall-clock deadline has passed, from one dedicated thread. Timers run
/// on the .NET thread pool, which callers blocked in synchronous <see cref="Func.Invoke"/> can
/// starve; a deadline must fire regardless of what the rest of the process is doing.
/// </summary>
internal static class DeadlineWatchdog
{
    /// <summary>
    /// One scheduled deadline. Cancelling it drops its reference to the store, so a job that ends
    /// long before its deadline does not keep its store (and the store's host data) alive in the
    /// queue until then.
    /// </summary>
    internal sealed class Ticket(Store store, long version)
    {
        private volatile Store? _store = store;
        public readonly long Version = version;
        public bool IsCancelled => _store is null;
        public void Cancel() => _store = null;

        /// <summary>Interrupts the store unless cancelled or its deadline changed since.</summary>
        // Kept out of the watchdog's loop: a store read into a local there could stay reachable
        // from that frame while the loop sleeps (unoptimised code reports locals until the method ends).
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        public void Fire()
        {
            if (_store is { } store && store.DeadlineVersion == Version) store.Interrupt();
        }
    }

    private static readonly object s_lock = new();
    private static readonly PriorityQueue<Ticket, long> s_due = new();
    private static Thread? s_thread;

    /// <summary>Interrupts <paramref name="store"/> at <paramref name="dueTimestamp"/> unless its deadline version changed meanwhile or the ticket is cancelled.</summary>
    public static Ticket Schedule(Store store, long version, long dueTimestamp)
    {
        var ticket = new Ticket(store, version);
        lock (s_lock)
        {
            s_due.Enqueue(ticket, dueTimestamp);
            if (s_thread is null)
            {
                s_thread = new Thread(Run) { IsBackground = true, Name = "wasm-deadline-watchdog", Priority = ThreadPriority.AboveNormal };
                s_thread.Start();
            }
            // The watchdog sleeps until the earliest deadline; it only needs waking when this one is
            // earlier (with equal timeouts, later jobs' deadlines never are).
            if (s_due.TryPeek(out var head, out _) && ReferenceEquals(head, ticket)) Monitor.Pulse(s_lock);
        }
        return ticket;
    }

    private static void Run()
    {
        lock (s_lock)
        {
            while (true)
            {
                if (!s_due.TryPeek(out var ticket, out long due))
                {
                    Monitor.Wait(s_lock);
                    continue;
                }
                if (ticket.IsCancelled)
                {
                    // Cancelled (the job ended first, as almost all do): drop it now rather than
                    // waking at its due time, so the watchdog sleeps until the earliest live deadline.
                    s_due.Dequeue();
                    continue;
                }
                long now = Stopwatch.GetTimestamp();
                if (due <= now)
                {
                    s_due.Dequeue();
                    ticket.Fire();
                    continue;
                }
                var wait = Stopwatch.GetElapsedTime(now, due);
                Monitor.Wait(s_lock, wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait);
            }
        }
    }
}
