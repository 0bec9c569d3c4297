"""The sandbox's envelope (grader.envelope): bounds on all of a sandbox's processes together.

Where the grader can create cgroups (root here), one cgroup per sandbox bounds memory and processes, freezes
the timing windows and clocks their CPU; elsewhere a watchdog thread polls the sandbox's process tree. Either
way a breach stops the sandbox, and its calls fail with the reason. The pure parts (where the cgroups are,
what is written to them, which processes form the tree) are tested on texts; the rest on the real kernel.
"""

import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from grader import envelope
from grader.envelope import Bounds, Mount, Proc, breach_text, counter, limit_writes, parse_mountinfo, parse_proc_cgroup, plan, tree
from grader.sandbox import Call, Limits, Sandbox

HYBRID_MOUNTS = """\
25 24 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate
27 25 0:24 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,memory
28 25 0:25 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,pids
29 25 0:26 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,freezer
30 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpu,cpuacct
31 25 0:28 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,xattr,name=systemd
"""
HYBRID_CGROUP = "9:name=systemd:/\n8:pids:/\n6:freezer:/\n4:memory:/process_api/abc\n2:cpu,cpuacct:/\n0::/\n"
V2_MOUNTS = "26 25 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate\n"
V2_CGROUP = "0::/user.slice/user-1000.slice/session-2.scope\n"


# -- where the cgroups are ---------------------------------------------------------------------


def test_a_hybrid_machine_uses_the_v1_controllers_under_the_graders_own_cgroups():
    mounts = parse_mountinfo(HYBRID_MOUNTS)
    assert Mount("/sys/fs/cgroup/cpu,cpuacct", "/", 1, frozenset({"cpuacct"})) in mounts
    chosen = plan(mounts, parse_proc_cgroup(HYBRID_CGROUP), frozenset())
    assert chosen == {"memory": (1, "/sys/fs/cgroup/memory/process_api/abc"), "pids": (1, "/sys/fs/cgroup/pids/"),
                      "freezer": (1, "/sys/fs/cgroup/freezer/"), "cpu": (1, "/sys/fs/cgroup/cpu,cpuacct/")}


def test_cgroup_v2_is_used_for_everything_when_memory_and_pids_are_enabled_there():
    chosen = plan(parse_mountinfo(V2_MOUNTS), parse_proc_cgroup(V2_CGROUP), frozenset({"memory", "pids", "cpu"}))
    folder = "/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope"
    assert chosen == {f: (2, folder) for f in envelope.FEATURES}


def test_a_v2_cgroup_without_delegated_controllers_offers_only_its_freezer_and_cpu_clock():
    chosen = plan(parse_mountinfo(V2_MOUNTS), parse_proc_cgroup(V2_CGROUP), frozenset())
    assert set(chosen) == {"freezer", "cpu"}  # no memory or pids bound: open_envelope falls back to the watchdog


def test_a_container_mount_shows_only_its_own_subtree():
    text = "40 30 0:24 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
    (mount,) = parse_mountinfo(text)
    assert envelope.host_dir(mount, "/docker/abc/grading") == "/sys/fs/cgroup/memory/grading"
    assert envelope.host_dir(mount, "/elsewhere") is None


def test_limits_are_written_in_each_versions_own_files():
    bounds = Bounds(sandbox_memory_mb=512, max_processes=20)
    assert limit_writes(1, "memory", bounds, True) == [("memory.limit_in_bytes", str(512 << 20)),
                                                       ("memory.memsw.limit_in_bytes", str(512 << 20))]
    assert limit_writes(2, "memory", bounds, True) == [("memory.max", str(512 << 20)), ("memory.swap.max", "0")]
    assert limit_writes(2, "pids", bounds) == limit_writes(1, "pids", bounds) == [("pids.max", "20")]
    assert limit_writes(1, "freezer", bounds) == []


