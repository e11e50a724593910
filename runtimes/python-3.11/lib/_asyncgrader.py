"""AsyncGrader job driver for the Python 3.11 runtime (called from embed/agembed.c).

init() runs once before the host snapshots the instance; run_job() runs one job with codejail
semantics and returns the outcome as plain values:

    (status: int, globals_json: bytes, error: bytes | None,
     correct: bool | None, score: float | None, msg: bytes | None)

See runtimes/python-3.11/README.md for the rules implemented here.
"""

import sys

# Status codes of the WIT enum `status` (wit/runtime.wit), in order.
SUCCEEDED = 0
ERROR = 1
SYNTAX_ERROR = 2
SYSTEM_EXIT = 3
KEYBOARD_INTERRUPT = 4
MEMORY_ERROR = 5
RECURSION_ERROR = 6
INVALID_JOB = 7

# The file name the author's code is compiled under (what tracebacks show); codejail runs the
# code from a file of this name too.
CODE_FILENAME = "jailed_code"
JOB_DIR = "/job"
PYTHON_LIB_ZIP = "/job/python_lib.zip"
RECURSION_LIMIT = 1000
KNOWN_OPTIONS = {"random_compat"}
RANDOM_COMPAT = ("python3", "python2")

# The preamble: imported once in init() so the snapshot carries them.
PREAMBLE = (
    "json", "math", "random", "re", "decimal", "fractions", "statistics", "itertools",
    "functools", "collections", "datetime", "string", "textwrap", "difflib", "hashlib", "zlib",
    "unicodedata", "ast", "cmath",
    # used by the driver itself or commonly by graders
    "traceback", "linecache", "io", "os", "zipimport", "importlib", "copy", "operator",
    "numbers", "heapq", "bisect", "time", "calendar", "types", "typing", "enum", "dataclasses",
    "struct", "binascii", "base64", "pprint", "_ag_random2", "_ag_sandbox",
)

_state = {}


def init(stack_size=0):
    """Import the preamble and prepare everything that can be prepared before a job."""
    sys.setrecursionlimit(RECURSION_LIMIT)
    sys.dont_write_bytecode = True
    import importlib
    for name in PREAMBLE:
        importlib.import_module(name)
    import random
    import _ag_sandbox
    _ag_sandbox.install()
    _state["stack_size"] = stack_size
    # What run_job restores (a job runs in a fresh snapshot copy anyway, but the driver does not
    # rely on that).
    _state["random_attrs"] = {name: getattr(random, name) for name in _RANDOM_API
                              if hasattr(random, name)}
    _state["random_names"] = tuple(_state["random_attrs"])
    _state["random_values"] = tuple(_state["random_attrs"].values())
    _state["sys_path"] = list(sys.path)
    _state["modules"] = set(sys.modules)
    # Warm up the code paths of a job (compile, exec, json, traceback) so the snapshot holds them.
    run_job(b"x = 1\n", b"{}", None, None, b"{}")
    try:
        raise ValueError("warm-up")
    except ValueError as e:
        _format_exception(e)
    # Leave the snapshot as the first job of an instance expects it: nothing of the warm-up left
    # behind, the generator freshly seeded with the default seed, no job run yet.
    _forget_previous_job()
    random.seed(0)
    _state["runs"] = 0


_RANDOM_API = (
    "Random", "seed", "random", "uniform", "triangular", "randint", "choice", "randrange",
    "sample", "shuffle", "choices", "normalvariate", "lognormvariate", "expovariate",
    "vonmisesvariate", "gammavariate", "gauss", "betavariate", "paretovariate",
    "weibullvariate", "getstate", "setstate", "getrandbits", "randbytes", "_inst",
)


class InvalidJob(Exception):
    pass


def _flush():
    for f in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if f is not None:
                f.flush()
        except Exception:
            pass


def _note(text):
    """A runtime note for the author, on stderr (captured by the host)."""
    try:
        sys.__stderr__.write("asyncgrader: " + text + "\n")
    except Exception:
        pass


def _enc(s):
    return s.encode("utf-8", "backslashreplace")


def run_job(code_b, globals_b, submission_b, seed, options_b):
    try:
        return _run_job(code_b, globals_b, submission_b, seed, options_b)
    finally:
        _flush()


