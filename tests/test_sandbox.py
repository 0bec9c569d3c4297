"""The sandbox (grader.sandbox, grader.worker, grader.harness.guard, grader.harness.wire).

Each test writes a tiny submission into tmp_path and runs calls on it in a
Sandbox. Whatever the student code does -- loop, exit, crash, flood, fork,
write outside, import the solution, return odd objects -- the call gets a
status and a message, the grader process is unharmed, the next call still
runs, and no process of the sandbox outlives the run. Behaviour tests run in
both isolation modes (bwrap where available); the audit-hook tripwire tests run
in process mode, where the hooks are the only guard. The OS boundary itself is
tested in test_isolation.py.
"""

import glob
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np
import pytest

from grader import isolation
from grader.harness import wire
from grader.sandbox import Call, Limits, Sandbox, can_drop_privileges
from grader.worker import marked, scan

FAST = Limits(import_timeout=3)  # generous for importing numpy; small enough to keep the tests quick
TIMEOUT = 1.5  # seconds per call
DROPS_PRIVILEGES = os.geteuid() == 0 and can_drop_privileges(sys.executable)
BWRAP = isolation.bwrap_problem(sys.executable) is None
MODES = [pytest.param("process", id="process"),
         pytest.param("bwrap", id="bwrap", marks=pytest.mark.skipif(not BWRAP, reason="bubblewrap is not usable here"))]
# Tests that wait out a deadline: the fast loop runs them in bwrap only (the default mode), the full suite in both.
WAITING_MODES = [pytest.param("process", id="process", marks=pytest.mark.slow), MODES[1]]


# -- helpers ----------------------------------------------------------------

class RecordingSandbox(Sandbox):
    """A Sandbox that remembers the marker of every worker it started."""

    def launch(self, *args, **kwargs):
        launch = super().launch(*args, **kwargs)
        self.markers = getattr(self, "markers", []) + [launch.marker]
        return launch


PRELUDE = """\
import os, sys, time
import numpy as np


def fine(x):
    return x + 1.0

"""  # every student module starts with this; `fine` is the call that must still work afterwards


def write_module(tmp_path, name, source):
    path = tmp_path / "submission" / f"{name}.py"
    path.parent.mkdir(exist_ok=True)
    path.write_text(PRELUDE + textwrap.dedent(source))
    return path


def call(index, function, module="student", n=3, timeout=TIMEOUT):
    """Call(module.function(a0)) with a0 = zeros(n)."""
    spec = {"module": module, "function": function, "args": [{"array": "a0"}], "kwargs": {}}
    return Call(index, "call", spec, {"a0": np.zeros(n)}, timeout=timeout)


def survivors(markers, uid):
    """Pids of live (non-zombie) processes carrying one of the markers or running as uid."""
    needles = {f"GRADER_SANDBOX={m}".encode() for m in markers}
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                status = f.read()
            with open(f"/proc/{entry}/environ", "rb") as f:
                environ = set(f.read().split(b"\0"))
        except OSError:
            continue
        if "\nState:\tZ" in status:
            continue
        uids = next(line.split()[1:] for line in status.splitlines() if line.startswith("Uid:"))
        if environ & needles or (uid is not None and str(uid) in uids):
            found.append(int(entry))
    return found


def run(tmp_path, source, functions, limits=FAST, timeout=TIMEOUT, log_sizes=None, mode="process"):
    """Run student.<function>(zeros(3)) for each function, in order, in one Sandbox.

    Also asserts what every run must guarantee: no process of the sandbox survives it.
    log_sizes: an optional dict that receives {log file name: bytes} of the student's stdout/stderr.
    """
    modules = {"student": write_module(tmp_path, "student", source)}
    calls = [call(i, f, timeout=timeout) for i, f in enumerate(functions)]
    with RecordingSandbox(modules, limits, isolation_mode=mode) as box:
        results = box.run(calls, ["student"])
        assert survivors(box.markers, box.uid) == [], "a process of the sandbox outlived the run"
        if log_sizes is not None:
            log_sizes.update({p.name: p.stat().st_size for p in box.logs.iterdir()})
    return results


def run_in(mode, *args, **kwargs):
    return run(*args, mode=mode, **kwargs)


def assert_fine(result):
    assert result.status == "ok", result.message
    np.testing.assert_array_equal(result.arrays["result"], np.ones(3))


