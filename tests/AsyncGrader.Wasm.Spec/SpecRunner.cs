using System.Diagnostics;

namespace AsyncGrader.Wasm.Spec;

public sealed class SpecRunnerOptions
{
    /// <summary>Wall-clock budget of one command (instantiation or call); the store is interrupted after it.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Where spectest.print* write; null: they do nothing.</summary>
    public TextWriter? PrintOutput { get; init; }

    /// <summary>Run only commands whose type is listed (module/register/action always run, they set up state). Null: all.</summary>
    public IReadOnlySet<string>? OnlyAssertions { get; init; }

    /// <summary>
    /// With an engine that consumes fuel: the budget each script's store starts with, so that every
    /// command runs metered as the worker runs guests (the results must not change).
    /// </summary>
    public long FuelBudget { get; init; } = long.MaxValue / 4;
}

/// <summary>A command that did not behave as the script expects.</summary>
public sealed record CommandFailure(string File, int Line, string CommandType, string Message)
{
    public override string ToString() => $"{File}:{Line}: {CommandType}: {Message}";
}

public sealed class CommandTypeStats
{
    public int Passed { get; internal set; }
    public int Failed { get; internal set; }
    public int Skipped { get; internal set; }
    public int Total => Passed + Failed + Skipped;
}

/// <summary>Outcome of one script.</summary>
public sealed class FileResult
{
    internal FileResult(string file) => File = file;

    public string File { get; }
    public int Passed { get; private set; }
    public int Failed { get; private set; }
    public int Skipped { get; private set; }
    public TimeSpan Elapsed { get; internal set; }
    public List<CommandFailure> Failures { get; } = [];

    /// <summary>Passed commands worth knowing about (e.g. an invalid module rejected by the decoder, not the validator).</summary>
    public List<string> Notes { get; } = [];

    internal void Note(int line, string message) => Notes.Add($"line {line}: {message}");

    /// <summary>Results by command type (assert_malformed is split into "assert_malformed" and "assert_malformed(text)").</summary>
    public SortedDictionary<string, CommandTypeStats> ByType { get; } = new(StringComparer.Ordinal);

    internal void Pass(string type) { Passed++; Stats(type).Passed++; }
    internal void Skip(string type) { Skipped++; Stats(type).Skipped++; }
    internal void Fail(string type, int line, string message)
    {
        Failed++;
        Stats(type).Failed++;
        Failures.Add(new CommandFailure(File, line, type, message));
    }

    private CommandTypeStats Stats(string type)
    {
        if (!ByType.TryGetValue(type, out var s)) ByType[type] = s = new CommandTypeStats();
        return s;
    }

    public string Summary => $"{File}: {Passed} passed, {Failed} failed, {Skipped} skipped";
    public override string ToString() => Summary;
}

/// <summary>
/// Runs wast2json scripts against the engine. One <see cref="Engine"/> for all scripts; one
/// <see cref="Store"/> and <see cref="Linker"/> per script (spec semantics: a script's modules share a store).
/// Every command runs under a guard: an exception the command does not expect is a failure of that
/// command, never of the runner.
/// </summary>
public sealed class SpecRunner
{
    private readonly HostRefs _refs = new();

    public SpecRunner(Engine engine, SpecRunnerOptions? options = null)
    {
        Engine = engine;
        Options = options ?? new SpecRunnerOptions();
    }

    public Engine Engine { get; }
    public SpecRunnerOptions Options { get; }

    public FileResult RunFile(string jsonPath)
    {
        var sw = Stopwatch.StartNew();
        var result = new FileResult(Path.GetFileName(jsonPath));
        SpecScript script;
        try
        {
            script = SpecScript.Load(jsonPath);
        }
        catch (Exception e)
        {
            result.Fail("script", 0, $"cannot read the script: {Describe(e)}");
            return result;
        }
        Run(script, result);
        result.Elapsed = sw.Elapsed;
        return result;
    }