def _parse_job(code_b, globals_b, submission_b, seed, options_b):
    import json
    try:
        code = code_b.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidJob(f"code is not valid UTF-8: {e}")
    try:
        g = json.loads(globals_b.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise InvalidJob(f"globals-json is not valid JSON: {e}")
    if not isinstance(g, dict):
        raise InvalidJob(f"globals-json must be a JSON object, not {type(g).__name__}")
    if submission_b is not None:
        try:
            submission = submission_b.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InvalidJob(f"submission is not valid UTF-8: {e}")
    else:
        submission = None
    try:
        if options_b == b"{}":
            options = {}
        else:
            options = json.loads(options_b.decode("utf-8")) if options_b.strip() else {}
    except (UnicodeDecodeError, ValueError) as e:
        raise InvalidJob(f"options-json is not valid JSON: {e}")
    if not isinstance(options, dict):
        raise InvalidJob(f"options-json must be a JSON object, not {type(options).__name__}")
    unknown = sorted(set(options) - KNOWN_OPTIONS)
    if unknown:
        raise InvalidJob(f"unknown option(s) {unknown}; known: {sorted(KNOWN_OPTIONS)}")
    compat = options.get("random_compat", "python3")
    if compat is None:
        compat = "python3"
    if compat not in RANDOM_COMPAT:
        raise InvalidJob(f"option random_compat must be one of {list(RANDOM_COMPAT)}, not {compat!r}")
    if seed is None:
        seed = 0
    return code, g, submission, seed, compat


def _run_job(code_b, globals_b, submission_b, seed, options_b):
    # The first job of an instance (always, when the host starts every job from the snapshot)
    # finds the state init left; later ones first undo what the previous job changed.
    fresh = _state.get("runs", 0) == 0
    _state["runs"] = _state.get("runs", 0) + 1
    input_globals = globals_b.decode("utf-8", "replace").encode("utf-8")
    try:
        code, g, submission, seed, compat = _parse_job(
            code_b, globals_b, submission_b, seed, options_b)
    except InvalidJob as e:
        return (INVALID_JOB, input_globals, _enc(f"invalid job: {e}\n"), None, None, None)

    _prepare_environment(seed, compat, fresh)
    if submission is not None and "submission" not in g:
        g["submission"] = submission

    status, error = _execute(code, g)
    if status != SUCCEEDED:
        return (status, input_globals, _enc(error), None, None, None)
    _flush()
    try:
        out = json_safe_dumps(g)
        correct, score, msg = _grade(g)
    except BaseException as e:  # MemoryError/RecursionError while serialising
        st = _classify(e)
        return (st if st != SUCCEEDED else ERROR, input_globals,
                _enc("error while collecting the output globals: " + _format_exception(e)),
                None, None, None)
    return (SUCCEEDED, out.encode("ascii"), None, correct, score,
            None if msg is None else _enc(msg))


def _prepare_environment(seed, compat, fresh):
    import os
    import random
    import _ag_random2

    sys.setrecursionlimit(RECURSION_LIMIT)
    if not fresh:
        _forget_previous_job()
    if os.path.isfile(PYTHON_LIB_ZIP):
        sys.path.insert(0, PYTHON_LIB_ZIP)
    # No importlib.invalidate_caches(): in 3.11 it makes every zipimporter re-read its archive's
    # directory (about 130 ms for the stdlib zip under V8). Dropping the path_importer_cache entry
    # (_forget_previous_job) is enough for a new /job/python_lib.zip to be read afresh.
    # codejail runs the code in the directory holding the job's files.
    try:
        os.chdir(JOB_DIR if os.path.isdir(JOB_DIR) else "/")
    except OSError:
        pass

    if compat == "python2":
        inst = _ag_random2.Random(seed)
        for name in _RANDOM_API:
            if name == "Random":
                random.Random = _ag_random2.Random
            elif name == "_inst":
                random._inst = inst
            elif hasattr(inst, name):
                setattr(random, name, getattr(inst, name))
    elif not (fresh and seed == 0):
        # A fresh instance's generator is already seeded with 0 (see init): seeding costs about
        # 15% of a trivial job's instructions.
        random.seed(seed)


def _forget_previous_job():
    """Undoes what a job run earlier in this instance may have changed (imports, caches, random)."""
    import linecache
    import operator
    import random
    import zipimport

    sys.path[:] = _state["sys_path"]
    # The checks run in C; the loops that undo run only when something changed.
    modules = _state["modules"]
    if len(sys.modules) != len(modules) or not sys.modules.keys() <= modules:
        for name in list(sys.modules):
            if name not in modules:
                del sys.modules[name]
    sys.path_importer_cache.pop(PYTHON_LIB_ZIP, None)
    try:
        zipimport._zip_directory_cache.pop(PYTHON_LIB_ZIP, None)
    except AttributeError:
        pass
    linecache.cache.pop(CODE_FILENAME, None)
    names, values = _state["random_names"], _state["random_values"]
    if not all(map(operator.is_, map(random.__dict__.get, names), values)):
        for name, value in zip(names, values):
            setattr(random, name, value)


def _execute(code, g):
    """Compile and run the author's code in globals g. Returns (status, error text)."""
    import linecache
    try:
        codeobj = compile(code, CODE_FILENAME, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as e:
        return SYNTAX_ERROR, _format_exception(e)
    except BaseException as e:  # MemoryError, RecursionError from the parser/compiler
        st = _classify(e)
        return (SYNTAX_ERROR if st == ERROR else st), _format_exception(e)
    linecache.cache[CODE_FILENAME] = (len(code), None, code.splitlines(True), CODE_FILENAME)
    try:
        exec(codeobj, g)
    except BaseException as e:
        return _classify(e), _format_exception(e)
    return SUCCEEDED, None


def _classify(e):
    if isinstance(e, SystemExit):
        return SYSTEM_EXIT
    if isinstance(e, KeyboardInterrupt):
        return KEYBOARD_INTERRUPT
    if isinstance(e, MemoryError):
        return MEMORY_ERROR
    if isinstance(e, RecursionError):
        return RECURSION_ERROR
    return ERROR


def _format_exception(e):
    """The traceback of e without the driver's own frames."""
    try:
        import traceback
        tb = e.__traceback__
        while tb is not None and tb.tb_frame.f_globals is globals():
            tb = tb.tb_next
        return "".join(traceback.format_exception(type(e), e, tb))
    except BaseException:
        try:
            return f"{type(e).__name__}: {e}\n"
        except BaseException:
            return f"{type(e).__name__}\n"


# ---- json_safe ---------------------------------------------------------------------------------

_OK_TYPES = (type(None), bool, int, float, bytes, str, list, tuple, dict)
# codejail drops __builtins__; __warningregistry__ is the warnings module's bookkeeping (created
# in the globals when a warning is issued, even an ignored one), not the author's data.
_BAD_KEYS = ("__builtins__", "__warningregistry__")


def _decode(v):
    """bytes -> str (UTF-8, strict), tuple -> list, recursively; other values unchanged."""
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, (list, tuple)):
        return [_decode(x) for x in v]
    if isinstance(v, dict):
        return {(k.decode("utf-8") if isinstance(k, bytes) else k): _decode(x)
                for k, x in v.items()}
    return v


def json_safe(d):
    """codejail's json_safe: the JSON-safe part of the globals dict d, as a new dict."""
    import json
    out = {}
    for k, v in d.items():
        if not isinstance(k, str) or k in _BAD_KEYS:
            continue
        if not isinstance(v, _OK_TYPES):
            continue
        try:
            v = _decode(v)
            out[k] = json.loads(json.dumps(v))
        except Exception:
            continue
    return out


def json_safe_dumps(d):
    import json
    return json.dumps(json_safe(d), ensure_ascii=True, allow_nan=True, separators=(",", ":"))


# ---- grade -------------------------------------------------------------------------------------

def _grade(g):
    import math
    correct = g.get("correct")
    if correct is not None and not isinstance(correct, bool):
        _note(f"global 'correct' ignored: it must be a bool, not {type(correct).__name__}")
        correct = None
    score = g.get("score")
    if score is not None:
        if isinstance(score, bool) or not isinstance(score, (int, float)):
            _note(f"global 'score' ignored: it must be a number in [0, 1], not {type(score).__name__}")
            score = None
        else:
            try:
                f = float(score)
            except OverflowError:
                f = math.inf
            if not (0.0 <= f <= 1.0):
                _note(f"global 'score' ignored: {score!r} is not a number in [0, 1]")
                score = None
            else:
                score = f
    msg = g.get("msg")
    if msg is not None and not isinstance(msg, str):
        _note(f"global 'msg' ignored: it must be a str, not {type(msg).__name__}")
        msg = None
    return correct, score, msg