def test_counters_are_read_from_flat_keyed_files():
    assert counter("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", "oom_kill") == 3
    assert counter("max 0\n", "max") == 0
    assert counter("usage_usec 1500\nuser_usec 1000\n", "usage_usec") == 1500
    assert counter("", "oom_kill") == 0


def test_the_breach_is_said_in_words_with_the_bound():
    assert breach_text("memory", Bounds()) == "the sandbox used more than 4096 MB in all its processes"
    assert "64 processes" in breach_text("pids", Bounds())


# -- the watchdog's tree -----------------------------------------------------------------------


def proc(pid, ppid, session=1, threads=1, rss=10):
    return Proc(pid, ppid, session, threads, rss, "S")


def test_the_tree_holds_descendants_sessions_and_processes_seen_before_but_not_strangers():
    procs = [proc(10, 1, session=10), proc(11, 10, session=10), proc(12, 11, session=12),  # a child, a grandchild in its own session
             proc(13, 1, session=10),  # an orphan, still in the sandbox's session
             proc(14, 1, session=14),  # an orphan in its own session, seen in an earlier look
             proc(15, 14, session=14),  # its child, born since
             proc(20, 1, session=20)]  # another user's process
    assert tree(procs, roots={10}, sessions={10}, known={14}) == {10, 11, 12, 13, 14, 15}


def test_the_tree_counts_threads_and_resident_memory_of_the_living_only():
    procs = [proc(10, 1, threads=3, rss=100), Proc(11, 10, 1, 1, 0, "Z"), proc(12, 10, threads=2, rss=50)]
    size, tasks = envelope.usage(procs, {10, 11, 12})
    assert (size, tasks) == (150 * os.sysconf("SC_PAGE_SIZE"), 5)


def test_stat_is_parsed_after_the_last_parenthesis_of_the_name():
    raw = b"42 (a) b) c) S 7 42 42 0 -1 0 0 0 0 0 0 0 0 0 20 0 3 0 1 1000 25 0 0"
    assert envelope.parse_stat(42, raw) == Proc(42, 7, 42, 3, 25, "S")


def test_the_scratch_walk_counts_bytes_and_entries_and_follows_no_symlink(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "f").write_bytes(b"x" * 100_000)
    (tmp_path / "link").symlink_to("/usr")
    size, entries = envelope.scratch_usage(str(tmp_path))
    assert entries == 3 and 100_000 <= size < 200_000


# -- on the real kernel ----------------------------------------------------------------------


CGROUPS = not isinstance(envelope.discover(), str) and os.geteuid() == 0
needs_cgroups = pytest.mark.skipif(not CGROUPS, reason=f"cannot create cgroups here: {envelope.discover()}" if not CGROUPS else "")
KINDS = [pytest.param("cgroup", id="cgroup", marks=needs_cgroups), pytest.param("watchdog", id="watchdog")]
PRELUDE = "import os, sys, time\nimport numpy as np\n\n\ndef fine(x):\n    return x + 1.0\n"


@pytest.fixture
def kind(request, monkeypatch):
    """'cgroup' or 'watchdog': which envelope the sandboxes of the test get."""
    if request.param == "watchdog":
        monkeypatch.setattr(envelope, "discover", lambda: "forced by the test")
    return request.param


class MarkedSandbox(Sandbox):
    """A Sandbox that remembers the environment marker of every process it started."""

    def launch(self, *args, **kwargs):
        launch = super().launch(*args, **kwargs)
        self.markers = getattr(self, "markers", []) + [launch.marker]
        return launch


def carrying(markers):
    """Live processes whose environment holds one of the markers."""
    needles = {f"GRADER_SANDBOX={m}".encode() for m in markers}
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if needles & set(f.read().split(b"\0")) and envelope.running_state(int(pid)):
                    found.append(int(pid))
        except OSError:
            continue
    return found


