"""Process mode is a sandbox in its own right (grader.confine, grader.landlock, grader.syscall_filter, grader.uids).

Where namespaces are refused (Gradescope's container), or bubblewrap is missing, student code runs as a
plain child confined by kernel layers that need no namespace. Does each layer refuse what it must? Does
the grader refuse to grade when the reference or the rubric would be readable? Does the bundle's
run_autograder, in a simulated container that refuses namespaces, give a stub softmax.py nothing?
"""

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest

from grader import confine, corpus, dist_gradescope, isolation, landlock, syscall_filter, uids
from grader.contract import MODULES
from grader.paths import REFERENCE_DIR
from grader.sandbox import Call, Limits, Sandbox

from conftest import ROOT
from test_isolation import Listener, assert_contained, ordinary_user, run_escape

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: it drops to a sandbox uid")
LANDLOCK = landlock.abi() > 0
NEEDS_LANDLOCK = pytest.mark.skipif(not LANDLOCK and os.environ.get("CI") != "true",
                                    reason="this kernel has no Landlock (another machine: Linux 5.13+ with landlock in lsm=)")
CORPUS_RUBRIC = ROOT / "tests" / "corpus" / "rubric.toml"

ATTEMPTS = textwrap.dedent('''
    import ctypes, json, os, socket, sys
    libc = ctypes.CDLL(None, use_errno=True)
    def attempt(action):
        try:
            return bool(action())
        except OSError:
            return False
    def sock(family, kind):
        socket.socket(family, kind).close()
        return True
    out = {
        "AF_INET": attempt(lambda: sock(socket.AF_INET, socket.SOCK_STREAM)),
        "AF_INET6": attempt(lambda: sock(socket.AF_INET6, socket.SOCK_STREAM)),
        "AF_UNIX": attempt(lambda: sock(socket.AF_UNIX, socket.SOCK_STREAM)),
        "AF_NETLINK": attempt(lambda: sock(socket.AF_NETLINK, socket.SOCK_RAW)),
        "AF_PACKET": attempt(lambda: sock(socket.AF_PACKET, socket.SOCK_RAW)),
        "socketpair": attempt(lambda: socket.socketpair()),
        "ptrace": attempt(lambda: libc.ptrace(16, os.getppid(), None, None) == 0),
        "unshare": attempt(lambda: libc.unshare(0x10000000) == 0),
        "setns": attempt(lambda: libc.setns(os.open("/proc/self/ns/uts", os.O_RDONLY), 0) == 0),
        "keyctl": attempt(lambda: libc.syscall(250, 0, -3, 0, 0, 0) >= 0),
        "clone_newuser": attempt(lambda: libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0) >= 0),
        "fork": attempt(lambda: (lambda pid: pid == 0 and os._exit(0) or os.waitpid(pid, 0) and True)(os.fork())),
    }
    print(json.dumps(out))
''')


def run_confined(plan, code, *argv):
    """Run `python -c code` under plan's layers; its stdout parsed as JSON."""
    done = subprocess.run([sys.executable, "-I", "-S", "-c", code, *argv], preexec_fn=lambda: confine.apply(plan),
                          capture_output=True, text=True, timeout=60, cwd="/")
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_the_child_layers_run_in_a_fixed_order_with_the_seccomp_filter_last():
    """Is the uid dropped before Landlock and seccomp, so a layer that needs root can go first?"""
    names = [layer.__name__ for layer in confine.LAYERS]
    assert names == ["join_envelope", "set_limits", "drop_privileges", "forbid_new_privileges", "restrict_files", "filter_syscalls"]


@pytest.mark.skipif(syscall_filter.problem() is not None, reason=f"no seccomp here: {syscall_filter.problem()}")
def test_the_seccomp_filter_refuses_sockets_ptrace_namespaces_and_keyrings_and_allows_fork():
    plan = confine.Plan(3 << 30, 64 << 20, no_new_privs=True, seccomp=True)
    got = run_confined(plan, ATTEMPTS)
    assert got.pop("fork") is True  # the filter leaves plain processes alone (clone without namespace flags)
    assert [name for name, worked in got.items() if worked] == []


def test_without_the_filter_the_same_socket_attempts_work():
    """The probe itself works: unfiltered, an AF_UNIX socket opens (so the test above proves the filter).
    (Only the sockets: unfiltered, its ptrace attempt would stop this test's own process.)"""
    sockets = ATTEMPTS.split('    "ptrace"')[0] + "}\nprint(json.dumps(out))\n"
    got = run_confined(confine.Plan(3 << 30, 64 << 20), sockets)
    assert got["AF_UNIX"] and got["socketpair"] and got["AF_INET"]


