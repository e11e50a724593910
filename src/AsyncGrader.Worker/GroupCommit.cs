using System.Threading.Channels;

namespace AsyncGrader.Worker;

/// <summary>
/// Group commit: concurrent callers each submit one item; a single loop takes everything waiting
/// (up to <see cref="MaxGroup"/>) and writes it in one database round trip. While one group is
/// being written the next one gathers, so the cost per item falls as load rises and a lone item
/// waits for nothing. When a group of several fails, each item is retried alone so that one bad
/// item (or a lost race on one row) fails only its own caller.
/// </summary>
public sealed class GroupCommit<TItem, TResult> : IAsyncDisposable
{
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<IReadOnlyList<TItem>, CancellationToken, Task<IReadOnlyList<TResult>>> _write;
    private readonly Task _loop;

    public int MaxGroup { get; }

    /// <param name="write">Writes a group in one transaction and returns one result per item, in order.</param>
    public GroupCommit(Func<IReadOnlyList<TItem>, CancellationToken, Task<IReadOnlyList<TResult>>> write, int maxGroup = 64)
    {
        _write = write;
        MaxGroup = maxGroup;
        _loop = Task.Run(LoopAsync);
    }

    public Task<TResult> SubmitAsync(TItem item, CancellationToken ct = default)
    {
        var pending = new Pending(item, new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously), ct);
        if (!_queue.Writer.TryWrite(pending)) throw new ObjectDisposedException(nameof(GroupCommit<TItem, TResult>));
        return pending.Done.Task;
    }

    private async Task LoopAsync()
    {
        var group = new List<Pending>(MaxGroup);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            group.Clear();
            while (group.Count < MaxGroup && _queue.Reader.TryRead(out var p))
            {
                if (p.Cancellation.IsCancellationRequested) p.Done.TrySetCanceled(p.Cancellation);
                else group.Add(p);
            }
            if (group.Count == 0) continue;
            if (!await TryWriteAsync(group).ConfigureAwait(false) && group.Count > 1)
                foreach (var p in group) await TryWriteAsync([p]).ConfigureAwait(false);
        }
    }

    /// <summary>Writes the group; on failure, a single item gets the exception, a larger group is left for item-by-item retry.</summary>
    private async Task<bool> TryWriteAsync(List<Pending> group)
    {
        try
        {
            // Not cancellable: once a group is sent, its outcome must reach every caller.
            var results = await _write([.. group.Select(p => p.Item)], CancellationToken.None).ConfigureAwait(false);
            for (int i = 0; i < group.Count; i++) group[i].Done.TrySetResult(results[i]);
            return true;
        }
        catch (Exception ex)
        {
            if (group.Count == 1) group[0].Done.TrySetException(ex);
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private sealed record Pending(TItem Item, TaskCompletionSource<TResult> Done, CancellationToken Cancellation);
}