def run_student(tmp_path, source, functions, limits, timeout=10.0):
    """student.<function>(zeros(3)) for each function in one process-mode Sandbox without the audit hooks (the OS
    boundary is tested). Returns (results, the envelope's kind, the log's size, the cgroup folders it had); asserts
    that no process of the sandbox outlives it."""
    path = tmp_path / "student.py"
    path.write_text(PRELUDE + textwrap.dedent(source))
    spec = lambda f: {"module": "student", "function": f, "args": [{"array": "a0"}], "kwargs": {}}  # noqa: E731
    calls = [Call(i, "call", spec(f), {"a0": np.zeros(3)}, timeout) for i, f in enumerate(functions)]
    with MarkedSandbox({"student": path}, limits, isolation_mode="process", tripwire=False) as box:
        results = box.run(calls, ["student"])
        kind, folders = box.envelope.kind, list(box.envelope.cgroups.made) if box.envelope.cgroups else []
        log = box.log.stat().st_size
    time.sleep(0.1)
    assert carrying(box.markers) == [], "a process of the sandbox outlived it"
    return results, kind, log, folders


MULTIPLIER = """
def multiply(x):
    for _ in range(6):
        if os.fork() == 0:
            block = np.ones((200 << 20) // 8)  # 200 MB each: far below RLIMIT_AS, 1.2 GB together
            time.sleep(30)
            os._exit(0)
    time.sleep(30)
    return x
"""


@pytest.mark.slow  # a memory hog stopped by the kernel: the full suite runs it, the inner loop does not
@pytest.mark.parametrize("kind", KINDS, indirect=True)
def test_children_that_together_exceed_the_sandbox_memory_stop_the_sandbox_and_name_the_bound(tmp_path, kind):
    limits = Limits(import_timeout=5, sandbox_memory_mb=512)
    t0 = time.monotonic()
    (hog, after), used, _, folders = run_student(tmp_path, MULTIPLIER, ["multiply", "fine"], limits)
    assert used == kind
    assert time.monotonic() - t0 < 20
    assert hog.status == "crashed" and "the sandbox used more than 512 MB in all its processes" in hog.message, hog
    assert after.status == "crashed" and after.message == "not run: the sandbox used more than 512 MB in all its processes, and was stopped"
    assert [f for f in folders if os.path.exists(f)] == [], "the sandbox's cgroups outlive it"


BOMB = """
def bomb(x):
    while True:
        try:
            os.fork()
        except OSError:
            time.sleep(0.001)
"""


@pytest.mark.slow  # a fork bomb: the full suite runs it, the inner loop does not
@pytest.mark.parametrize("kind", KINDS, indirect=True)
def test_a_fork_bomb_is_stopped_at_the_process_limit_and_leaves_no_process(tmp_path, kind):
    limits = Limits(import_timeout=5, max_processes=32)
    (bombed, after), _, _, _ = run_student(tmp_path, BOMB, ["bomb", "fine"], limits)
    assert bombed.status == "crashed" and "more than 32 processes and threads" in bombed.message, bombed
    assert after.status == "crashed"


FLOOD = """
def flood(x):
    chunk = b"x" * (1 << 20)
    for _ in range(8):
        os.write(2, chunk)
    os._exit(1)
"""


def test_the_output_of_every_call_together_stays_within_output_mb(tmp_path):
    """Eight crashing calls of 8 MB each (a fresh process and fresh descriptors each) against a 4 MB budget."""
    results, _, log, _ = run_student(tmp_path, FLOOD, ["flood"] * 8 + ["fine"], Limits(import_timeout=5, output_mb=4))
    assert {r.status for r in results[:8]} <= {"crashed", "error"}  # killed, or its write refused (EFBIG)
    assert results[8].ok, results[8]
    assert log <= 4 << 20


SCRATCH = """
def fill(x):
    for i in range(40):
        with open(f"f{i}", "wb") as f:
            f.write(b"x" * (1 << 20))
            f.flush()
            os.fsync(f.fileno())
    time.sleep(5)
    return x
"""