def test_a_missing_seccomp_library_is_a_clear_refusal_not_a_skipped_layer(monkeypatch):
    monkeypatch.setattr(syscall_filter, "library", lambda: (_ for _ in ()).throw(
        syscall_filter.SeccompUnavailable("the seccomp layer needs pyseccomp and libseccomp (gone)")))
    syscall_filter.sandbox_filter.cache_clear()
    try:
        layers = confine.available(can_drop=True)
        assert not layers.seccomp
        assert "pyseccomp" in confine.process_problem(layers, root=True)
    finally:
        syscall_filter.sandbox_filter.cache_clear()


def test_process_mode_needs_a_private_uid_as_root_and_landlock_as_an_ordinary_user():
    full = confine.Layers(uid_separation=True, seccomp=True, landlock=7)
    assert confine.process_problem(full, root=True) is None and confine.process_problem(full, root=False) is None
    assert confine.process_problem(confine.Layers(True, True, 0), root=True) is None  # root: the uid holds the files
    assert "Landlock" in confine.process_problem(confine.Layers(False, True, 0), root=False)
    assert "uid" in confine.process_problem(confine.Layers(False, True, 7), root=True)


@NEEDS_LANDLOCK
def test_landlock_lets_a_child_read_only_its_roots_and_write_only_its_scratch(tmp_path):
    readable, secret, scratch = tmp_path / "readable", tmp_path / "secret", tmp_path / "scratch"
    for folder in (readable, secret, scratch):
        folder.mkdir()
    (readable / "a.txt").write_text("a")
    (secret / "s.txt").write_text("s")
    code = textwrap.dedent('''
        import json, sys
        def ok(f):
            try:
                f()
                return True
            except OSError:
                return False
        r, s, w = sys.argv[1:4]
        print(json.dumps({"read": ok(lambda: open(r + "/a.txt").read()), "secret": ok(lambda: open(s + "/s.txt").read()),
                          "write": ok(lambda: open(w + "/new.txt", "w").write("x")),
                          "write_readable": ok(lambda: open(r + "/new.txt", "w").write("x")),
                          "etc": ok(lambda: open("/etc/hostname").read()), "proc": ok(lambda: open("/proc/1/status").read())}))
    ''')
    plan = confine.Plan(3 << 30, 64 << 20, no_new_privs=True, landlock=True,
                        reads=(*Sandbox_system(), str(readable)), writes=(str(scratch),), executes=Sandbox_system())
    got = run_confined(plan, code, str(readable), str(secret), str(scratch))
    assert got == {"read": True, "secret": False, "write": True, "write_readable": False, "etc": False, "proc": False}


def Sandbox_system():
    from grader.sandbox import stdlib_paths, system_reads
    return (*system_reads(isolation.interpreter(sys.executable)), *stdlib_paths())


@pytest.mark.slow  # waits on the OS: the full suite runs it, the inner loop does not
@ROOT_ONLY
def test_a_leased_uid_is_exclusive_and_its_release_kills_its_processes_and_removes_its_files():
    first, second = uids.acquire(), uids.acquire()
    try:
        assert first.uid != second.uid and first.uid >= uids.BASE
        sleeper = subprocess.Popen(["sleep", "60"], user=first.uid, group=first.uid, extra_groups=[],
                                   start_new_session=True)
        left = "/dev/shm/procmode-left-" + os.urandom(4).hex()
        plant = ("import os, sys\nos.mkdir(sys.argv[1]); os.chdir(sys.argv[1])\n"
                 "for _ in range(1200):\n    os.mkdir('d'); os.chdir('d')\n"  # deeper than any recursion limit
                 "open('f', 'w').write('x'); open('/tmp/' + os.path.basename(sys.argv[1]), 'w').write('x')\n")
        subprocess.run([sys.executable, "-I", "-S", "-c", plant, left], user=first.uid, group=first.uid, extra_groups=[],
                       check=True, cwd="/")
        assert os.path.isdir(left) and os.path.exists("/tmp/" + os.path.basename(left))
        first.release()
        assert sleeper.wait(timeout=10) == -9
        assert not os.path.exists(left) and not os.path.exists("/tmp/" + os.path.basename(left))
    finally:
        first.release()
        second.release()


