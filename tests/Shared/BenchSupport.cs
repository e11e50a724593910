using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using AsyncGrader.Contracts;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

/// <summary>What the service benchmarks share: connection settings and percentiles.</summary>
static class Bench
{
    /// <summary>ASYNCGRADER_RABBITMQ / ASYNCGRADER_POSTGRES from the environment, else from the
    /// nearest .cache/services.env above the program (written by scripts/services.sh).</summary>
    public static (string Amqp, string Postgres) Settings()
    {
        string? amqp = Environment.GetEnvironmentVariable("ASYNCGRADER_RABBITMQ"), pg = Environment.GetEnvironmentVariable("ASYNCGRADER_POSTGRES");
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null && (amqp is null || pg is null); dir = dir.Parent)
        {
            var env = Path.Combine(dir.FullName, ".cache", "services.env");
            if (!File.Exists(env)) continue;
            foreach (var line in File.ReadAllLines(env))
            {
                var l = line.StartsWith("export ") ? line[7..] : line;
                int eq = l.IndexOf('=');
                if (eq <= 0) continue;
                var (k, v) = (l[..eq], l[(eq + 1)..].Trim('\'', '"'));
                if (k == "ASYNCGRADER_RABBITMQ") amqp ??= v;
                if (k == "ASYNCGRADER_POSTGRES") pg ??= v;
            }
        }
        return (amqp ?? throw new InvalidOperationException("ASYNCGRADER_RABBITMQ not set (scripts/services.sh up)"),
            pg ?? throw new InvalidOperationException("ASYNCGRADER_POSTGRES not set"));
    }

    /// <summary>The p-th percentile (nearest rank); NaN when empty.</summary>
    public static double P(IReadOnlyCollection<double> xs, double p)
    {
        if (xs.Count == 0) return double.NaN;
        var s = xs.OrderBy(x => x).ToList();
        return s[Math.Clamp((int)Math.Ceiling(p / 100 * s.Count) - 1, 0, s.Count - 1)];
    }
}

/// <summary>
/// A plain AMQP client as an LMS would be: publishes GradeRequested as raw JSON and times each job
/// until its GradeCompleted arrives on the fanout exchange.
/// </summary>
sealed class GradingClient : IAsyncDisposable
{
    private readonly IConnection _connection;
    private readonly IChannel _consume, _publish;
    private readonly ConcurrentDictionary<string, (long Sent, TaskCompletionSource<(double Ms, GradeCompleted Evt)> Done)> _pending = new();
    private static readonly BasicProperties Persistent = new() { ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent };

    private GradingClient(IConnection connection, IChannel consume, IChannel publish) => (_connection, _consume, _publish) = (connection, consume, publish);

    public static async Task<GradingClient> ConnectAsync(string amqp, string name)
    {
        var connection = await new ConnectionFactory { Uri = new Uri(amqp), ClientProvidedName = name }.CreateConnectionAsync();
        var client = new GradingClient(connection, await connection.CreateChannelAsync(), await connection.CreateChannelAsync());
        await client._consume.ExchangeDeclareAsync("AsyncGrader.Contracts:GradeCompleted", ExchangeType.Fanout, durable: true);
        var completions = (await client._consume.QueueDeclareAsync("", false, true, true)).QueueName;
        await client._consume.QueueBindAsync(completions, "AsyncGrader.Contracts:GradeCompleted", "");
        var consumer = new AsyncEventingBasicConsumer(client._consume);
        consumer.ReceivedAsync += (_, ea) =>
        {
            var now = Stopwatch.GetTimestamp();
            var evt = JsonSerializer.Deserialize<GradeCompleted>(ea.Body.Span)!;
            if (client._pending.TryRemove(evt.JobId, out var p))
                p.Done.TrySetResult((Stopwatch.GetElapsedTime(p.Sent, now).TotalMilliseconds, evt));
            return Task.CompletedTask;
        };
        await client._consume.BasicConsumeAsync(completions, true, consumer);
        return client;
    }

    /// <summary>Publishes the job to <paramref name="queue"/>; the returned task completes with
    /// publish → GradeCompleted in ms and the event.</summary>
    public async Task<Task<(double Ms, GradeCompleted Evt)>> SendAsync(string queue, GradeRequested job)
    {
        var done = new TaskCompletionSource<(double, GradeCompleted)>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[job.JobId!] = (Stopwatch.GetTimestamp(), done);
        await _publish.BasicPublishAsync("", queue, false, Persistent, JsonSerializer.SerializeToUtf8Bytes(job));
        return done.Task;
    }

    /// <summary>Deletes a queue and the exchange MassTransit bound to it.</summary>
    public async Task DeleteQueueAsync(string queue)
    {
        await _consume.QueueDeleteAsync(queue);
        await _consume.ExchangeDeleteAsync(queue);
    }

    public async ValueTask DisposeAsync()
    {
        await _consume.DisposeAsync();
        await _publish.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