    /// <summary>A result for a script whose run failed outside any command (a harness bug); counts one failure.</summary>
    public static FileResult Crashed(string file, Exception e)
    {
        var result = new FileResult(file);
        result.Fail("runner", 0, $"the runner failed: {e}");
        return result;
    }

    public FileResult Run(SpecScript script)
    {
        var sw = Stopwatch.StartNew();
        var result = new FileResult(script.FileName);
        Run(script, result);
        result.Elapsed = sw.Elapsed;
        return result;
    }

    private void Run(SpecScript script, FileResult result)
    {
        ScriptState state;
        try
        {
            state = new ScriptState(Engine, Options);
        }
        catch (Exception e)
        {
            result.Fail("setup", 0, $"cannot create the store/linker: {Describe(e)}");
            return;
        }

        try
        {
            SpectestHost.Define(state.Linker, state.Store, Options.PrintOutput);
        }
        catch (Exception e)
        {
            // Counted once; modules importing spectest will then fail to link on their own.
            result.Fail("setup", 0, $"cannot define the spectest host module: {Describe(e)}");
        }

        foreach (var command in script.Commands)
        {
            string type = command.Type == "assert_malformed" && command.IsTextModule ? "assert_malformed(text)" : command.Type;
            if (command.IsTextModule)
            {
                // wast2json keeps text-format modules as .wat; the engine only reads binaries.
                result.Skip(type);
                continue;
            }
            if (Options.OnlyAssertions is { } only && !only.Contains(command.Type)
                && command.Type is not ("module" or "register" or "action"))
            {
                result.Skip(type);
                continue;
            }

            string? failure;
            try
            {
                failure = Execute(script, state, command, result);
            }
            catch (Exception e)
            {
                failure = $"unexpected {Describe(e)}";
            }
            finally
            {
                try { state.Store.ResetInterrupt(); } catch { /* never fatal */ }
            }

            if (failure is null) result.Pass(type);
            else result.Fail(type, command.Line, failure);
        }
    }

    private sealed class ScriptState
    {
        public ScriptState(Engine engine, SpecRunnerOptions options)
        {
            Store = new Store(engine);
            if (engine.Config.ConsumeFuel) Store.SetFuel(options.FuelBudget);
            Linker = new Linker(engine) { AllowShadowing = true };
            Timeout = options.CommandTimeout;
        }

        public Store Store { get; }
        public Linker Linker { get; }
        public TimeSpan Timeout { get; }
        public Instance? Current { get; set; }
        public Dictionary<string, Instance> Named { get; } = new(StringComparer.Ordinal);

        public void Arm() => Store.SetDeadline(Timeout);
    }