@ROOT_ONLY
def test_every_sandbox_of_a_grade_gets_its_own_uid_and_folders_only_that_uid_can_read():
    reference = {m: REFERENCE_DIR / f"{m}.py" for m in MODULES}
    with Sandbox(reference, Limits(), isolation_mode="process") as ref_box, \
         Sandbox(reference, Limits(), isolation_mode="process") as box:
        assert None not in (ref_box.uid, box.uid) and ref_box.uid != box.uid
        for path in [ref_box.root, *ref_box.root.rglob("*")]:
            st = path.lstat()
            assert st.st_mode & 0o007 == 0, f"{path} is mode {stat.S_IMODE(st.st_mode):o}: others could read it"
            assert st.st_gid in (ref_box.uid, 0) and st.st_uid in (ref_box.uid, 0)


@ROOT_ONLY
def test_process_mode_refuses_to_grade_when_the_student_could_open_a_guarded_file(tmp_path, monkeypatch):
    """A mistake simulated: no Landlock here, and a rubric left world-readable. The probe, run with the student's
    own layers before any student code, opens it; the sandbox refuses and says what to fix."""
    monkeypatch.setattr(landlock, "abi", lambda: 0)
    folder = Path(tempfile.mkdtemp(prefix="procmode-rubric-", dir="/tmp"))
    try:
        os.chmod(folder, 0o755)
        rubric = folder / "rubric.toml"
        rubric.write_text("seed = 1\n")
        os.chmod(rubric, 0o644)
        reference = {m: REFERENCE_DIR / f"{m}.py" for m in MODULES}
        with pytest.raises(isolation.IsolationError, match=r"(?s)refusing to grade.*rubric\.toml.*chmod 600"):
            with Sandbox(reference, Limits(), isolation_mode="process", guarded=[str(rubric)]):
                pass
        os.chmod(rubric, 0o600)  # fixed as the message says: now it grades
        with Sandbox(reference, Limits(), isolation_mode="process", guarded=[str(rubric)]) as box:
            assert box.layers.landlock == 0 and box.uid is not None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@ROOT_ONLY
@pytest.mark.slow
def test_grade_exits_2_naming_the_readable_rubric_when_it_would_be_readable(tmp_path, monkeypatch, capsys):
    """The whole command: exit 2 (a set-up error the operator fixes, like --isolation bwrap without bwrap),
    nothing graded, no results.json."""
    from grader import cli
    monkeypatch.setattr(landlock, "abi", lambda: 0)
    folder = Path(tempfile.mkdtemp(prefix="procmode-rubric-", dir="/tmp"))
    try:
        os.chmod(folder, 0o755)
        rubric = folder / "rubric.toml"
        shutil.copy(CORPUS_RUBRIC, rubric)
        os.chmod(rubric, 0o644)
        out = tmp_path / "out"
        status = cli.main(["grade", str(REFERENCE_DIR), "--isolation", "process", "--rubric", str(rubric), "--out", str(out),
                           "--dataset", "digits", "--only", "softmax.*"])
        said = capsys.readouterr().err
        assert status == 2, said
        assert "refusing to grade" in said and str(rubric) in said and "chmod 600" in said
        assert not (out / "results.json").exists()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@ROOT_ONLY
@NEEDS_LANDLOCK
def test_with_the_audit_hooks_off_every_escape_fails_in_process_mode_as_root(tmp_path):
    listener = Listener()
    try:
        worked, uid, survivors, written = run_escape(tmp_path, listener.port, mode="process")
    finally:
        listener.close()
    assert uid >= uids.BASE
    assert_contained(worked, survivors, written, listener.accepted)


