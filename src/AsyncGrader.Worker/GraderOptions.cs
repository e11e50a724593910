namespace AsyncGrader.Worker;

/// <summary>Configuration section "AsyncGrader" (environment: AsyncGrader__Key, or the shortcuts below).</summary>
public sealed class GraderOptions
{
    public const string Section = "AsyncGrader";

    /// <summary>amqp://user:pass@host:port/vhost. Environment shortcut: ASYNCGRADER_RABBITMQ.</summary>
    public string RabbitMq { get; set; } = "amqp://guest:guest@127.0.0.1:5672/";
    /// <summary>Npgsql connection string. Environment shortcut: ASYNCGRADER_POSTGRES.</summary>
    public string Postgres { get; set; } = "Host=127.0.0.1;Database=asyncgrader;Username=asyncgrader;Password=asyncgrader";

    /// <summary>Queue of GradeRequested commands.</summary>
    public string QueueName { get; set; } = "grade-requests";
    /// <summary>Sandbox slots: jobs run at once by this worker (0 = processor count).</summary>
    public int Concurrency { get; set; }
    /// <summary>Live messages in flight (0 = 4 × Concurrency): more than the slots, so that one job's
    /// database and broker round trips overlap another's run.</summary>
    public int MessageConcurrency { get; set; }
    /// <summary>Unacknowledged messages held by this worker (0 = MessageConcurrency + Concurrency).
    /// Jobs can be long, so a much larger prefetch only hides work from idle workers.</summary>
    public int PrefetchCount { get; set; }
    /// <summary>x-max-priority of the queue (0 disables priorities). Changing it needs a new queue.</summary>
    public int MaxPriority { get; set; } = 10;

    /// <summary>Apply pending migrations when the worker starts.</summary>
    public bool MigrateOnStart { get; set; }

    /// <summary>Largest accepted message body.</summary>
    public int MaxMessageBytes { get; set; } = 16 * 1024 * 1024;

    public LimitCaps Caps { get; set; } = new();

    /// <summary>Retries of infrastructure faults (database, broker, host faults of the sandbox).</summary>
    public int RetryLimit { get; set; } = 30;
    public int RetryMinMs { get; set; } = 200;
    public int RetryMaxMs { get; set; } = 30_000;

    /// <summary>A claimed job's lease: its wall-clock limit plus this. A redelivered job whose
    /// lease has not expired waits (retry) instead of running twice.</summary>
    public int LeaseGraceMs { get; set; } = 15_000;

    /// <summary>How often the outbox publisher looks for completions nobody published.</summary>
    public int OutboxPollMs { get; set; } = 1_000;
    /// <summary>Age after which an unpublished outbox row is the outbox publisher's: until then it
    /// belongs to the consumer that committed it (which publishes it at once).</summary>
    public int OutboxGraceMs { get; set; } = 5_000;
    /// <summary>How often the queue depth is sampled for /metrics.</summary>
    public int QueueDepthSampleMs { get; set; } = 5_000;

    /// <summary>Time allowed for in-flight jobs to finish on shutdown (then they return to the queue).</summary>
    public int ShutdownTimeoutMs { get; set; } = 60_000;

    public int EffectiveConcurrency => Concurrency > 0 ? Concurrency : Environment.ProcessorCount;
    public int EffectiveMessageConcurrency => MessageConcurrency > 0 ? MessageConcurrency : 4 * EffectiveConcurrency;
    public int EffectivePrefetch => PrefetchCount > 0 ? PrefetchCount : EffectiveMessageConcurrency + EffectiveConcurrency;
}

/// <summary>Operator caps on job limits, and defaults for limits the job leaves out.</summary>
public sealed class LimitCaps
{
    public long MaxFuel { get; set; } = 20_000_000_000;
    public long MaxMemoryBytes { get; set; } = 512L * 1024 * 1024;
    public int MaxWallClockMs { get; set; } = 30_000;
    public int MaxOutputBytes { get; set; } = 1024 * 1024;

    /// <summary>"reject" (default): a job asking for more than a cap is rejected (bad input).
    /// "clamp": the limit is lowered to the cap.</summary>
    public string Policy { get; set; } = "reject";

    /// <summary>Code + submission + files, decoded.</summary>
    public long MaxJobBytes { get; set; } = 8L * 1024 * 1024;
}
