using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AsyncGrader.Sandbox;

namespace AsyncGrader.Sandbox.Tests;

/// <summary>
/// The python-3.11 runtime through the real engine, WASI host and sandbox (runtimes/python-3.11/README.md
/// is the specification these tests check).
/// </summary>
[Collection("sandbox")]
public sealed class PythonRuntimeTests(SandboxFixture f)
{
    private const string Py = "python-3.11";

    private Task<SandboxOutcome> Run(string code, string globals = "{}", string? submission = null, ulong? seed = null,
        string options = "{}", JobLimits? limits = null, IReadOnlyDictionary<string, byte[]>? files = null) =>
        f.Run(Py, code, globals, submission, seed, options, limits, files);

    private async Task<SandboxOutcome> Ok(string code, string globals = "{}", string? submission = null, ulong? seed = null,
        string options = "{}", JobLimits? limits = null, IReadOnlyDictionary<string, byte[]>? files = null)
    {
        var o = await Run(code, globals, submission, seed, options, limits, files);
        Assert.True(o.Status == JobStatus.Succeeded, $"expected Succeeded, got {o.Status}: {o.Error}\nstdout: {o.Stdout}\nstderr: {o.Stderr}");
        return o;
    }

    private static JsonObject Globals(SandboxOutcome o) => JsonNode.Parse(o.GlobalsJson)!.AsObject();

    // ---- globals and json_safe ------------------------------------------------------------------

    [Fact]
    public async Task Globals_in_and_out_in_insertion_order()
    {
        var o = await Ok("y = x + 1\nz = [x, y, 'é']\nx = 'rebound'", globals: """{"x": 41, "keep": {"a": [1, 2.5, null, true]}}""");
        Assert.Equal("""{"x":"rebound","keep":{"a":[1,2.5,null,true]},"y":42,"z":[41,42,"\u00e9"]}""", o.GlobalsJson);
        Assert.Null(o.Grade);
        Assert.Equal(Py, o.RuntimeName);
        Assert.Equal(f.Sandbox.Registry.Get(Py).Manifest.Sha256, o.RuntimeSha256);
    }

    [Fact]
    public async Task Json_safe_filters_and_converts_like_codejail()
    {
        var o = await Ok("""
            import math
            import math as m
            t = (1, 2, (3, 4))
            b = b"bytes"
            nested_b = [b"x", (b"y",)]
            d = {1: "int", 2.5: "float", None: "none", False: "bool", "s": "str"}
            s = {1, 2}
            fs = frozenset([1])
            fn = lambda: 1
            def g(): pass
            class C: pass
            inst = C()
            set_inside = [1, {2}]
            tuple_key = {(1, 2): 3}
            bad_bytes = b"\xff"
            big = 10 ** 5000
            cyc = []
            cyc.append(cyc)
            ok = "kept"
            """);
        Assert.Equal(
            """{"t":[1,2,[3,4]],"b":"bytes","nested_b":["x",["y"]],"d":{"1":"int","2.5":"float","null":"none","false":"bool","s":"str"},"ok":"kept"}""",
            o.GlobalsJson);
        Assert.DoesNotContain("__builtins__", o.GlobalsJson);
    }

    [Fact]
    public async Task NaN_and_Infinity_round_trip_as_python_json_literals()
    {
        var input = """{"a":NaN,"b":[Infinity,-Infinity,1e300,-0.5]}""";
        var o = await Ok("ok = a != a and b[0] == float('inf') and b[1] == -float('inf')\nc = float('nan')\nd = -float('inf')", globals: input);
        Assert.Equal("""{"a":NaN,"b":[Infinity,-Infinity,1e+300,-0.5],"ok":true,"c":NaN,"d":-Infinity}""", o.GlobalsJson);
        // the output fed back in gives the same output
        var again = await Ok("", globals: o.GlobalsJson);
        Assert.Equal(o.GlobalsJson, again.GlobalsJson);
    }

    [Fact]
    public async Task Builtins_are_never_output_even_when_the_code_binds_them()
    {
        var o = await Ok("__builtins__ = {'x': 1}\nimport warnings\nwarnings.warn('w')\nv = 1");
        Assert.Equal("""{"v":1}""", o.GlobalsJson);
    }

    [Fact]
    public async Task Submission_binding_and_globals_win()
    {
        var o = await Ok("seen = submission", globals: """{"x":1}""", submission: "42");
        Assert.Equal("""{"x":1,"submission":"42","seen":"42"}""", o.GlobalsJson);
        o = await Ok("seen = submission", globals: """{"submission":"from globals"}""", submission: "from job");
        Assert.Equal("""{"submission":"from globals","seen":"from globals"}""", o.GlobalsJson);
        o = await Ok("bound = 'submission' in globals()");
        Assert.Equal("""{"bound":false}""", o.GlobalsJson);
        o = await Ok("seen = submission", submission: "");
        Assert.Equal("""{"submission":"","seen":""}""", o.GlobalsJson);
    }

