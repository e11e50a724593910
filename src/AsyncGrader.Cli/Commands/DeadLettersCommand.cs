using System.CommandLine;
using System.Text;
using AsyncGrader.Data;
using Microsoft.EntityFrameworkCore;
using RabbitMQ.Client;
using Spectre.Console;

namespace AsyncGrader.Cli.Commands;

/// <summary>
/// <c>asyncgrader dead-letters list|replay</c>. The worker records every refused message in the
/// dead_letters table (reason, headers, body prefix) and MassTransit moves the message itself to
/// the queue's <c>_error</c> queue. `list` reads the table (and the error queue's depth);
/// `replay` moves messages from the error queue back to the queue.
/// </summary>
public static class DeadLettersCommand
{
    public static Command Create()
    {
        var cmd = new Command("dead-letters", "Messages the worker refused (error queues)");
        var queue = new Option<string>("--queue") { Description = "The worker's queue (its error queue is <queue>_error)", DefaultValueFactory = _ => "grade-requests" };
        var limit = new Option<int>("--limit") { DefaultValueFactory = _ => 50 };
        var list = new Command("list", "List recorded dead letters, newest first (database; error queue depth if --amqp is set)");
        foreach (var o in new Option[] { queue, limit, Ops.Db, Ops.Amqp, Ops.Json }) list.Options.Add(o);
        Ops.Action(list, async (p, ct) =>
        {
            await using var db = Ops.OpenDb(p);
            var q = p.GetValue(queue)!;
            var rows = await db.DeadLetters.AsNoTracking().Where(d => d.Queue == q).OrderByDescending(d => d.ReceivedAt).Take(Math.Clamp(p.GetValue(limit), 1, 1000)).ToListAsync(ct);
            uint? depth = null;
            if (p.GetValue(Ops.Amqp) is not null || Environment.GetEnvironmentVariable("ASYNCGRADER_RABBITMQ") is { Length: > 0 })
            {
                await using var amqp = await AmqpClient.ConnectAsync(Ops.AmqpUri(p), ct);
                depth = await ErrorQueueDepthAsync(amqp, q + "_error", ct);
            }
            if (p.GetValue(Ops.Json))
            {
                Ops.WriteJson(new
                {
                    queue = q, error_queue = q + "_error", error_queue_messages = depth,
                    items = rows.Select(d => new { d.Id, d.ReceivedAt, d.Queue, d.JobId, d.MessageId, d.Reason, d.BodyLength }),
                });
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumns("#", "received", "job", "reason", "bytes");
            foreach (var d in rows) table.AddRow(d.Id.ToString(), d.ReceivedAt.ToString("u"), Ops.Esc(d.JobId), Ops.Esc(d.Reason.Length > 100 ? d.Reason[..100] + "…" : d.Reason), d.BodyLength.ToString("N0"));
            AnsiConsole.Write(table);
            if (depth is { } n) AnsiConsole.MarkupLine($"{n} message(s) waiting in [bold]{Ops.Esc(q)}_error[/]");
            return ExitCodes.Ok;
        });

        var count = new Option<int>("--count") { Description = "How many messages to move (default: all those in the error queue when the command starts)", DefaultValueFactory = _ => int.MaxValue };
        var replay = new Command("replay", "Move the messages now in <queue>_error back to <queue> (job ids keep them idempotent)");
        foreach (var o in new Option[] { queue, count, Ops.Amqp, Ops.Json }) replay.Options.Add(o);
        Ops.Action(replay, async (p, ct) =>
        {
            var q = p.GetValue(queue)!;
            await using var amqp = await AmqpClient.ConnectAsync(Ops.AmqpUri(p), ct);
            if (await ErrorQueueDepthAsync(amqp, q + "_error", ct) is not { } depth) return Ops.Error($"no error queue {q}_error", ExitCodes.Failed);
            // Move only the messages that are in the error queue now. A replayed message the worker refuses
            // again goes back to the tail of the error queue, often within milliseconds: draining "until
            // empty" would pick it up and replay it again (and again), recording a dead letter each time.
            int moved = 0, max = (int)Math.Min(depth, (uint)Math.Max(0, p.GetValue(count)));
            while (moved < max)
            {
                var msg = await amqp.Channel.BasicGetAsync(q + "_error", autoAck: false, ct);
                if (msg is null) break;
                var props = new BasicProperties
                {
                    ContentType = msg.BasicProperties.ContentType ?? "application/json",
                    DeliveryMode = DeliveryModes.Persistent,
                    MessageId = msg.BasicProperties.MessageId,
                    Priority = msg.BasicProperties.Priority,
                    Headers = msg.BasicProperties.Headers?.Where(h => !h.Key.StartsWith("MT-Fault", StringComparison.Ordinal) && h.Key != "MT-Reason")
                        .ToDictionary(h => h.Key, h => h.Value),
                };
                await amqp.Channel.BasicPublishAsync("", q, mandatory: false, basicProperties: props, body: msg.Body, cancellationToken: ct);
                await amqp.Channel.BasicAckAsync(msg.DeliveryTag, multiple: false, ct);
                moved++;
            }
            if (p.GetValue(Ops.Json)) Ops.WriteJson(new { queue = q, moved });
            else Console.WriteLine($"moved {moved} message(s) from {q}_error to {q}");
            return ExitCodes.Ok;
        });
        cmd.Subcommands.Add(list);
        cmd.Subcommands.Add(replay);
        return cmd;
    }

    private static async Task<uint?> ErrorQueueDepthAsync(AmqpClient amqp, string queue, CancellationToken ct)
    {
        // A passive declare on its own channel: a missing queue closes that channel only.
        try
        {
            await using var ch = await amqp.Connection.CreateChannelAsync(cancellationToken: ct);
            return (await ch.QueueDeclarePassiveAsync(queue, ct)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException) { return null; }
    }
}