# -- a correct call -----------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_a_correct_call_returns_ok_with_the_array(mode, tmp_path):
    (result,) = run_in(mode, tmp_path, "", ["fine"])
    assert_fine(result)
    assert result.message == ""
    assert result.meta["result"] == {"type": "ndarray"}
    assert 0 <= result.seconds < TIMEOUT


@pytest.mark.parametrize("mode", MODES)
def test_array_arguments_come_back_after_the_call_so_in_place_edits_show(mode, tmp_path):
    """The probe reports every array argument after the call, so in-place edits are visible."""
    (result,) = run_in(mode, tmp_path, """
        def mutate(x):
            x += 5.0
            return x.sum()
    """, ["mutate"])
    assert result.status == "ok", result.message
    np.testing.assert_array_equal(result.arrays["arg0"], np.full(3, 5.0))
    assert result.arrays["result"] == 15.0 and result.meta["result"] == {"type": "float64"}


@pytest.mark.skipif(not DROPS_PRIVILEGES, reason="only a root grader with a usable interpreter drops privileges")
def test_student_code_runs_as_an_unprivileged_uid_when_the_grader_is_root(tmp_path):
    (result,) = run(tmp_path, """
        def ids(x):
            return np.array([os.getuid(), os.geteuid(), os.getgid(), os.getegid(), len(os.getgroups())])
    """, ["ids"])
    assert result.status == "ok", result.message
    uid, euid, gid, egid, groups = result.arrays["result"]
    assert uid != 0 and euid != 0 and gid != 0 and egid != 0
    assert groups == 0, "supplementary groups (root's) are dropped too"


@pytest.mark.parametrize("mode", MODES)
def test_the_environment_is_scrubbed(mode, tmp_path, monkeypatch):
    """The grader's environment (tokens, paths) does not reach student code; the BLAS thread cap does."""
    monkeypatch.setenv("GRADER_TEST_SECRET", "hunter2")
    (result,) = run_in(mode, tmp_path, """
        def env(x):
            return np.array([os.environ.get("GRADER_TEST_SECRET") is None,
                             os.environ.get("OPENBLAS_NUM_THREADS") == "1",
                             "GRADER_SANDBOX" in os.environ])
    """, ["env"])
    assert result.status == "ok", result.message
    assert result.arrays["result"].tolist() == [True, True, True]


# -- a call that misbehaves costs only that call -------------------------------

@pytest.mark.slow  # waits on the OS or trains: the full suite runs it, the inner loop does not
@pytest.mark.parametrize("mode", WAITING_MODES)
def test_an_infinite_loop_times_out_and_the_next_call_runs_in_a_fresh_process(mode, tmp_path):
    t0 = time.monotonic()
    before, looped, after = run_in(mode, tmp_path, """
        PROCESS = int.from_bytes(os.urandom(6), "big")  # new in every process (pids repeat in a PID namespace)

        def pid(x):
            return np.array([PROCESS])

        def loop(x):
            while True:
                pass
    """, ["pid", "loop", "pid"])
    assert time.monotonic() - t0 < TIMEOUT + 6
    assert looped.status == "timeout"
    assert "loop did not return within 1.5 s" in looped.message
    assert TIMEOUT <= looped.seconds < TIMEOUT + 1
    assert before.ok and after.ok
    assert before.arrays["result"][0] != after.arrays["result"][0], "the call after a timeout gets a new process"


@pytest.mark.slow  # waits on the OS or trains: the full suite runs it, the inner loop does not
@pytest.mark.parametrize("mode", WAITING_MODES)
def test_a_call_that_ignores_sigterm_and_sleeps_is_still_stopped(mode, tmp_path):
    (stuck, after) = run_in(mode, tmp_path, """
        import signal

        def stubborn(x):
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            time.sleep(60)
    """, ["stubborn", "fine"])
    assert stuck.status == "timeout"
    assert_fine(after)


