"""The OS boundary (grader.isolation): with bwrap, student code is contained even with the
audit hooks switched off, as root and as an ordinary user.

The escape test runs a submission whose tripwire is deliberately not installed and
which tries everything a determined student would: read the solution, the
repository's .git, the home folder and the grader's files; write outside; connect
to a listener on 127.0.0.1; leave a process behind. Every attempt must fail.
"""

import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from grader import isolation
from grader.sandbox import Call, Limits, Sandbox
from grader.worker import scan

ROOT = Path(__file__).resolve().parent.parent
BWRAP = isolation.bwrap_problem(sys.executable) is None
pytestmark = pytest.mark.skipif(not BWRAP and os.environ.get("CI") != "true",
                                reason=f"bubblewrap is not usable here: {isolation.bwrap_problem(sys.executable)}")

ESCAPES = textwrap.dedent('''
    import os, socket, sys, time
    import numpy as np

    SECRETS = {SECRETS!r}
    PORT = {PORT}
    CANARY = {CANARY!r}
    TAG = {TAG!r}

    def attempt(action):
        """1.0 when the action succeeded."""
        try:
            action()
            return 1.0
        except BaseException:
            return 0.0

    def read(path):
        with open(path, "rb") as f:
            return f.read(100)

    def connect():
        with socket.create_connection(("127.0.0.1", PORT), timeout=2) as s:
            s.sendall(b"stolen")

    def write_canary():
        with open(CANARY, "w") as f:
            f.write("escaped")

    def leave_process():
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(120)", TAG])
            os._exit(0)

    def nest_namespace():
        """A user namespace inside the sandbox (then a PID namespace in it would hide from the grader)."""
        pid = os.fork()
        if pid == 0:
            import ctypes
            os._exit(0 if ctypes.CDLL(None, use_errno=True).unshare(0x10000000) == 0 else 1)  # CLONE_NEWUSER
        if os.waitpid(pid, 0)[1] != 0:
            raise OSError("unshare(CLONE_NEWUSER) was refused")

    def escape(x):
        """(one flag per attempt in ATTEMPTS order: 1.0 = it worked) and the uid it ran as."""
        tried = [attempt(lambda p=p: read(p)) for p in SECRETS]
        tried += [attempt(connect), attempt(write_canary), attempt(nest_namespace), attempt(leave_process)]
        return np.array(tried), os.getuid()
''')


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted, self.stop = 0, False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                self.accepted += 1
                conn.close()
            except OSError:
                pass

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


def secrets_to_steal():
    home = os.path.expanduser("~")
    return [str(ROOT / "reference" / "softmax.py"), str(ROOT / ".git" / "HEAD"), str(ROOT / "grader" / "rubric.toml"),
            os.path.join(home, ".bashrc"), home, "/etc/shadow", "/etc/passwd"]


def run_escape(folder, port, mode="bwrap"):
    """Run the escape module with the tripwire off: ({attempt: worked}, uid inside, survivors, canary written)."""
    tag = "isolation-escape-" + os.urandom(4).hex()
    canary = str(Path(folder) / "canary.txt")
    source = ESCAPES.format(SECRETS=secrets_to_steal(), PORT=port, CANARY=canary, TAG=tag)
    module = Path(folder) / "student.py"
    module.write_text(source)
    spec = {"module": "student", "function": "escape", "args": [{"array": "a0"}], "kwargs": {}}
    with Sandbox({"student": module}, Limits(import_timeout=10), isolation_mode=mode, tripwire=False) as box:
        (result,) = box.run([Call(0, "call", spec, {"a0": np.zeros(1)}, 10.0)], ["student"])
    assert result.ok, result.message
    time.sleep(0.3)
    survivors = scan(lambda pid: tag.encode() in open(f"/proc/{pid}/cmdline", "rb").read())
    names = [f"read {p}" for p in secrets_to_steal()] + ["connect to 127.0.0.1", "write outside", "make a user namespace",
                                                         "start a process"]
    worked = dict(zip(names, result.arrays["result.0"].tolist()))
    return worked, int(result.arrays["result.1"]), survivors, os.path.exists(canary)


def assert_contained(worked, survivors, canary_written, accepted):
    assert [what for what, flag in worked.items() if flag and what != "start a process"] == []
    assert survivors == [], "a process outlived the sandbox"
    assert not canary_written
    assert accepted == 0, "a connection reached 127.0.0.1"


def test_with_the_audit_hooks_off_every_escape_fails_as_the_grader_runs_it(tmp_path):
    """As the grader runs here (root in CI, with a private uid for student code)."""
    listener = Listener()
    try:
        worked, uid, survivors, written = run_escape(tmp_path, listener.port)
    finally:
        listener.close()
    assert_contained(worked, survivors, written, listener.accepted)


def ordinary_user():
    """(uid, gid) of an unprivileged account to run the grader as, or None."""
    for name in ("nobody",):
        try:
            entry = pwd.getpwnam(name)
            return entry.pw_uid, entry.pw_gid
        except KeyError:
            continue
    return None


@pytest.mark.slow  # grades as another user: the full suite runs it, the inner loop does not
@pytest.mark.skipif(os.geteuid() != 0 or ordinary_user() is None or not isolation.can_drop_privileges(sys.executable),
                    reason="needs root, and an interpreter an ordinary user can run, to start the grader as that user")