    [Fact]
    public async Task Grade_fields_are_read_from_the_globals()
    {
        var o = await Ok("correct = abs(float(submission) - 3.14) < 0.01\nscore = 1 if correct else 0\nmsg = 'Good: ' + submission",
            submission: "3.141");
        Assert.Equal(new Grade(true, 1.0, "Good: 3.141"), o.Grade);
        o = await Ok("correct = False\nscore = 0.25\nmsg = ''");
        Assert.Equal(new Grade(false, 0.25, ""), o.Grade);
        // wrong types/ranges are ignored, with a note on stderr
        o = await Ok("correct = 1\nscore = 1.5\nmsg = 3");
        Assert.Null(o.Grade);
        Assert.Contains("global 'score' ignored", o.Stderr);
        Assert.Contains("global 'correct' ignored", o.Stderr);
        o = await Ok("score = True");
        Assert.Null(o.Grade);
    }

    [Fact]
    public async Task Python_lib_zip_modules_import_and_their_tracebacks_name_the_zip()
    {
        var zip = BuildZip(new()
        {
            ["graderlib/__init__.py"] = "VERSION = 'v1'\n",
            ["graderlib/checks.py"] = "def close(a, b, tol=1e-6):\n    return abs(float(a) - float(b)) <= tol\n\ndef boom():\n    raise ValueError('from the library')\n",
        });
        var files = new Dictionary<string, byte[]> { ["python_lib.zip"] = zip };
        var o = await Ok("import graderlib\nfrom graderlib.checks import close\ncorrect = close(submission, 2.0)\nv = graderlib.VERSION\nhere = __import__('os').getcwd()",
            submission: "2.0000001", files: files);
        Assert.Equal(true, o.Grade?.Correct);
        Assert.Equal("v1", (string?)Globals(o)["v"]);
        Assert.Equal("/job", (string?)Globals(o)["here"]);

        var e = await Run("from graderlib.checks import boom\nboom()", files: files);
        Assert.Equal(JobStatus.Error, e.Status);
        Assert.Contains("/job/python_lib.zip/graderlib/checks.py\", line 5, in boom", e.Error);
        Assert.Contains("raise ValueError('from the library')", e.Error);

        // without the zip, the module is not there (nothing was cached from the previous job)
        var missing = await Run("import graderlib");
        Assert.Equal(JobStatus.Error, missing.Status);
        Assert.Contains("ModuleNotFoundError: No module named 'graderlib'", missing.Error);
    }