@pytest.mark.parametrize("case, body, status, words", [
    ("os._exit(3)", "os._exit(3)", "crashed", "exited with status 3"),
    pytest.param("SIGSEGV", "import faulthandler; faulthandler._sigsegv()", "crashed", "SIGSEGV",
                 marks=pytest.mark.slow),  # signals: the full suite
    ("sys.exit()", "sys.exit()", "error", "sys.exit(None)"),
    ("sys.exit(0)", "sys.exit(0)", "error", "sys.exit(0)"),
    pytest.param("KeyboardInterrupt", "raise KeyboardInterrupt", "error", "KeyboardInterrupt", marks=pytest.mark.slow),
    ("an exception", "raise ValueError('bad shape')", "error", "ValueError: bad shape"),
    pytest.param("unbounded recursion", "def f(n): return f(n + 1)\n    f(0)", "error", "RecursionError", marks=pytest.mark.slow),
])
@pytest.mark.parametrize("mode", MODES)
def test_an_exit_or_crash_inside_a_function_fails_that_call_only(mode, tmp_path, case, body, status, words):
    failed, after = run_in(mode, tmp_path, f"""
def bad(x):
    {body}
""", ["bad", "fine"])
    assert failed.status == status, (case, failed)
    assert words in failed.message, (case, failed.message)
    assert_fine(after)


@pytest.mark.parametrize("mode", MODES)
def test_an_error_message_points_at_the_student_line(mode, tmp_path):
    (failed,) = run_in(mode, tmp_path, """
        def bad(x):
            return x[7]
    """, ["bad"])
    assert failed.status == "error"
    lines = (tmp_path / "submission" / "student.py").read_text().splitlines()
    assert "IndexError" in failed.message
    assert f"(at student.py line {lines.index('    return x[7]') + 1})" in failed.message


# -- importing the submission ---------------------------------------------------

@pytest.mark.slow  # waits on the OS or trains: the full suite runs it, the inner loop does not
@pytest.mark.parametrize("case, top_level, status, words", [
    ("sleeps longer than import_timeout", "time.sleep(30)", "import_error", "longer than 1s to import"),
    ("loops forever", "while True: pass", "import_error", "longer than 1s to import"),
    ("calls os._exit", "os._exit(4)", "import_error", "exited with status 4 while importing"),
    ("calls sys.exit", "sys.exit(1)", "error", "failed to import: called sys.exit(1)"),
    ("raises", "raise RuntimeError('at import')", "error", "failed to import: raised RuntimeError: at import"),
])
@pytest.mark.parametrize("mode", WAITING_MODES)
def test_an_import_that_fails_fails_every_call_within_bounded_time(mode, tmp_path, case, top_level, status, words):
    """The import deadline starts once NumPy and the harness are loaded: 1 s is ample for a module."""
    limits = Limits(import_timeout=1)
    t0 = time.monotonic()
    results = run_in(mode, tmp_path, top_level + "\n", ["fine", "fine", "fine"], limits=limits)
    assert time.monotonic() - t0 < limits.import_timeout + 6, case
    for r in results:
        assert r.status == status, (case, r)
        assert words in r.message, (case, r.message)
        assert "import" in r.message


# -- fail fast, and within the stage's time ----------------------------------------

STUCK = """
    def stuck(x):
        while True:
            pass

    def other(x):
        return x * 2.0
"""


@pytest.mark.slow  # waits on the OS or trains: the full suite runs it, the inner loop does not
def test_a_function_that_timed_out_fails_later_calls_at_once_with_the_first_reason(tmp_path):
    t0 = time.monotonic()
    first, fine, again, other = run(tmp_path, STUCK, ["stuck", "fine", "stuck", "other"])
    assert time.monotonic() - t0 < 2 * TIMEOUT + 4, "the second call to stuck did not wait out its timeout"
    assert first.status == "timeout" and first.message.startswith("stuck did not return within 1.5 s")
    assert again.status == "timeout" and again.seconds == 0.0
    assert again.message.startswith("stuck did not return within 1.5 s in an earlier check")
    assert_fine(fine) and other.ok


@pytest.mark.slow  # waits on the OS or trains: the full suite runs it, the inner loop does not
def test_a_module_that_hung_on_import_is_not_imported_again_in_a_later_run(tmp_path):
    modules = {"student": write_module(tmp_path, "student", "while True: pass\n")}
    with Sandbox(modules, Limits(import_timeout=1), isolation_mode="process") as box:
        (first,) = box.run([call(0, "fine")], ["student"])
        t0 = time.monotonic()
        (later,) = box.run([call(0, "fine")], ["student"])
    assert first.status == later.status == "import_error"
    assert time.monotonic() - t0 < 0.5 and later.message == first.message