@pytest.mark.slow  # fills a disk quota: the full suite runs it, the inner loop does not
@pytest.mark.parametrize("kind", KINDS, indirect=True)
def test_the_scratch_folder_of_process_mode_is_bounded_by_disk_mb(tmp_path, kind):
    (filled, _), _, _, _ = run_student(tmp_path, SCRATCH, ["fill", "fine"], Limits(import_timeout=5, disk_mb=16))
    assert filled.status == "crashed" and "wrote more than 16 MB to its scratch folder" in filled.message, filled


@pytest.mark.slow  # waits on the OS: the full suite runs it, the inner loop does not
@needs_cgroups
def test_the_freezer_and_the_cpu_clock_hold_a_detached_grandchild_in_a_nested_namespace():
    """A burner that left the session, the environment and the PID namespace is frozen and clocked all the same."""
    box = envelope.open_envelope(Bounds())
    burner = ("import ctypes, os\n"
              "if os.fork() == 0:\n"
              "    os.setsid()\n"
              "    ctypes.CDLL(None).unshare(0x10000000 | 0x20000000)\n"  # a user and PID namespace, where allowed
              "    if os.fork() == 0:\n"
              "        os.execve('/bin/sh', ['sh', '-c', 'while :; do :; done'], {})\n"
              "    os._exit(0)\n")
    try:
        subprocess.run([sys.executable, "-c", burner], preexec_fn=box.join, timeout=10, check=True)
        time.sleep(0.3)
        assert len(box.cgroups.pids()) == 1, "the burner is in the sandbox's cgroup"
        box.cgroups.freeze()
        frozen_at = box.cgroups.cpu_seconds()
        time.sleep(0.5)
        assert box.cgroups.cpu_seconds() - frozen_at < 0.02
        box.cgroups.thaw()
        time.sleep(0.5)
        assert box.cgroups.cpu_seconds() - frozen_at > 0.1
    finally:
        box.close()
    assert box.cgroups.made == []


def nobody():
    import pwd
    try:
        entry = pwd.getpwnam("nobody")
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


@pytest.mark.slow  # grades as another user, with a fork bomb and a memory hog: the full suite runs it
@pytest.mark.skipif(os.geteuid() != 0 or nobody() is None, reason="needs root to start the grader as an ordinary user")
@pytest.mark.parametrize("source, function, memory_mb, words", [
    (BOMB, "bomb", 4096, "more than 32 processes and threads"),  # resident memory counts shared pages in each process
    (MULTIPLIER, "multiply", 512, "more than 512 MB in all its processes")], ids=["fork bomb", "memory multiplier"])
def test_an_ordinary_user_grading_gets_the_watchdog_and_it_stops_the_sandbox(tmp_path, source, function, memory_mb, words):
    """No cgroup can be made and no private uid exists, so RLIMIT_NPROC means nothing: the watchdog alone bounds it."""
    import json
    import shutil
    import tempfile
    uid, gid = nobody()
    folder = tempfile.mkdtemp(prefix="grader-test-envelope-")  # pytest's own folders are root's, mode 700
    os.chown(folder, uid, gid)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = (f"import json, pathlib, sys; sys.path.insert(0, {root!r}); sys.path.insert(0, {root + '/tests'!r})\n"
            "from test_envelope import *\n"
            f"(result, after), kind, _, _ = run_student(pathlib.Path({folder!r}), {source!r}, [{function!r}, 'fine'], "
            f"Limits(import_timeout=5, sandbox_memory_mb={memory_mb}, max_processes=32))\n"
            "print(json.dumps([kind, result.status, result.message, after.status]))")
    try:
        done = subprocess.run([sys.executable, "-c", code], user=uid, group=gid, extra_groups=[], cwd=folder,
                              env={"PATH": "/usr/bin:/bin", "HOME": folder, "TMPDIR": folder}, capture_output=True,
                              text=True, timeout=120)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-2000:]
    kind, status, message, after = json.loads(done.stdout.strip().splitlines()[-1])
    assert kind == "watchdog"
    assert status == "crashed" and words in message, message
    assert after == "crashed"