def as_ordinary_user(code, timeout=300):
    """Run python code as `nobody` from a readable copy of the project; (CompletedProcess, home folder)."""
    uid, gid = ordinary_user()
    home = Path(tempfile.mkdtemp(prefix="procmode-user-"))
    project = home / "project"
    shutil.copytree(ROOT, project, ignore=shutil.ignore_patterns(".git", ".venv*", "reports", "__pycache__", ".pytest_cache"))
    for path in [home, *home.rglob("*")]:
        os.chown(path, uid, gid, follow_symlinks=False)
    done = subprocess.run([sys.executable, "-c", code], user=uid, group=gid, extra_groups=[], cwd=str(project),
                          env={"PATH": "/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(home), "LANG": "C.UTF-8"},
                          capture_output=True, text=True, timeout=timeout)
    return done, home


USER = pytest.mark.skipif(os.geteuid() != 0 or ordinary_user() is None or not isolation.can_drop_privileges(sys.executable),
                          reason="needs root, and an interpreter an ordinary user can run, to start the grader as that user")


@pytest.mark.slow  # grades as another user: the full suite runs it, the inner loop does not
@USER
@NEEDS_LANDLOCK
def test_with_the_audit_hooks_off_every_escape_fails_in_process_mode_as_an_ordinary_user():
    """As `nobody`, the student runs under the grader's own uid: Landlock and seccomp are what hold."""
    listener = Listener()
    code = ("import json, sys; sys.path[:0] = ['.', 'tests']\n"
            "from tests.test_isolation import run_escape\n"
            "import tempfile\n"
            "print(json.dumps(run_escape(tempfile.mkdtemp(), %d, mode='process')))") % listener.port
    try:
        done, home = as_ordinary_user(code)
    finally:
        listener.close()
    shutil.rmtree(home, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-2000:]
    worked, inside_uid, survivors, written = json.loads(done.stdout.strip().splitlines()[-1])
    assert inside_uid == ordinary_user()[0]
    assert_contained(worked, survivors, written, listener.accepted)


@USER
@NEEDS_LANDLOCK
@pytest.mark.slow
def test_an_ordinary_user_grading_in_process_mode_keeps_the_reference_sandbox_from_the_student():
    """`grader grade --isolation process` as `nobody` on the case that hunts for the reference's sandbox copy."""
    code = textwrap.dedent('''
        import json, subprocess, sys
        from pathlib import Path
        from grader import corpus
        case = corpus.load_case(corpus.CORPUS_DIR / "hostile" / "procmode_reference_copy", "hostile")
        sub = corpus.materialize(case, Path("../submission"))
        done = subprocess.run([sys.executable, "-m", "grader", "grade", str(sub), "--isolation", "process", "--dataset",
                               "digits", "--rubric", "tests/corpus/rubric.toml", "--out", "../out", "--quiet"],
                              capture_output=True, text=True)
        print(json.dumps([done.returncode, done.stderr[-1500:], json.loads(Path("../out/results.json").read_text())]))
    ''')
    done, home = as_ordinary_user(code, timeout=600)
    shutil.rmtree(home, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-2000:]
    status, said, doc = json.loads(done.stdout.strip().splitlines()[-1])
    assert status == 0, said
    assert doc["isolation_layers"] == {"mode": "process", "uid_separation": False, "seccomp": True, "landlock": True,
                                       "landlock_abi": landlock.abi(), "envelope": "watchdog"}  # no cgroup for nobody
    perceptron = [t for t in doc["tests"] if t["name"].startswith("perceptron")]
    assert perceptron and sum(t["score"] for t in perceptron) == 0


# -- the Gradescope-like container -------------------------------------------------------------------

STUB_SOFTMAX = '''
import glob, os

def _hunt():
    """The reference's softmax.py from any sandbox folder or checkout this process can read, or None."""
    for path in glob.glob("/tmp/grader-sandbox-*/**/softmax.py", recursive=True) + glob.glob("/tmp/*/source/reference/softmax.py"):
        try:
            with open(path) as f:
                text = f.read()
        except OSError:
            continue
        if "BEGIN SOLUTION" in text or "e / e.sum" in text:
            return text
    return None

_found = _hunt()
if _found:
    exec(compile(_found, "borrowed_softmax.py", "exec"), globals())
print("STUB-SOFTMAX found the solution" if _found else "STUB-SOFTMAX found nothing")
'''


@ROOT_ONLY
@pytest.mark.slow
def test_run_autograder_in_a_container_that_refuses_namespaces_gives_a_stub_softmax_nothing():
    """Gradescope's default container, simulated (tools/nonamespace.py): bwrap fails, run_autograder falls back to
    process mode, and the skeleton's softmax.py, which also hunts for the reference's copy, scores 0 on softmax."""
    from test_dist_gradescope import gradescope_problems, results_of, unpack
    from tools import nonamespace
    out = Path(tempfile.mkdtemp(prefix="procmode-bundle-"))
    root = None
    try:
        bundle = dist_gradescope.build(out, CORPUS_RUBRIC)
        root = unpack(bundle)
        sub = corpus.materialize(corpus.REFERENCE_CASE, root / "submission")
        skeleton = (ROOT / "assignment" / "softmax.py").read_text()
        (sub / "softmax.py").write_text(skeleton + STUB_SOFTMAX)
        env = {k: v for k, v in os.environ.items() if k not in ("MNIST_DIR", "AUTOGRADER_ISOLATION")}
        env.update(AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
        done = nonamespace.run([shutil.which("bash"), str(root / "source" / "run_autograder")], capture_output=True,
                               text=True, env=env, timeout=900)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "isolation process (bwrap refused to create the sandbox" in done.stdout, done.stdout
        doc = results_of(root)
        assert gradescope_problems(doc) == []
        softmax = [t for t in doc["tests"] if t["name"].startswith("softmax")]
        assert softmax and sum(t["score"] for t in softmax) == 0, [(t["name"], t["score"]) for t in softmax]
        assert doc["isolation"] == "process"
        layers = dict(doc["isolation_layers"])
        assert layers.pop("envelope") in ("cgroup", "watchdog")  # Docker mounts cgroupfs read-only; the simulation may not
        assert layers == {"mode": "process", "uid_separation": True, "seccomp": True,
                          "landlock": LANDLOCK, "landlock_abi": landlock.abi()}
        assert "under a user id of its own" in doc["output"] and "with a seccomp filter" in doc["output"]
        assert "could open neither the reference solution nor the rubric" in doc["output"]
        said = (root / "results" / "student_output.txt").read_text()
        assert "STUB-SOFTMAX found nothing" in said and "found the solution" not in said, said[-2000:]
    finally:
        shutil.rmtree(out, ignore_errors=True)
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)


def test_the_report_names_the_layers_that_held_and_claims_none_that_did_not():
    from grader import report
    from grader.results import GradingResult
    weak = GradingResult("alice", "digits", (), 1.0, isolation="process",
                         layers={"mode": "process", "uid_separation": False, "seccomp": True, "landlock": False,
                                 "landlock_abi": 0})
    doc = report.gradescope_dict(weak)
    assert doc["isolation_layers"]["landlock"] is False
    assert "the grader's own uid, a seccomp filter, no Landlock file rules" in doc["output"]
    assert "a uid of its own" not in doc["output"]


@ROOT_ONLY
def test_a_batch_that_ran_is_closed_to_the_sandboxs_later_processes():
    """Without Landlock, a later process of the same sandbox could read an earlier (hidden) batch's inputs by its
    uid; each batch is made root-only once its processes are gone."""
    reference = {m: REFERENCE_DIR / f"{m}.py" for m in MODULES}
    call = Call(1, "call", {"module": "activations", "function": "sigmoid", "args": [{"array": "a0"}], "kwargs": {}},
                {"a0": np.zeros(3)}, 30.0, ("activations",))
    with Sandbox(reference, Limits(), isolation_mode="process") as box:
        (result,) = box.run([call], ["activations"])
        assert result.ok, result.message
        batch = box.root / "inputs" / str(box.batches)
        assert (batch / "1.npz").exists() and stat.S_IMODE(batch.stat().st_mode) == 0o700 and batch.stat().st_uid == 0


@pytest.mark.slow  # grades as another user: the full suite runs it, the inner loop does not
@USER
def test_an_ordinary_user_without_landlock_is_refused_process_mode_but_keeps_the_self_check():
    """As `nobody` on a kernel without Landlock (simulated), student code would run with the grader's own rights:
    `grade --isolation process` exits 2 and says why; `check` (the student's own look) still runs."""
    code = textwrap.dedent('''
        import json, sys
        from grader import cli, landlock
        landlock.abi = lambda: 0
        grade = cli.main(["grade", "reference", "--isolation", "process", "--rubric", "tests/corpus/rubric.toml",
                          "--out", "../out", "--dataset", "digits", "--only", "activations.sigmoid*", "--quiet"])
        check = cli.main(["check", "reference", "--isolation", "process", "--rubric", "tests/corpus/rubric.toml",
                          "--dataset", "digits", "--only", "activations.sigmoid*", "--quiet"])
        print(json.dumps([grade, check]))
    ''')
    done, home = as_ordinary_user(code)
    shutil.rmtree(home, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-2000:]
    grade, check = json.loads(done.stdout.strip().splitlines()[-1])
    assert grade == 2 and "no Landlock" in done.stderr and "grader's own rights" in done.stderr
    assert check == 0, done.stderr[-2000:]