@pytest.mark.slow  # waits on the OS or trains: the full suite runs it, the inner loop does not
def test_calls_past_the_end_of_their_stage_are_not_run(tmp_path):
    modules = {"student": write_module(tmp_path, "student", STUCK)}
    with Sandbox(modules, FAST, isolation_mode="process") as box:
        t0 = time.monotonic()
        fine, cut, never = box.run([call(0, "fine", timeout=30), call(1, "stuck", timeout=30), call(2, "other")], ["student"],
                                   until=time.monotonic() + 1.5)
        elapsed = time.monotonic() - t0
        assert not box.stuck.known, "a call the budget cut short tells nothing about its function"
    assert_fine(fine)
    assert cut.status == never.status == "not_run"
    assert cut.message.startswith("not run: the grading time budget")
    assert elapsed < 1.5 + 2


# -- the guard: what student code may not do -------------------------------------

def escape_targets(tmp_path):
    """Places outside the sandbox's scratch folder: the test's own folder, and beside the sandbox."""
    beside = os.path.join(tempfile.gettempdir(), "grader-escaped-%d.txt" % os.getpid())  # the sandbox cwd's parent
    return {"test_tmp": tmp_path / "escaped.txt", "cwd_parent": beside}


@pytest.mark.parametrize("case, code", [
    ("open(w)", "open(TARGET, 'w').write('x')"),
    ("open(a)", "open(TARGET, 'a').write('x')"),
    ("os.open O_CREAT", "os.open(TARGET, os.O_WRONLY | os.O_CREAT)"),
    ("pathlib", "__import__('pathlib').Path(TARGET).write_text('x')"),
    ("np.save", "np.save(TARGET, x)"),
    ("os.mkdir", "os.mkdir(TARGET)"),
    ("os.symlink", "os.symlink('/etc/passwd', TARGET)"),
    ("os.rename from scratch", "open('f', 'w').close(); os.rename('f', TARGET)"),
])
@pytest.mark.parametrize("where", ["test_tmp", pytest.param("cwd_parent", marks=pytest.mark.slow)])  # the fast loop tries one place
def test_writing_outside_the_sandbox_is_refused(tmp_path, case, code, where):
    target = str(escape_targets(tmp_path)[where])
    (result,) = run(tmp_path, f"""
        TARGET = {target!r}

        def escape(x):
            {code}
    """, ["escape"])
    try:
        assert result.status == "error", (case, result)
        assert "PermissionError" in result.message and "sandbox" in result.message, result.message
        assert not glob.glob(glob.escape(target) + "*"), f"{case} wrote {target}"
    finally:
        for path in glob.glob(glob.escape(target) + "*"):
            os.rmdir(path) if os.path.isdir(path) and not os.path.islink(path) else os.remove(path)


def test_the_submission_cannot_rewrite_its_own_modules(tmp_path):
    """The package folder is readable, not writable: a later import cannot load altered code."""
    (result,) = run(tmp_path, """
        def rewrite(x):
            open(__file__, "w").write("")
    """, ["rewrite"])
    assert result.status == "error" and "sandbox" in result.message


def test_writing_inside_the_sandboxs_tmp_folder_is_allowed(tmp_path):
    (result,) = run(tmp_path, """
        import tempfile

        def scratch(x):
            with tempfile.NamedTemporaryFile("w", delete=False) as f:
                f.write("scratch")
            np.save("scratch.npy", x)
            return np.array([len(open(f.name).read())])
    """, ["scratch"])
    assert result.status == "ok", result.message
    assert result.arrays["result"][0] == 7


@pytest.mark.parametrize("case, code", [
    ("subprocess.run", "__import__('subprocess').run(['true'])"),
    ("os.system", "os.system('true')"),
    ("os.fork", "os.fork()"),
    ("os.execv", "os.execv('/bin/true', ['true'])"),
    ("os.posix_spawn", "os.posix_spawn('/bin/true', ['true'], {})"),
    ("multiprocessing", "__import__('multiprocessing').Process(target=print).start()"),
    ("socket.socket()", "__import__('socket').socket()"),
    ("urllib", "__import__('urllib.request').request.urlopen('http://127.0.0.1:9')"),
    ("signal the grader", "os.kill(os.getppid(), 0)"),  # signal 0: harmless should the guard ever fail
    ("ctypes", "__import__('ctypes').CDLL(None)"),
    ("raise rlimits", "import resource; resource.setrlimit(resource.RLIMIT_AS, (-1, -1))"),
])
def test_processes_sockets_signals_and_native_code_are_refused(tmp_path, case, code):
    failed, after = run(tmp_path, f"""
def escape(x):
    {code}
""", ["escape", "fine"])
    assert failed.status == "error", (case, failed)
    assert "sandbox" in failed.message, (case, failed.message)
    assert_fine(after)