def test_with_the_audit_hooks_off_every_escape_fails_when_an_ordinary_user_grades(tmp_path):
    """The grader itself runs as an unprivileged user (bwrap through unprivileged user namespaces)."""
    uid, gid = ordinary_user()
    folder = Path(tempfile.mkdtemp(prefix="grader-test-user-"))  # pytest's own folders are root's, mode 700
    os.chown(folder, uid, gid)
    listener = Listener()
    code = ("import json, sys; sys.path.insert(0, %r)\n"
            "from tests.test_isolation import run_escape\n"
            "print(json.dumps(run_escape(%r, %d)))") % (str(ROOT), str(folder), listener.port)
    try:
        done = subprocess.run([sys.executable, "-c", code], user=uid, group=gid, extra_groups=[], cwd=str(folder),
                              env={"PATH": "/usr/bin:/bin", "HOME": str(folder), "TMPDIR": str(folder)},
                              capture_output=True, text=True, timeout=120)
    finally:
        listener.close()
        shutil.rmtree(folder, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-2000:]
    worked, inside_uid, survivors, written = json.loads(done.stdout.strip().splitlines()[-1])
    assert_contained(worked, survivors, written, listener.accepted)


def test_the_sandbox_sees_no_repository_no_home_and_a_private_proc(tmp_path):
    module = tmp_path / "student.py"
    module.write_text(textwrap.dedent('''
        import os
        import numpy as np

        def look(x):
            return np.array([os.path.exists(p) for p in %r] + [len([d for d in os.listdir("/proc") if d.isdigit()])])
    ''' % [str(ROOT), str(ROOT / "reference"), str(ROOT / ".git"), os.path.expanduser("~/.bashrc"), "/etc/shadow"]))
    spec = {"module": "student", "function": "look", "args": [{"array": "a0"}], "kwargs": {}}
    with Sandbox({"student": module}, Limits(import_timeout=10), isolation_mode="bwrap") as box:
        (result,) = box.run([Call(0, "call", spec, {"a0": np.zeros(1)}, 10.0)], ["student"])
    assert result.ok, result.message
    *exists, processes = result.arrays["result"].tolist()
    assert exists == [False] * 5
    assert processes <= 3, "the sandbox's /proc shows only its own processes"


def test_choose_refuses_to_fall_back_silently_when_strict(monkeypatch):
    monkeypatch.setattr(isolation, "bwrap_problem", lambda python: "bubblewrap (bwrap) is not installed")
    with pytest.raises(isolation.IsolationError, match="--isolation process"):
        isolation.choose("auto", strict=True)
    assert isolation.choose("auto", strict=False).mode == "process"
    assert isolation.choose("process", strict=True).mode == "process"
    with pytest.raises(isolation.IsolationError, match="not installed"):
        isolation.choose("bwrap")


def test_strict_by_default_as_root_or_under_ci():
    assert isolation.strict_by_default({"CI": "true"})
    assert isolation.strict_by_default({}) == (os.geteuid() == 0)



@pytest.fixture
def fake_root(monkeypatch):
    """Root with bwrap on PATH: every probe process is recorded as (program, as a dropped uid) in `calls` and exits
    with answers[(program, dropped)] (0 unless set); the probes' caches are emptied before and after."""
    calls, answers = [], {}

    def run(argv, **kwargs):
        call = ("bwrap" if "bwrap" in str(argv[0]) else "python", "user" in kwargs)
        calls.append(call)
        return subprocess.CompletedProcess(argv, answers.get(call, 0), b"", b"no user namespaces")
    for f in (isolation.can_drop_privileges, isolation.bwrap_problem):
        f.cache_clear()
    monkeypatch.setattr(isolation, "_DROPS_IN_BWRAP", set())
    monkeypatch.setattr(isolation.os, "geteuid", lambda: 0)
    monkeypatch.setattr(isolation, "bwrap_binary", lambda: "/usr/bin/bwrap")
    monkeypatch.setattr(isolation, "package_dirs", lambda python: ())
    monkeypatch.setattr(isolation.subprocess, "run", run)
    yield calls, answers
    for f in (isolation.can_drop_privileges, isolation.bwrap_problem):
        f.cache_clear()


def test_as_root_one_sandboxed_process_shows_both_that_bwrap_works_and_that_a_dropped_uid_runs_python(fake_root):
    calls, _ = fake_root
    assert isolation.bwrap_problem("/usr/bin/python3") is None
    assert isolation.can_drop_privileges("/usr/bin/python3") is True
    assert calls == [("bwrap", True)]


def test_as_root_when_the_dropped_uid_cannot_run_python_bwrap_is_tried_without_dropping(fake_root):
    calls, answers = fake_root
    answers[("bwrap", True)] = answers[("python", True)] = 1
    assert isolation.bwrap_problem("/usr/bin/python3") is None
    assert isolation.can_drop_privileges("/usr/bin/python3") is False
    assert calls == [("bwrap", True), ("python", True), ("bwrap", False)]


def test_as_root_when_bwrap_fails_for_a_uid_that_runs_python_it_is_a_bwrap_problem(fake_root):
    calls, answers = fake_root
    answers[("bwrap", True)] = 1
    assert isolation.bwrap_problem("/usr/bin/python3") == "bwrap refused to create the sandbox: no user namespaces"
    assert isolation.can_drop_privileges("/usr/bin/python3") is True
    assert calls == [("bwrap", True), ("python", True)]