    /// <summary>Runs one command: null if it behaved as expected, else what went wrong. May throw (the caller guards).</summary>
    private string? Execute(SpecScript script, ScriptState state, SpecCommand command, FileResult result)
    {
        switch (command.Type)
        {
            case "module":
            {
                // A module that fails to load leaves no current module: later commands must not test a stale one.
                state.Current = null;
                var module = Module.Compile(Engine, File.ReadAllBytes(script.ModulePath(command)), command.Filename);
                state.Arm();
                var instance = state.Linker.Instantiate(state.Store, module);
                state.Current = instance;
                if (command.Name is not null) state.Named[command.Name] = instance;
                return null;
            }

            case "register":
            {
                var instance = Resolve(state, command.Name, out var error);
                if (instance is null) return error;
                state.Linker.DefineInstance(command.As ?? throw new FormatException("register without 'as'"), instance);
                return null;
            }

            case "action":
            {
                var outcome = Perform(state, command);
                return outcome.Error;
            }

            case "assert_return":
            {
                var outcome = Perform(state, command);
                if (outcome.Error is not null) return outcome.Error;
                var results = outcome.Results!;
                if (results.Length != command.Expected.Count)
                    return $"{command.Action}: expected {command.Expected.Count} result(s) [{string.Join(", ", command.Expected.Select(SpecValues.Format))}], got {results.Length} [{string.Join(", ", results.Select(SpecValues.Format))}]";
                for (int i = 0; i < results.Length; i++)
                {
                    var mismatch = SpecValues.Mismatch(command.Expected[i], results[i], _refs);
                    if (mismatch is not null) return $"{command.Action}: result {i}: {mismatch}";
                }
                return null;
            }

            case "assert_trap":
            case "assert_exhaustion":
            {
                var expectedKind = command.Type == "assert_exhaustion" ? TrapKind.CallStackExhausted : TrapKinds.ForText(command.Text);
                var outcome = Perform(state, command, catchTraps: false, out var trap);
                if (outcome.Error is not null) return outcome.Error;
                if (trap is null)
                    return $"{command.Action}: expected trap \"{command.Text}\", got result(s) [{string.Join(", ", outcome.Results!.Select(SpecValues.Format))}]";
                return TrapKinds.Check(command.Text, expectedKind, trap);
            }

            case "assert_malformed":
            {
                try
                {
                    Module.Compile(Engine, File.ReadAllBytes(script.ModulePath(command)), command.Filename);
                }
                catch (WasmDecodeException) { return null; }
                catch (WasmValidationException) { return null; }
                return $"{command.Filename}: expected malformed (\"{command.Text}\"), but the module compiled";
            }

            case "assert_invalid":
            {
                try
                {
                    Module.Compile(Engine, File.ReadAllBytes(script.ModulePath(command)), command.Filename);
                }
                catch (WasmValidationException) { return null; }
                catch (WasmDecodeException e)
                {
                    // Accepted, as by wabt's spectest-interp and V8: wast2json sometimes encodes an invalid text
                    // module as a malformed binary (e.g. data.drop without a data count section, memory_init.wast).
                    result.Note(command.Line, $"assert_invalid: {command.Filename} (\"{command.Text}\") was rejected while decoding: {e.Message}");
                    return null;
                }
                return $"{command.Filename}: expected invalid (\"{command.Text}\"), but the module compiled";
            }

            case "assert_unlinkable":
            {
                var module = Module.Compile(Engine, File.ReadAllBytes(script.ModulePath(command)), command.Filename);
                state.Arm();
                try
                {
                    state.Linker.Instantiate(state.Store, module);
                }
                catch (WasmLinkException) { return null; }
                return $"{command.Filename}: expected unlinkable (\"{command.Text}\"), but it instantiated";
            }

            case "assert_uninstantiable":
            {
                var module = Module.Compile(Engine, File.ReadAllBytes(script.ModulePath(command)), command.Filename);
                state.Arm();
                try
                {
                    state.Linker.Instantiate(state.Store, module);
                }
                catch (WasmTrap trap)
                {
                    return TrapKinds.Check(command.Text, TrapKinds.ForText(command.Text), trap);
                }
                return $"{command.Filename}: expected uninstantiable (trap \"{command.Text}\"), but it instantiated";
            }

            default:
                return $"unsupported command type '{command.Type}'";
        }
    }

    private readonly record struct Outcome(Value[]? Results, string? Error);

    private Outcome Perform(ScriptState state, SpecCommand command) => Perform(state, command, catchTraps: true, out _);