@pytest.mark.parametrize("case, code", [
    ("import reference", "import reference"),
    ("import reference.softmax", "import reference.softmax"),
    ("import grader", "import grader"),
    ("from grader.harness import helpers", "from grader.harness import helpers"),
    ("importlib", "__import__('importlib').import_module('reference.softmax')"),
])
def test_the_reference_solution_and_the_grader_cannot_be_imported(tmp_path, case, code):
    (result,) = run(tmp_path, f"""
        def cheat(x):
            {code}
    """, ["cheat"])
    assert result.status == "error", (case, result)
    assert "ImportError" in result.message and "sandbox" in result.message, (case, result.message)


def test_a_write_through_a_directory_descriptor_cannot_leave_the_sandbox(tmp_path):
    """cwd = scratch/sub makes '../x' look like scratch/x to the guard; relative to the scratch folder it is beside it."""
    (result,) = run(tmp_path, """
        def escape(x):
            root = os.getcwd()
            os.mkdir("sub")
            os.chdir("sub")
            fd = os.open(root, os.O_RDONLY)
            os.close(os.open("../escaped-through-dirfd-" + os.path.basename(root), os.O_WRONLY | os.O_CREAT, dir_fd=fd))
            return x
    """, ["escape"])
    escaped = glob.glob(os.path.join(tempfile.gettempdir(), "escaped-through-dirfd-*"))
    for path in escaped:
        os.remove(path)
    assert result.status == "error" and "sandbox" in result.message, result
    assert escaped == []


def test_the_reference_source_cannot_be_read_through_a_directory_descriptor(tmp_path):
    """Reading (and exec-ing) the solution would be full marks for free."""
    reference = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "reference", "softmax.py")
    (result,) = run(tmp_path, f"""
        def cheat(x):
            root = os.getcwd()
            os.makedirs("a/b/c/d/e/f/g")
            os.chdir("a/b/c/d/e/f/g")  # 7 levels: '../' * 7 stays inside the sandbox as the guard sees it
            fd = os.open(root, os.O_RDONLY)
            up = "../" * 7  # from the sandbox root (fewer than 7 levels deep): up to '/'
            text = os.read(os.open(up + {reference.lstrip("/")!r}, os.O_RDONLY, dir_fd=fd), 1 << 20)
            return np.array([len(text)])
    """, ["cheat"])
    assert result.status == "error" and "sandbox" in result.message, result


TRIPWIRE_SEES_POSIXSUBPROCESS = sys.version_info >= (3, 11)  # on 3.10 NumPy imports it before the tripwire is set


@pytest.mark.skipif(not TRIPWIRE_SEES_POSIXSUBPROCESS and not BWRAP, reason="on 3.10 only bwrap contains _posixsubprocess")
def test_a_process_started_through_posixsubprocess_is_refused_or_contained(tmp_path):
    """From 3.11 the tripwire refuses it. On 3.10 NumPy imports _posixsubprocess first, so only the OS sandbox holds
    it: the child starts inside bwrap, and nothing of it outlives the run (run() checks that)."""
    mode = "process" if TRIPWIRE_SEES_POSIXSUBPROCESS else "bwrap"
    (result,) = run(tmp_path, """
        def spawn(x):
            import _posixsubprocess
            r, w = os.pipe()
            pid = _posixsubprocess.fork_exec([b"/bin/true"], [b"/bin/true"], True, (w,), None, [b"PATH=/bin"],
                                             -1, -1, -1, -1, -1, -1, r, w, True, True, -1, -1, None, -1, -1, None, False)
            return np.array([pid])
    """, ["spawn"], mode=mode)
    if TRIPWIRE_SEES_POSIXSUBPROCESS:
        assert result.status == "error" and "sandbox" in result.message, result
    else:
        assert result.status in ("ok", "error"), result  # started or refused, and contained either way


def test_the_reference_source_cannot_be_read(tmp_path):
    reference = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "reference", "softmax.py")
    assert os.path.isfile(reference)
    (result,) = run(tmp_path, f"""
        def cheat(x):
            return np.array([len(open({reference!r}).read())])
    """, ["cheat"])
    assert result.status == "error" and "sandbox" in result.message, result


