namespace AsyncGrader.Wasm.Tests.EngineLimits;

/// <summary>The engine's guest threads: reused, and no more of them than concurrent work needs.</summary>
public sealed class GuestThreadTests
{
    [Fact]
    public async Task Work_submitted_one_after_another_runs_on_one_guest_thread()
    {
        // Each call's continuation submits the next at once; the thread that ran the previous one
        // must already count as idle then (otherwise every few calls start a new thread).
        var engine = new Engine();
        var threads = new HashSet<int>();
        for (int i = 0; i < 500; i++)
            threads.Add(await engine.RunOnGuestThreadAsync(() => Environment.CurrentManagedThreadId));
        Assert.Single(threads);
    }

    [Fact]
    public async Task Exceptions_reach_the_caller()
    {
        var engine = new Engine();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => engine.RunOnGuestThreadAsync<int>(() => throw new InvalidOperationException("boom")));
        Assert.Equal("boom", e.Message);
        Assert.Equal(7, await engine.RunOnGuestThreadAsync(() => 7));
    }
}