    /// <summary>Runs the command's action. Traps are errors unless <paramref name="catchTraps"/> is false (then returned in <paramref name="trap"/>).</summary>
    private Outcome Perform(ScriptState state, SpecCommand command, bool catchTraps, out WasmTrap? trap)
    {
        trap = null;
        var action = command.Action ?? throw new FormatException($"{command.Type} without an action");
        var instance = Resolve(state, action.Module, out var error);
        if (instance is null) return new Outcome(null, error);

        switch (action.Type)
        {
            case "invoke":
            {
                var func = instance.GetFunction(action.Field);
                if (func is null)
                    return new Outcome(null, $"{action}: no exported function \"{action.Field}\"" +
                        (instance.GetExport(action.Field) is { } other ? $" (the export is a {other.GetType().Name})" : ""));
                var args = new Value[action.Args.Count];
                for (int i = 0; i < args.Length; i++) args[i] = SpecValues.ToValue(action.Args[i], _refs);
                state.Arm();
                try
                {
                    return new Outcome(func.Invoke(args), null);
                }
                catch (WasmTrap t) when (!catchTraps)
                {
                    trap = t;
                    return new Outcome(null, null);
                }
                catch (WasmTrap t)
                {
                    return new Outcome(null, $"{action}: unexpected trap: {TrapKinds.Describe(t, state.Timeout)}");
                }
            }

            case "get":
            {
                var global = instance.GetGlobal(action.Field);
                if (global is null) return new Outcome(null, $"{action}: no exported global \"{action.Field}\"");
                return new Outcome([global.Value], null);
            }

            default:
                return new Outcome(null, $"unsupported action type '{action.Type}'");
        }
    }

    private static Instance? Resolve(ScriptState state, string? name, out string? error)
    {
        error = null;
        if (name is null)
        {
            if (state.Current is null) error = "no current module (the last module command failed or none ran)";
            return state.Current;
        }
        if (state.Named.TryGetValue(name, out var instance)) return instance;
        error = $"no module named {name} (it failed to load or was never defined)";
        return null;
    }

    internal static string Describe(Exception e)
    {
        string text = e switch
        {
            WasmTrap t => $"WasmTrap({t.Kind}): {t.Message}",
            _ => $"{e.GetType().Name}: {e.Message}",
        };
        if (e is NotImplementedException or NullReferenceException or IndexOutOfRangeException or InvalidCastException
            or ArgumentException or InvalidOperationException)
        {
            // Engine bugs: say where.
            var frame = e.StackTrace?.Split('\n').FirstOrDefault()?.Trim();
            if (!string.IsNullOrEmpty(frame)) text += $" [{frame}]";
        }
        return text;
    }
}

/// <summary>Maps the spec's trap texts to <see cref="TrapKind"/>.</summary>
public static class TrapKinds
{
    /// <summary>The expected kind for a trap text, or null when the harness does not know the text (then any trap passes).</summary>
    public static TrapKind? ForText(string? text) => text switch
    {
        null => null,
        "out of bounds memory access" => TrapKind.MemoryOutOfBounds,
        "out of bounds table access" => TrapKind.TableOutOfBounds,
        // call_indirect with an index past the table's end (the reference interpreter's wording).
        "undefined element" => TrapKind.TableOutOfBounds,
        // call_indirect on a null entry; the suite also has "uninitialized element 2".
        _ when text.StartsWith("uninitialized element", StringComparison.Ordinal) => TrapKind.UninitializedElement,
        "indirect call type mismatch" => TrapKind.IndirectCallTypeMismatch,
        "integer divide by zero" => TrapKind.IntegerDivideByZero,
        "integer overflow" => TrapKind.IntegerOverflow,
        "invalid conversion to integer" => TrapKind.InvalidConversionToInteger,
        "unreachable" => TrapKind.Unreachable,
        "call stack exhausted" => TrapKind.CallStackExhausted,
        _ when text.StartsWith("null", StringComparison.Ordinal) => TrapKind.NullReference,
        _ => null,
    };

    public static string? Check(string? text, TrapKind? expected, WasmTrap trap)
    {
        if (expected is null || trap.Kind == expected) return null;
        return $"expected trap \"{text}\" (TrapKind.{expected}), got WasmTrap(TrapKind.{trap.Kind}): {trap.Message}";
    }

    public static string Describe(WasmTrap t, TimeSpan timeout) => t.Kind == TrapKind.Interrupted
        ? $"timed out (interrupted after {timeout.TotalSeconds:0.#} s)"
        : $"WasmTrap(TrapKind.{t.Kind}): {t.Message}";
}