# -- resources ---------------------------------------------------------------------

@pytest.mark.slow  # waits on the OS or trains: the full suite runs it, the inner loop does not
@pytest.mark.parametrize("case, body", [
    ("np.ones(10**10)", "np.ones(10**10)"),
    ("a growing list", "keep = []\n    while True: keep.append(bytearray(1 << 20))"),
    ("a growing array", "a = np.ones(1)\n    while True: a = np.concatenate([a, a])"),
])
def test_a_memory_bomb_fails_that_call_and_never_hangs(tmp_path, case, body):
    t0 = time.monotonic()
    failed, after = run(tmp_path, f"""
def bomb(x):
    {body}
""", ["bomb", "fine"], limits=Limits(memory_mb=512, import_timeout=3), timeout=5)
    assert time.monotonic() - t0 < 5
    assert failed.status in ("error", "crashed"), (case, failed)
    if failed.status == "error":
        assert "MemoryError" in failed.message
    assert_fine(after)


@pytest.mark.parametrize("mode", MODES)
def test_flooding_stdout_hits_the_output_limit_and_the_logs_stay_bounded(mode, tmp_path):
    """100 MB to stdout against a 4 MB output limit."""
    limits = Limits(output_mb=4, import_timeout=3)
    sizes = {}
    t0 = time.monotonic()
    flooded, after = run_in(mode, tmp_path, """
        def flood(x):
            chunk = "x" * (1 << 20)
            for _ in range(100):
                sys.stdout.write(chunk)
                sys.stdout.flush()
            return x
    """, ["flood", "fine"], limits=limits, timeout=5, log_sizes=sizes)
    assert time.monotonic() - t0 < 12
    assert flooded.status in ("error", "crashed"), flooded
    assert "File too large" in flooded.message or "output limit" in flooded.message, flooded.message
    assert_fine(after)
    assert sizes and max(sizes.values()) <= limits.output_mb << 20, sizes


def test_the_output_tail_is_bounded_text(tmp_path):
    modules = {"student": write_module(tmp_path, "student", """
        def chatty(x):
            print("hello " * 10_000)
            return x
    """)}
    with Sandbox(modules, FAST) as sandbox:
        (result,) = sandbox.run([call(0, "chatty")], ["student"])
        tail = sandbox.output_tail(limit=500)
    assert result.ok
    assert 0 < len(tail) <= 500 and "hello" in tail


# -- no process outlives the sandbox ---------------------------------------------------

def sleeper(marker, *, session, uid=None, env_marker=True):
    """A python process sleeping for a minute, optionally in its own session (setsid), as uid."""
    code = "import os, sys, time\n" + ("os.setsid()\n" if session else "") + "print('ready', flush=True)\ntime.sleep(60)"
    env = {"PATH": "/usr/bin:/bin"}
    if env_marker:
        env["GRADER_SANDBOX"] = marker
    ids = {"user": uid, "group": uid, "extra_groups": []} if uid is not None else {}
    proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", code], env=env, stdout=subprocess.PIPE,
                            start_new_session=not session, cwd="/", **ids)
    assert proc.stdout.readline() == b"ready\n"
    return proc


def reaped_by_signal(proc, timeout=5):
    try:
        return proc.wait(timeout=timeout) == -signal.SIGKILL
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return False


def test_the_process_mode_scan_finds_a_straggler_that_left_the_group_with_setsid():
    """With process isolation, a process that escaped the worker's group is found by its environment marker."""
    marker = "test-" + os.urandom(6).hex()
    leader, escaped = sleeper(marker, session=False), sleeper(marker, session=True)
    unrelated = sleeper("another-" + marker, session=True)
    try:
        assert sorted(scan(marked(marker, None))) == sorted([leader.pid, escaped.pid])
        assert os.getsid(escaped.pid) != os.getpgid(leader.pid), "the straggler is outside the leader's group"
    finally:
        for p in (leader, escaped, unrelated):
            p.kill()
            p.wait()