    private static byte[] BuildZip(Dictionary<string, string> entries)
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, text) in entries)
            {
                using var s = zip.CreateEntry(name).Open();
                s.Write(Encoding.UTF8.GetBytes(text));
            }
        }
        return ms.ToArray();
    }

    // ---- statuses ---------------------------------------------------------------------------------

    [Fact]
    public async Task Error_traceback_points_at_the_authors_line_and_globals_are_the_input()
    {
        const string input = """{"keep": [1, 2]}""";
        var o = await Run("a = 1\n\ndef check(x):\n    return 10 / x\n\ncorrect = True\ncheck(0)\n", globals: input);
        Assert.Equal(JobStatus.Error, o.Status);
        Assert.Equal(input, o.GlobalsJson);
        Assert.Null(o.Grade);
        Assert.StartsWith("Traceback (most recent call last):", o.Error);
        Assert.Contains("File \"jailed_code\", line 7, in <module>", o.Error);
        Assert.Contains("File \"jailed_code\", line 4, in check", o.Error);
        Assert.Contains("return 10 / x", o.Error);
        Assert.Contains("ZeroDivisionError: division by zero", o.Error);
        Assert.DoesNotContain("_asyncgrader", o.Error);
    }

    [Fact]
    public async Task Syntax_error_names_the_line()
    {
        var o = await Run("correct = True\nx = = 1\n", globals: """{"a":1}""");
        Assert.Equal(JobStatus.SyntaxError, o.Status);
        Assert.Equal("""{"a":1}""", o.GlobalsJson);
        Assert.Contains("File \"jailed_code\", line 2", o.Error);
        Assert.Contains("SyntaxError: invalid syntax", o.Error);
        Assert.Null(o.Grade);
        // a SyntaxError raised at run time is an ordinary error
        o = await Run("eval('1 +')");
        Assert.Equal(JobStatus.Error, o.Status);
    }

    [Theory]
    [InlineData("import sys\nsys.exit(3)")]
    [InlineData("exit()")]
    [InlineData("quit(0)")]
    [InlineData("raise SystemExit('bye')")]
    public async Task SystemExit_status(string code)
    {
        var o = await Run(code);
        Assert.Equal(JobStatus.SystemExit, o.Status);
        Assert.Contains("SystemExit", o.Error);
    }

    [Fact]
    public async Task KeyboardInterrupt_status()
    {
        var o = await Run("raise KeyboardInterrupt");
        Assert.Equal(JobStatus.KeyboardInterrupt, o.Status);
        Assert.Contains("KeyboardInterrupt", o.Error);
    }

    [Fact]
    public async Task MemoryError_raised_by_python_without_reaching_the_limit()
    {
        // [0] * 2**29 needs 4 GiB: CPython refuses it without growing memory.
        var o = await Run("x = [0] * 2**29");
        Assert.Equal(JobStatus.MemoryError, o.Status);
        Assert.Contains("MemoryError", o.Error);
    }

    [Fact]
    public async Task Allocation_past_the_job_memory_limit_is_MemoryExceeded()
    {
        // The sandbox maps the guest's memory-error to MemoryExceeded when the store's limit refused memory.grow.
        var o = await Run("chunks = []\nwhile True:\n    chunks.append(bytearray(4 << 20))", limits: new JobLimits(MemoryBytes: 64L << 20));
        Assert.Equal(JobStatus.MemoryExceeded, o.Status);
        Assert.True(o.PeakMemoryBytes <= 64L << 20, $"peak {o.PeakMemoryBytes}");
        Assert.True(o.PeakMemoryBytes > 32L << 20, $"peak {o.PeakMemoryBytes}");
        // caught: the job goes on and succeeds
        var c = await Ok("try:\n    b = bytearray(100 << 20)\nexcept MemoryError:\n    msg = 'caught'", limits: new JobLimits(MemoryBytes: 64L << 20));
        Assert.Equal("caught", c.Grade?.Msg);
    }

    [Fact]
    public async Task Memory_limit_below_the_snapshot_is_MemoryExceeded_before_running()
    {
        var o = await Run("x = 1", limits: new JobLimits(MemoryBytes: 1 << 20));
        Assert.Equal(JobStatus.MemoryExceeded, o.Status);
        Assert.Contains("to start", o.Error);
    }

    [Fact]
    public async Task RecursionError_in_pure_python()
    {
        var o = await Run("def f(n):\n    return f(n + 1) + 1\nf(0)");
        Assert.Equal(JobStatus.RecursionError, o.Status);
        Assert.Contains("RecursionError: maximum recursion depth exceeded", o.Error);
    }

    [Theory]
    [InlineData("class A:\n    def __getattr__(self, n):\n        return getattr(self, n)\nA().x")]
    [InlineData("import functools\n@functools.lru_cache(None)\ndef f(n):\n    return f(n + 1)\nf(0)")]
    [InlineData("def f(n):\n    return sorted([1, 2], key=lambda x: f(n + 1))\nf(0)")]
    [InlineData("class R:\n    def __repr__(self):\n        return repr(self)\nrepr(R())")]
    public async Task RecursionError_through_C_code_is_a_python_RecursionError_not_a_host_stack_fault(string code)
    {
        // README: recursion through C nests Wasm calls (~10 per level); the host must allow ~12,000 nested calls.
        var o = await Run(code);
        Assert.Equal(JobStatus.RecursionError, o.Status);
        Assert.Contains("RecursionError", o.Error);
        Assert.DoesNotContain("call stack exhausted", o.Error);
    }

    [Fact]
    public async Task Fuel_exhaustion_uses_exactly_the_limit()
    {
        const long fuel = 300_000_000;
        var o = await Run("while True:\n    pass", limits: new JobLimits(Fuel: fuel));
        Assert.Equal(JobStatus.FuelExhausted, o.Status);
        Assert.Equal(fuel, o.FuelLimit);
        Assert.Equal(fuel, o.FuelUsed);
        Assert.Equal("{}", o.GlobalsJson);
    }

    [Fact]
    public async Task Busy_loop_past_the_wall_clock_is_TimedOut()
    {
        var o = await Run("while True:\n    pass", limits: new JobLimits(Fuel: 20_000_000_000, TimeoutMs: 500));
        Assert.Equal(JobStatus.TimedOut, o.Status);
        Assert.True(o.Duration < TimeSpan.FromSeconds(10), $"took {o.Duration}");
    }

    [Fact]
    public async Task Sleep_past_the_wall_clock_is_TimedOut_without_waiting()
    {
        var o = await Run("import time\ntime.sleep(5)\ncorrect = True", limits: new JobLimits(TimeoutMs: 500));
        Assert.Equal(JobStatus.TimedOut, o.Status);
        Assert.True(o.Duration < TimeSpan.FromSeconds(4), $"took {o.Duration}");
        // a short sleep works
        var s = await Ok("import time\nt0 = time.monotonic()\ntime.sleep(0.05)\nslept = time.monotonic() - t0 >= 0.045");
        Assert.Equal(true, (bool?)Globals(s)["slept"]);
    }

    [Fact]
    public async Task Output_past_the_limit_is_truncated()
    {
        var o = await Run("for i in range(1000):\n    print('line', i, 'x' * 50)\ncorrect = True", limits: new JobLimits(OutputBytes: 1000));
        Assert.Equal(JobStatus.OutputTruncated, o.Status);
        Assert.True(o.StdoutTruncated);
        Assert.False(o.StderrTruncated);
        Assert.True(Encoding.UTF8.GetByteCount(o.Stdout) <= 1000, $"{o.Stdout.Length} chars");
        Assert.StartsWith("line 0 ", o.Stdout);
        // output below the limit is kept whole
        var k = await Ok("print('hello')\nimport sys\nprint('err', file=sys.stderr)");
        Assert.Equal("hello\n", k.Stdout);
        Assert.Equal("err\n", k.Stderr);
        Assert.False(k.StdoutTruncated);
    }

    [Theory]
    [InlineData("[1, 2]")]
    [InlineData("{\"a\":")]
    [InlineData("null")]
    [InlineData("\"str\"")]
    public async Task Globals_not_a_json_object_is_InvalidJob(string globals)
    {
        var o = await Run("correct = True", globals: globals);
        Assert.Equal(JobStatus.InvalidJob, o.Status);
        Assert.Equal(globals, o.GlobalsJson);
        Assert.StartsWith("invalid job:", o.Error);
        Assert.Null(o.Grade);
    }

    [Theory]
    [InlineData("{\"unknown\": 1}")]
    [InlineData("{\"random_compat\": \"python4\"}")]
    [InlineData("[1]")]
    public async Task Bad_options_are_InvalidJob(string options)
    {
        var o = await Run("correct = True", options: options);
        Assert.Equal(JobStatus.InvalidJob, o.Status);
    }

    [Fact]
    public async Task Unknown_runtime_and_sha256_pin_mismatch_are_Rejected()
    {
        var u = await f.Sandbox.RunAsync(new SandboxJob { Runtime = "cobol-85", Code = "x = 1" });
        Assert.Equal(JobStatus.Rejected, u.Status);
        Assert.Contains("unknown runtime", u.Error);
        Assert.Contains(Py, u.Error);

        f.Require(Py);
        var sha = f.Sandbox.Registry.Get(Py).Manifest.Sha256;
        var wrong = new string('0', 64);
        var m = await f.Sandbox.RunAsync(new SandboxJob { Runtime = Py, Code = "x = 1", RuntimeSha256 = wrong });
        Assert.Equal(JobStatus.Rejected, m.Status);
        Assert.Contains(wrong, m.Error);
        Assert.Equal(0, m.FuelUsed);

        var pinned = await f.Sandbox.RunAsync(new SandboxJob { Runtime = Py, Code = "x = 1", RuntimeSha256 = sha.ToUpperInvariant() });
        Assert.Equal(JobStatus.Succeeded, pinned.Status);
    }

    // ---- stdlib -------------------------------------------------------------------------------------

    [Fact]
    public async Task Grader_stdlib_modules_import_and_work()
    {
        var o = await Ok("""
            import math, cmath, random, re, json, decimal, fractions, statistics, itertools, functools
            import collections, datetime, string, textwrap, difflib, hashlib, zlib, unicodedata, ast
            r = {}
            r['math'] = math.isclose(math.sqrt(2) ** 2, 2) and math.factorial(20) == 2432902008176640000
            r['cmath'] = abs(cmath.exp(1j * math.pi) + 1) < 1e-12
            random.seed(5); r['random'] = 0 <= random.random() < 1 and random.randint(1, 6) in range(1, 7)
            r['re'] = re.findall(r'(\d+)\s*cm', '12 cm and 7cm') == ['12', '7']
            r['json'] = json.loads(json.dumps({'a': [1, 2.5]})) == {'a': [1, 2.5]}
            decimal.getcontext().prec = 30
            r['decimal'] = str(decimal.Decimal(1) / decimal.Decimal(7)) == '0.142857142857142857142857142857'
            r['fractions'] = fractions.Fraction(1, 3) + fractions.Fraction(1, 6) == fractions.Fraction(1, 2)
            r['statistics'] = statistics.mean([1, 2, 3, 4]) == 2.5 and statistics.median([3, 1, 2]) == 2
            r['itertools'] = list(itertools.permutations('ab')) == [('a', 'b'), ('b', 'a')]
            r['functools'] = functools.reduce(lambda a, b: a * b, range(1, 6)) == 120
            r['collections'] = collections.Counter('hello').most_common(1) == [('l', 2)]
            r['datetime'] = (datetime.date(2024, 3, 1) - datetime.date(2024, 2, 1)).days == 29
            r['string'] = string.Template('$x!').substitute(x='hi') == 'hi!' and string.ascii_lowercase[:3] == 'abc'
            r['textwrap'] = textwrap.wrap('aaa bbb ccc', 7) == ['aaa bbb', 'ccc']
            r['difflib'] = round(difflib.SequenceMatcher(None, 'abcd', 'abce').ratio(), 2) == 0.75
            r['hashlib'] = hashlib.sha256(b'abc').hexdigest().startswith('ba7816bf') and hashlib.md5(b'').hexdigest() == 'd41d8cd98f00b204e9800998ecf8427e'
            r['zlib'] = zlib.decompress(zlib.compress(b'x' * 1000)) == b'x' * 1000 and zlib.crc32(b'abc') == 891568578
            r['unicodedata'] = unicodedata.name('é') == 'LATIN SMALL LETTER E WITH ACUTE' and unicodedata.normalize('NFD', 'é') == 'e\u0301'
            r['ast'] = ast.literal_eval('[1, (2, 3), {"a": None}]') == [1, (2, 3), {'a': None}]
            """);
        var r = Globals(o)["r"]!.AsObject();
        Assert.Equal(19, r.Count);
        foreach (var (name, value) in r) Assert.True(value!.GetValue<bool>(), $"{name} failed");
    }

    [Fact]
    public async Task What_cannot_work_fails_clearly_and_fast()
    {
        var o = await Ok("""
            import errno
            out = {}
            def attempt(name, fn):
                try:
                    fn()
                    out[name] = 'no error'
                except BaseException as e:
                    out[name] = type(e).__name__ + ': ' + str(e)
            def sock():
                import socket
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.connect(('93.184.216.34', 80))
            def conn():
                import socket
                socket.create_connection(('example.com', 80), timeout=1)
            def sub():
                import subprocess
                subprocess.run(['ls', '/'])
            def ct():
                import ctypes
            def mp():
                import multiprocessing
            def th():
                import threading
                threading.Thread(target=lambda: None).start()
            def url():
                import urllib.request
                urllib.request.urlopen('http://example.com/', timeout=1)
            for n, fn in [('socket', sock), ('create_connection', conn), ('subprocess', sub), ('ctypes', ct),
                          ('multiprocessing', mp), ('thread', th), ('urllib', url)]:
                attempt(n, fn)
            import os
            out['fork'] = hasattr(os, 'fork') or hasattr(os, 'system')
            """);
        var r = Globals(o)["out"]!.AsObject();
        Assert.Equal("OSError: [Errno 58] networking is not available in the AsyncGrader sandbox", (string?)r["socket"]);
        Assert.Equal("OSError: [Errno 58] networking is not available in the AsyncGrader sandbox", (string?)r["create_connection"]);
        Assert.StartsWith("OSError: [Errno 58]", (string?)r["subprocess"]);
        Assert.StartsWith("ImportError: No module named 'ctypes'", (string?)r["ctypes"]);
        Assert.StartsWith("ImportError: No module named 'multiprocessing'", (string?)r["multiprocessing"]);
        Assert.Equal("RuntimeError: can't start new thread", (string?)r["thread"]);
        Assert.StartsWith("URLError", (string?)r["urllib"]);
        Assert.Equal(false, (bool?)Globals(o)["out"]!["fork"]);
        Assert.True(o.Duration < TimeSpan.FromSeconds(5), $"took {o.Duration}");
    }

    // ---- random -------------------------------------------------------------------------------------

    private const string RandomCode = "import random\nr = [random.random() for _ in range(3)]\ni = [random.randint(1, 100) for _ in range(5)]";

    [Fact]
    public async Task Random_is_seeded_per_job_and_deterministic()
    {
        var a = await Ok(RandomCode, seed: 12345);
        var b = await Ok(RandomCode, seed: 12345);
        var c = await Ok(RandomCode, seed: 12346);
        var none = await Ok(RandomCode);
        var zero = await Ok(RandomCode, seed: 0);
        Assert.Equal(a.GlobalsJson, b.GlobalsJson);
        Assert.NotEqual(a.GlobalsJson, c.GlobalsJson);
        Assert.Equal(none.GlobalsJson, zero.GlobalsJson);
        // CPython 3's published values for seed 0 and seed 1
        Assert.Equal(0.8444218515250481, (double)Globals(zero)["r"]![0]!);
        var one = await Ok("import random\ni = [random.randint(1, 100) for _ in range(5)]", seed: 1);
        Assert.Equal("""{"i":[18,73,98,9,33]}""", one.GlobalsJson);
        var max = await Ok(RandomCode, seed: ulong.MaxValue);
        Assert.NotEqual(none.GlobalsJson, max.GlobalsJson);
    }

    [Fact]
    public async Task Random_compat_python2_reproduces_python_27()
    {
        // Python 2.7: random.seed(1); [randint(1, 100) for _ in range(5)] == [14, 85, 77, 26, 50] (README).
        var o = await Ok("import random\na = [random.randint(1, 100) for _ in range(5)]", seed: 1, options: """{"random_compat": "python2"}""");
        Assert.Equal("""{"a":[14,85,77,26,50]}""", o.GlobalsJson);
        var z = await Ok("import random\nr = random.random()\nR = random.Random(1).randint(1, 100)", seed: 0, options: """{"random_compat": "python2"}""");
        Assert.Equal("""{"r":0.8444218515250481,"R":14}""", z.GlobalsJson);
    }

    [Fact]
    public async Task Random_compat_python2_matches_the_runtime_reference_vectors()
    {
        var path = Path.Combine(f.Sandbox.Registry.Get(Py).Directory, "..", "test", "py2-random-vectors.json");
        Assert.True(File.Exists(path), $"missing {path}");
        var vectors = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        const string code = """
            import random
            v = {}
            v['random'] = [random.random() for _ in range(3)]
            v['randint_1_100'] = [random.randint(1, 100) for _ in range(5)]
            v['randrange_0_1000_7'] = [random.randrange(0, 1000, 7) for _ in range(3)]
            v['randrange_10'] = [random.randrange(10) for _ in range(3)]
            v['choice'] = [random.choice('abcdefghij') for _ in range(5)]
            x = list(range(10))
            random.shuffle(x)
            v['shuffle'] = x
            v['sample_small'] = random.sample(range(100), 5)
            v['sample_set'] = random.sample(range(1000000), 10)
            v['uniform'] = [random.uniform(1.5, 7.25) for _ in range(3)]
            v['gauss'] = [random.gauss(0, 1) for _ in range(4)]
            v['randrange_2_60'] = [random.randrange(2**60) for _ in range(2)]
            del x
            """;
        Assert.True(vectors.Count >= 5);
        foreach (var (seed, want) in vectors)
        {
            var o = await Ok(code, seed: ulong.Parse(seed), options: """{"random_compat": "python2"}""");
            var got = Globals(o)["v"]!;
            Assert.True(JsonNode.DeepEquals(want, got), $"seed {seed}:\nwant {want!.ToJsonString()}\ngot  {got.ToJsonString()}");
        }
    }

    // ---- determinism and isolation ------------------------------------------------------------------

    [Fact]
    public async Task Same_job_twice_gives_identical_globals_stdout_and_fuel()
    {
        const string code = """
            import random, collections
            d = {}
            for i in range(2000):
                d['k%d' % (i * 7919 % 1000)] = random.random()
            s = set('the quick brown fox jumps over the lazy dog')
            order = list(s)
            print(sorted(d)[:5], order[:5], hash('abc'), id(object()) % 7)
            c = collections.Counter(str(random.random()) for _ in range(100))
            """;
        var a = await Ok(code, globals: """{"z": 1, "a": 2}""", seed: 99);
        var b = await Ok(code, globals: """{"z": 1, "a": 2}""", seed: 99);
        SameOutcome.Assert(a, b);
        Assert.Equal(a.PeakMemoryBytes, b.PeakMemoryBytes);
    }

    [Fact]
    public async Task Fuel_and_output_are_identical_over_many_runs_of_the_same_job()
    {
        // Every job starts from the same snapshot (a fresh copy, or a pooled buffer reset page by page):
        // the same job must take exactly the same path every time.
        const string code = """
            def check(expect, ans):
                try:
                    v = float(ans.strip().replace(',', '.'))
                except ValueError:
                    return False, 'Could not parse %r' % ans
                ok = abs(v - float(expect)) <= 0.01 * abs(float(expect))
                return ok, ('Correct!' if ok else 'Expected about %s' % expect)
            correct, msg = check(expected, submission)
            score = 1.0 if correct else 0.0
            """;
        var runs = new List<SandboxOutcome>();
        var others = new[] { "x = x + 1", "junk = [str(i) * 3 for i in range(100000)]\ndel junk", "import json\ns = json.dumps({str(i): [i] * 10 for i in range(5000)})" };
        for (int i = 0; i < 12; i++)
        {
            runs.Add(await Ok(code, globals: """{"expected": "9.81"}""", submission: "9.8"));
            // other jobs in between: the next job may get their (reset) memory buffers from the pool
            if (i % 3 != 2) await Ok(others[i % others.Length], globals: """{"x": 1}""");
        }
        var fuels = runs.Select(r => r.FuelUsed).ToList();
        Assert.True(fuels.Distinct().Count() == 1, "fuel per run: " + string.Join(", ", fuels));
        Assert.All(runs, r => Assert.Equal(runs[0].GlobalsJson, r.GlobalsJson));
    }

    [Fact]
    public async Task Stat_results_do_not_depend_on_earlier_jobs()
    {
        // Bug (src/AsyncGrader.Wasi): inode numbers come from a process-wide counter (Vfs/Nodes.cs s_nextIno) and
        // job device ids from another (WasiContext.cs s_nextDevice), so st_ino/st_dev of /tmp, /job and every file a
        // job creates depend on how many jobs and files the worker handled before: the same job gives different
        // globals, a job can count other jobs, and FuelUsed steps up once the numbers pass CPython's small-int cache
        // (256) because the driver itself stats /job on every job.
        const string code = """
            import os
            open('/tmp/a.txt', 'w').write('x')
            ids = [[os.stat(p).st_ino, os.stat(p).st_dev] for p in ('/tmp', '/job', '/tmp/a.txt', '/usr/local/lib/python311.zip')]
            """;
        var a = await Ok(code);
        await Ok("import os\nfor i in range(50):\n    open('/tmp/f%d' % i, 'w').close()");
        var b = await Ok(code);
        Assert.Equal(a.GlobalsJson, b.GlobalsJson);
        Assert.Equal(a.FuelUsed, b.FuelUsed);
    }

    private const string Polluter = """
        import sys, builtins, random, os, math
        with open('/tmp/leak.txt', 'w') as fh:
            fh.write('secret')
        os.mkdir('/tmp/leakdir')
        sys.modules['leaky'] = type(sys)('leaky')
        builtins.leaked = 1
        builtins.abs = lambda x: -1
        math.pi = 3
        random.seed(999)
        random.random = lambda: 0.5
        sys.path.insert(0, '/tmp')
        sys.setrecursionlimit(50)
        os.environ['LEAK'] = '1'
        shared_global = 'polluted'
        """;

    private const string Observer = """
        import sys, builtins, random, os, math
        seen = {
            'tmp': sorted(os.listdir('/tmp')),
            'leaky_module': 'leaky' in sys.modules,
            'leaked_builtin': hasattr(builtins, 'leaked'),
            'abs_ok': abs(-3) == 3,
            'pi_ok': math.pi > 3.14,
            'random_first': random.random(),
            'path_tmp': '/tmp' in sys.path,
            'recursion_limit': sys.getrecursionlimit(),
            'env_leak': 'LEAK' in os.environ,
            'shared_global': 'shared_global' in globals(),
        }
        """;

    private const string CleanView = """{"tmp":[],"leaky_module":false,"leaked_builtin":false,"abs_ok":true,"pi_ok":true,"random_first":0.8444218515250481,"path_tmp":false,"recursion_limit":1000,"env_leak":false,"shared_global":false}""";

    [Fact]
    public async Task A_job_cannot_affect_the_next_one_sequentially()
    {
        var p = await Ok(Polluter);
        Assert.Contains("\"shared_global\":\"polluted\"", p.GlobalsJson);
        var o = await Ok(Observer);
        Assert.Equal(CleanView, Globals(o)["seen"]!.ToJsonString());
    }

    [Fact]
    public async Task The_driver_undoes_a_previous_job_run_in_the_same_instance()
    {
        // The host starts every job from the snapshot, where the driver skips its clean-up; an
        // embedder calling run twice in one instance gets it. Two nested jobs exercise that path.
        var o = await Ok("""
            import _asyncgrader
            first = _asyncgrader.run_job(b"import colorsys, random\nr = random.random()", b"{}", None, 7, b'{"random_compat": "python2"}')
            second = _asyncgrader.run_job(b"import sys, random\nseen = ['colorsys' in sys.modules, random.random(), random.Random.__module__]", b"{}", None, None, b"{}")
            statuses = [first[0], second[0]]
            seen = second[1].decode()
            del first, second
            """);
        Assert.Equal("[0,0]", Globals(o)["statuses"]!.ToJsonString());
        Assert.Equal("""{"seen":[false,0.8444218515250481,"random"]}""", (string)Globals(o)["seen"]!);
    }

    [Fact]
    public async Task Jobs_are_isolated_when_eight_run_in_parallel()
    {
        var jobs = Enumerable.Range(0, 8).Select(i => i % 2 == 0
            ? Run(Polluter + $"\nopen('/tmp/mine{i}', 'w').write('x')\nmine = sorted(os.listdir('/tmp'))")
            : Run(Observer)).ToArray();
        var outcomes = await Task.WhenAll(jobs);
        for (int i = 0; i < outcomes.Length; i++)
        {
            var o = outcomes[i];
            Assert.True(o.Status == JobStatus.Succeeded, $"job {i}: {o.Status} {o.Error}");
            if (i % 2 == 0) Assert.Equal($"""["leak.txt","leakdir","mine{i}"]""", Globals(o)["mine"]!.ToJsonString());
            else Assert.Equal(CleanView, Globals(o)["seen"]!.ToJsonString());
        }
        var after = await Ok(Observer);
        Assert.Equal(CleanView, Globals(after)["seen"]!.ToJsonString());
    }

    [Fact]
    public async Task Environment_holds_only_the_manifest_env()
    {
        f.Require(Py);
        var manifest = f.Sandbox.Registry.Get(Py).Manifest;
        var o = await Ok("import os, sys\nenv = dict(os.environ)\nargv = sys.argv");
        var env = Globals(o)["env"]!.AsObject();
        Assert.Equal(manifest.Env.OrderBy(k => k.Key).Select(k => $"{k.Key}={k.Value}"),
            env.OrderBy(k => k.Key).Select(k => $"{k.Key}={(string?)k.Value}"));
        Assert.DoesNotContain("PATH", env.Select(k => k.Key));
        Assert.DoesNotContain("HOME", env.Select(k => k.Key));
        Assert.Equal("""["python"]""", Globals(o)["argv"]!.ToJsonString());
    }

    [Fact]
    public async Task Host_filesystem_is_invisible()
    {
        var o = await Ok("""
            import os
            def ls(p):
                try:
                    return sorted(os.listdir(p))
                except OSError as e:
                    return 'OSError'
            def read(p):
                try:
                    with open(p, 'rb') as fh:
                        return 'read %d bytes' % len(fh.read())
                except OSError as e:
                    return 'OSError'
            root = ls('/')
            usr_local_lib = ls('/usr/local/lib')
            etc_passwd = read('/etc/passwd')
            escape = read('/tmp/../etc/passwd')
            escape2 = read('/job/../../etc/hostname')
            proc = read('/proc/self/environ')
            work = ls('/work')
            home = ls('/home')
            try:
                open('/job/new.txt', 'w').write('x')
                job_write = 'wrote'
            except OSError:
                job_write = 'OSError'
            """);
        var g = Globals(o);
        var root = g["root"]!;
        if (root is JsonArray arr)
            Assert.All(arr.Select(e => (string)e!), n => Assert.Contains(n, new[] { "usr", "job", "tmp" }));
        else
            Assert.Equal("OSError", (string?)root);
        Assert.Equal("""["python311.zip"]""", g["usr_local_lib"]!.ToJsonString());
        foreach (var k in new[] { "etc_passwd", "escape", "escape2", "proc", "work", "home", "job_write" })
            Assert.True((string?)g[k] == "OSError", $"{k}: {g[k]}");
    }

    // ---- host services ------------------------------------------------------------------------------

    [Fact]
    public async Task Stdin_is_the_jobs_stdin_and_empty_stdin_is_EOF()
    {
        f.Require(Py);
        var o = await f.Sandbox.RunAsync(new SandboxJob { Runtime = Py, Code = "a = input()\nb = input()", Stdin = "first line\nsecond\n" });
        Assert.Equal(JobStatus.Succeeded, o.Status);
        Assert.Equal("""{"a":"first line","b":"second"}""", o.GlobalsJson);
        var e = await Run("a = input()");
        Assert.Equal(JobStatus.Error, e.Status);
        Assert.Contains("EOFError", e.Error);
    }

    [Fact]
    public async Task Tmp_scratch_space_is_bounded()
    {
        // SandboxOptions.ScratchMaxBytes defaults to 16 MiB.
        var o = await Ok("""
            import errno
            written = 0
            try:
                with open('/tmp/big', 'wb') as fh:
                    for _ in range(40):
                        fh.write(b'x' * (1 << 20))
                        fh.flush()
                        written += 1
                err = None
            except OSError as e:
                err = errno.errorcode.get(e.errno, str(e.errno))
            """);
        var g = Globals(o);
        Assert.NotNull((string?)g["err"]);
        Assert.InRange((int)g["written"]!, 1, 16);
    }

    [Fact]
    public async Task Cancellation_stops_a_running_job_promptly()
    {
        f.Require(Py);
        f.Sandbox.Registry.Get(Py);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var job = new SandboxJob { Runtime = Py, Code = "while True:\n    pass", Limits = new JobLimits(Fuel: 20_000_000_000, TimeoutMs: 60_000) };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => f.Sandbox.RunAsync(job, cts.Token));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"took {sw.Elapsed}");
        // the sandbox is still usable afterwards
        await Ok("x = 1");
    }

    // ---- known cost -------------------------------------------------------------------------------

    [Fact]
    public async Task Trivial_job_uses_less_than_5M_fuel()
    {
        // Known issue (lead): _asyncgrader._prepare_environment calls importlib.invalidate_caches(), which makes
        // the stdlib zipimporter re-read python311.zip's directory on every job (~190M fuel for `x = 1`).
        var o = await Ok("x = 1");
        Assert.True(o.FuelUsed < 5_000_000, $"a trivial job used {o.FuelUsed:N0} fuel (limit for this test: 5,000,000)");
    }
}
