using System.Diagnostics;

/// <summary>CPU time of this process (worker + client) and of the broker and database servers, for
/// benchmarks: "CPU per job" is what bounds throughput on a small machine.</summary>
static class CpuUsage
{
    /// <summary>CPU milliseconds used so far, keyed "this process" or "name/pid" for each RabbitMQ
    /// and PostgreSQL process (so that processes which exit in between can be left out).</summary>
    public static Dictionary<string, double> Snapshot()
    {
        var d = new Dictionary<string, double> { ["this process (worker + client)"] = Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds };
        if (!OperatingSystem.IsLinux()) return d;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
                var name = stat[(open + 1)..close] switch { "beam.smp" => "rabbitmq", "postgres" => "postgresql", _ => null };
                if (name is null) continue;
                var f = stat[(close + 2)..].Split(' ');
                d[$"{name}/{Path.GetFileName(dir)}"] = (long.Parse(f[11]) + long.Parse(f[12])) * 10.0; // utime + stime, in 1/100 s
            }
            catch (Exception) { } // the process exited
        }
        return d;
    }

    /// <summary>"this process 1.23, postgresql 0.45, rabbitmq 0.12 (servers: all their clients)", per job.</summary>
    public static string PerJob(Dictionary<string, double> before, Dictionary<string, double> after, int jobs) =>
        string.Join(", ", after
            .Where(kv => !kv.Key.Contains('/') || !before.ContainsKey(kv.Key) || kv.Value >= before[kv.Key])
            .GroupBy(kv => kv.Key.Split('/')[0])
            .Select(g => $"{g.Key} {g.Sum(kv => kv.Value - before.GetValueOrDefault(kv.Key)) / jobs:F2}"))
        + " (servers: all their clients)";
}