@pytest.mark.skipif(not DROPS_PRIVILEGES, reason="needs root to start a process as another uid")
def test_the_process_mode_scan_finds_a_straggler_that_scrubbed_its_environment_by_its_uid():
    marker = "test-" + os.urandom(6).hex()
    uid = 200_000 + int.from_bytes(os.urandom(3), "big") % 1_000_000 + 1_000_000  # outside the sandboxes' range
    escaped = sleeper(marker, session=True, uid=uid, env_marker=False)
    try:
        assert scan(marked(marker, uid)) == [escaped.pid]
    finally:
        escaped.kill()
        escaped.wait()


@pytest.mark.parametrize("mode", WAITING_MODES)  # waits out a timeout: bwrap in the fast loop, both in the full suite
def test_no_sandbox_process_survives_a_run_that_times_out(mode, tmp_path):
    """run() itself asserts it after every run; this run ends with a killed, sleeping worker."""
    results = run_in(mode, tmp_path, """
        def nap(x):
            time.sleep(60)
    """, ["nap", "nap"], timeout=0.5)
    assert [r.status for r in results] == ["timeout", "timeout"]


# -- values come back only as numeric arrays -----------------------------------------

ODD_VALUES = """
class HasArray:
    def __array__(self, dtype=None, copy=None):
        return np.ones(3)

class ArrayRaises:
    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("no")

class LenRaises(list):
    def __len__(self):
        raise RuntimeError("no")

class Endless(tuple):
    def __iter__(self):
        while True:
            yield 1.0

class Sub(np.ndarray):
    pass

def a_list(x):
    return [1.0, 2.0, 3.0]

def has_array(x):
    return HasArray()

def array_raises(x):
    return ArrayRaises()

def len_raises(x):
    return LenRaises([1.0])

def endless(x):
    return Endless()

def huge_int(x):
    return 10 ** 100

def subclass(x):
    return np.zeros(3).view(Sub)

def objects(x):
    return np.array([None, 1], dtype=object)

def strings(x):
    return np.array(["a", "b"])

def text(x):
    return "0.5"

def a_none(x):
    return None

def a_dict(x):
    return {"W1": np.ones(2), 3: "ignored"}

def self_referencing(x):
    a = []
    a.append(a)
    return a
"""


ODD_RETURNS = ["a_list", "has_array", "array_raises", "subclass", "objects", "strings", "text", "a_none", "a_dict"]


@pytest.fixture(scope="module")
def odd_returns(tmp_path_factory):
    """{function: its CallResult} of every function of ODD_RETURNS, each called once, in one sandbox."""
    return dict(zip(ODD_RETURNS, run(tmp_path_factory.mktemp("odd"), ODD_VALUES, ODD_RETURNS)))


@pytest.mark.parametrize("function, status, meta", [
    ("a_list", "ok", {"container": "list", "length": 3}),
    ("has_array", "ok", {"type": "other", "description": "HasArray"}),
    ("array_raises", "ok", {"type": "other", "description": "ArrayRaises"}),
    ("subclass", "ok", {"type": "other", "description": "ndarray float64 (3,)"}),
    ("objects", "ok", {"type": "other", "description": "ndarray object (2,)"}),
    ("strings", "ok", {"type": "other", "description": "ndarray <U1 (2,)"}),
    ("text", "ok", {"type": "other", "description": "str"}),
    ("a_none", "ok", {"type": "other", "description": "NoneType"}),
    ("a_dict", "ok", {"container": "dict", "keys": ["W1"]}),
])
def test_only_numeric_ndarrays_come_back_as_arrays_anything_else_by_type_name(odd_returns, function, status, meta):
    result = odd_returns[function]
    assert result.status == status, result
    assert result.meta["result"] == meta
    assert "result" not in result.arrays
    assert all(a.dtype.kind in "biuf" for a in result.arrays.values())


def test_a_list_comes_back_item_by_item():
    """flatten() recurses into containers: the grader can tell a list of floats from an array."""
    arrays, meta = {}, {}
    wire.flatten("result", [1.0, (2, np.ones(2))], arrays, meta)
    assert meta == {"result": {"container": "list", "length": 2}, "result.0": {"type": "float"},
                    "result.1": {"container": "tuple", "length": 2}, "result.1.0": {"type": "int"},
                    "result.1.1": {"type": "ndarray"}}
    assert sorted(arrays) == ["result.0", "result.1.0", "result.1.1"]


@pytest.mark.slow  # waits on the OS or trains: the full suite runs it, the inner loop does not
@pytest.mark.parametrize("function, status, words", [
    ("len_raises", "error", "cannot be read back (RuntimeError)"),
    ("self_referencing", "error", "cannot be read back (RecursionError)"),
    ("endless", "timeout", "did not return within"),  # encoding it never ends: the call's clock is still running
    ("huge_int", "unreadable", "could not be read"),  # np.asarray(10**100) is an object array
])
def test_a_value_that_cannot_be_encoded_fails_that_call_only(tmp_path, function, status, words):
    failed, after = run(tmp_path, ODD_VALUES, [function, "fine"])
    assert failed.status == status, failed
    assert words in failed.message
    assert failed.arrays == {}
    assert_fine(after)


# -- wire.decode trusts nothing ------------------------------------------------------------

class Unpickled:
    """Unpickling this creates a folder: proof that a loader ran pickle."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def npz_bytes(**arrays):
    import io
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def done(status=None, meta=None):
    """The fields of a 'done' event."""
    return {"event": "done", "call": 0, "status": {"ok": True} if status is None else status, "meta": meta or {}}


def test_decode_reads_back_what_encode_wrote():
    meta, payload = wire.encode({"result": (np.arange(3), 2.5)})
    status, meta, arrays = wire.decode(done(meta=meta), payload)
    assert status == {"ok": True}
    assert meta["result"] == {"container": "tuple", "length": 2}
    np.testing.assert_array_equal(arrays["result.0"], np.arange(3))
    assert arrays["result.1"] == 2.5


def test_decode_never_unpickles_a_forged_object_array(tmp_path):
    sentinel = str(tmp_path / "pwned")
    forged = np.empty(1, dtype=object)
    forged[0] = Unpickled(sentinel)
    with pytest.raises(wire.WireError):
        wire.decode(done(), npz_bytes(result=forged))
    assert not os.path.exists(sentinel), "decode unpickled the forged array"


@pytest.mark.parametrize("case, fields, payload, words", [
    ("status not a dict", {"status": True, "meta": {}}, b"", "wrong structure"),
    ("meta missing", {"status": {"ok": True}}, b"", "wrong structure"),
    ("string array", done(), npz_bytes(result=np.array(["a"])), "non-numeric"),
    ("complex array", done(), npz_bytes(result=np.ones(2, complex)), "non-numeric"),
    ("not a zip", done(), b"garbage", "could not be read"),
])
def test_decode_rejects_forged_or_malformed_results(case, fields, payload, words):
    with pytest.raises(wire.WireError, match=words):
        wire.decode(fields, payload)


def deflate_bomb(inflated=3 << 30):
    """A zip whose one member declares `inflated` bytes; only its headers are real."""
    import io
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("result.npy", "w", force_zip64=True) as member:
            chunk = bytes(1 << 20)
            for _ in range(inflated >> 20):
                member.write(chunk)
    return buffer.getvalue()


def test_a_deflate_bomb_is_refused_from_its_headers_without_inflating_it():
    """300 MiB declared in the zip's headers, sent as a few hundred KB: refused before anything is inflated."""
    bomb = deflate_bomb(300 << 20)  # declared past the 256 MiB cap
    assert len(bomb) < 8 << 20
    with pytest.raises(wire.WireError, match="inflate to more than"):
        wire.decode_arrays(bomb)


def test_a_compressed_npz_is_refused():
    import io
    buffer = io.BytesIO()
    np.savez_compressed(buffer, result=np.zeros(3))
    with pytest.raises(wire.WireError, match="compressed"):
        wire.decode_arrays(buffer.getvalue())


def test_json_nested_past_the_recursion_limit_is_a_wire_error_not_a_crash():
    with pytest.raises(wire.WireError, match="nested too deeply"):
        wire.parse_json("[" * 100_000 + "]" * 100_000)


def test_a_result_forged_by_the_student_process_is_unreadable_not_trusted(tmp_path):
    """Student code that makes its own result file hold an object array gets 'unreadable'."""
    (result,) = run(tmp_path, """
        def forge(x):
            wire = sys.modules["harness.wire"]
            real_encode = wire.encode

            def encode(outputs):
                import io
                meta, _ = real_encode(outputs)
                buffer = io.BytesIO()
                np.savez(buffer, result=np.array([None], dtype=object))
                return meta, buffer.getvalue()
            wire.encode = encode
            return x
    """, ["forge"])
    assert result.status == "unreadable", result
    assert "could not be read" in result.message
