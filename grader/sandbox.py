"""Run probes in a separate, limited process. Nothing here trusts the process.

A Sandbox is a private folder holding the submission as the package
`assignment` and a copy of grader/harness. Each run spawns
`python -I -S harness/run.py request.json` in a new session with:
a scrubbed environment, resource limits (memory, file size, no core dumps),
an unprivileged uid when the grader is root, per-call wall-clock timeouts
measured here, and a kill of the whole process group plus any straggler
carrying the sandbox's marker afterwards. Results come back through
grader.harness.wire (npz without pickle, and JSON).
"""

import json
import os
import secrets
import select
import shutil
import signal
import site
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from .harness import wire
from .harness.helpers import PROVIDED
from .paths import HARNESS_DIR, REFERENCE_DIR


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 3072  # address-space limit of the student process
    output_mb: int = 64  # largest file it may write, stdout and stderr included
    blas_threads: int = 1  # OPENBLAS/OMP/MKL threads in the student process
    import_timeout: float = 15.0  # seconds to import the submission's modules


@dataclass(frozen=True)
class Call:
    index: int
    probe: str  # a key of grader.harness.probes.PROBES
    spec: dict  # JSON-able parameters of the probe
    inputs: dict = field(default_factory=dict)  # name -> ndarray, written as .npz
    timeout: float = 10.0  # seconds of wall time for this call


@dataclass(frozen=True)
class CallResult:
    status: str  # ok | error | timeout | crashed | import_error | unreadable
    message: str  # for feedback; empty when ok
    meta: dict  # what wire.flatten recorded about each output
    arrays: dict  # name -> ndarray
    seconds: float  # wall time measured by the grader

    @property
    def ok(self):
        return self.status == "ok"


SANDBOX_UID_BASE = 200_000  # uids with no account; the grader picks one per sandbox when root
ENV_PASSTHROUGH = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")  # machine quirks numpy needs to be correct


def site_paths():
    """Folders the student process needs for NumPy (site-packages), never the project itself."""
    paths = [p for p in (site.getsitepackages() + [site.getusersitepackages()]) if os.path.isdir(p)]
    numpy_parent = str(Path(np.__file__).resolve().parent.parent)
    if numpy_parent not in paths:
        paths.append(numpy_parent)
    return paths


def stdlib_paths():
    paths = sysconfig.get_paths()
    return sorted({paths["stdlib"], paths["platstdlib"], sys.base_prefix, sys.prefix})


@lru_cache(maxsize=None)
def can_drop_privileges(python):
    """True when running as root and an unprivileged uid can start `python` and import numpy."""
    if os.geteuid() != 0:
        return False
    uid = SANDBOX_UID_BASE - 1
    try:
        code = subprocess.run([python, "-I", "-S", "-c", "import sys; sys.path += %r; import numpy" % (site_paths(),)],
                              user=uid, group=uid, extra_groups=[], cwd="/", env={"PATH": "/usr/bin:/bin"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60).returncode
    except (OSError, subprocess.SubprocessError):
        return False
    return code == 0


def protect(folder):
    """Make the solution unreadable by other users (the sandbox's uid). Only the mode
    of the folder changes; git does not track it, and the owner keeps full access."""
    try:
        mode = os.stat(folder).st_mode
        if mode & 0o077:
            os.chmod(folder, mode & 0o700)
    except OSError as exc:
        warn_once(f"cannot protect {folder} from student processes: {exc.strerror}")


_WARNED = set()


def warn_once(message):
    if message not in _WARNED:
        _WARNED.add(message)
        print(f"grader: warning: {message}", file=sys.stderr)


def _marked_pids(marker, uid):
    """Processes that carry the sandbox's environment marker or run as its private uid."""
    found = []
    needle = f"GRADER_SANDBOX={marker}".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if needle in f.read().split(b"\0"):
                    found.append(int(entry))
                    continue
            if uid is not None:
                with open(f"/proc/{entry}/status") as f:
                    for line in f:
                        if line.startswith("Uid:") and str(uid) in line.split()[1:]:
                            found.append(int(entry))
                            break
        except OSError:
            continue
    return found


def kill_all(proc, marker, uid):
    """Kill the process group, then anything else that escaped it (setsid, double fork)."""
    for _ in range(3):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        stragglers = _marked_pids(marker, uid)
        for pid in stragglers:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if not stragglers:
            break
        time.sleep(0.05)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def how_it_ended(proc, grace=2.0):
    """describe_exit of a process whose pipe just closed: reap it first (briefly),
    since right after EOF poll() may still say it is running."""
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    return describe_exit(proc.poll())


def describe_exit(returncode):
    if returncode is None:
        return "did not exit"
    if returncode < 0:
        sig = signal.Signals(-returncode).name if -returncode in signal.Signals._value2member_map_ else str(-returncode)
        hints = {"SIGKILL": " (killed: memory limit or output limit reached?)", "SIGXFSZ": " (wrote more than the output limit)",
                 "SIGSEGV": " (crashed in native code)"}
        return f"was killed by {sig}{hints.get(sig, '')}"
    return f"exited with status {returncode}"


class Sandbox:
    """A private folder with one implementation; runs calls in fresh limited processes."""

    def __init__(self, modules, limits=Limits(), data_dir=None, python=sys.executable, stand_ins=()):
        self.modules = dict(modules)  # module name -> source path, e.g. {"softmax": Path(".../softmax.py")}
        self.stand_ins = tuple(stand_ins)  # missing helper modules replaced by harness.helpers
        self.limits = limits
        self.data_dir = str(data_dir) if data_dir else None  # read-only dataset folder (uint8 .npy files)
        self.python = python
        self.root = None

    def __enter__(self):
        self.root = Path(tempfile.mkdtemp(prefix="grader-sandbox-"))
        self.logs = Path(tempfile.mkdtemp(prefix="grader-logs-"))
        pkg = self.root / "pkg" / "assignment"
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        for name, src in self.modules.items():
            shutil.copyfile(src, pkg / f"{name}.py")
        for name in self.stand_ins:
            (pkg / f"{name}.py").write_text(f"from harness.helpers import {', '.join(PROVIDED[name])}  # stand-in: file missing\n")
        shutil.copytree(HARNESS_DIR, self.root / "harness", ignore=shutil.ignore_patterns("__pycache__"))
        for sub in ("out", "tmp", "inputs"):
            (self.root / sub).mkdir()
        self.uid = SANDBOX_UID_BASE + secrets.randbelow(1_000_000) if can_drop_privileges(self.python) else None
        if self.uid is None and os.geteuid() == 0:
            warn_once(f"running as root, but an unprivileged user cannot start {self.python}; student code runs as root "
                      "(audit hooks and limits still apply). Use an interpreter outside /root, e.g. PYTHON=/usr/bin/python3 ./dev ...")
        if self.uid is not None:
            protect(REFERENCE_DIR)
            for path in [self.root, *self.root.rglob("*")]:
                os.chown(path, self.uid, self.uid, follow_symlinks=False)
        os.chmod(self.root, 0o700)
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.logs, ignore_errors=True)

    # -- one process ---------------------------------------------------------

    def _request(self, calls, start, imports, progress_fd, out_dir):
        read_roots = [str(self.root), *stdlib_paths(), *site_paths()]
        if self.data_dir:
            read_roots.append(self.data_dir)
        request = {
            "prepend_paths": [str(self.root), str(self.root / "pkg")],
            "site_paths": site_paths(),
            "package_dir": str(self.root / "pkg" / "assignment"),
            "read_roots": read_roots,
            "write_roots": [str(self.root / "out"), str(self.root / "tmp")],
            "imports": list(imports),
            "progress_fd": progress_fd,
            "out_dir": str(out_dir),
            "start": start,
            "calls": [{"index": c.index, "probe": c.probe, "spec": c.spec, "inputs": self._inputs_file(c)} for c in calls],
        }
        path = self.root / "inputs" / f"request-{start}.json"
        path.write_text(json.dumps(request))
        return path

    def _inputs_file(self, call):
        if not call.inputs:
            return None
        path = self.root / "inputs" / f"{call.index}.npz"
        if not path.exists():
            np.savez(path, **call.inputs)
            if self.uid is not None:
                os.chown(path, self.uid, self.uid)
        return str(path)

    def _env(self):
        threads = str(self.limits.blas_threads)
        env = {"PATH": "/usr/bin:/bin", "HOME": str(self.root / "tmp"), "TMPDIR": str(self.root / "tmp"),
               "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
               "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads,
               "GRADER_SANDBOX": self.marker}
        env.update({k: os.environ[k] for k in ENV_PASSTHROUGH if k in os.environ})
        return env

    def _preexec(self):
        import resource
        mem = self.limits.memory_mb << 20
        out = self.limits.output_mb << 20
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        resource.setrlimit(resource.RLIMIT_FSIZE, (out, out))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if self.uid is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (256, 256))

    def spawn(self, calls, start, imports, stdin=subprocess.DEVNULL):
        """Start one worker process; returns (proc, progress reader, log files)."""
        self.marker = secrets.token_hex(8)
        read_fd, write_fd = os.pipe()
        out_dir = self.root / "out"
        request = self._request(calls, start, imports, write_fd, out_dir)
        stdout = open(self.logs / f"stdout-{start}.txt", "wb")
        stderr = open(self.logs / f"stderr-{start}.txt", "wb")
        ids = {"user": self.uid, "group": self.uid, "extra_groups": []} if self.uid is not None else {}
        try:
            proc = subprocess.Popen(
                [self.python, "-I", "-S", str(self.root / "harness" / "run.py"), str(request)],
                cwd=self.root, env=self._env(), stdin=stdin, stdout=stdout, stderr=stderr,
                pass_fds=(write_fd,), start_new_session=True, preexec_fn=self._preexec, **ids)
        finally:
            os.close(write_fd)
            stdout.close()
            stderr.close()
        return proc, EventReader(read_fd)

    def run(self, calls, imports, on_event=None):
        """Run calls in order; a timeout or crash costs that call and a fresh process continues.

        on_event: optional callback(dict) for progress events such as {"event": "epoch", "data": {...}}.
        """
        calls = sorted(calls, key=lambda c: c.index)
        position = {c.index: i for i, c in enumerate(calls)}
        results = {}
        start = 0
        while start < len(calls):
            proc, events = self.spawn(calls, start, imports)
            try:
                start = self._drive(proc, events, calls, start, position, results, on_event)
            finally:
                kill_all(proc, self.marker, self.uid)
                events.close()
        return [results[c.index] for c in calls]

    def _drive(self, proc, events, calls, start, position, results, on_event=None):
        """Follow one worker's progress. Returns where the next worker must start."""
        event = events.next(self.limits.import_timeout)
        if event is None or event.get("event") != "imported":
            reason = "took longer than %gs to import" % self.limits.import_timeout if events.timed_out else f"{how_it_ended(proc)} while importing"
            for c in calls[start:]:
                results[c.index] = CallResult("import_error", f"the submission {reason}", {}, {}, 0.0)
            return len(calls)
        current, t0 = None, None
        while True:
            timeout = calls[position[current]].timeout - (time.monotonic() - t0) if current is not None else self.limits.import_timeout
            event = events.next(max(timeout, 0.0))
            if event is None:
                if current is None:  # exited or stalled between calls
                    for c in calls[start:]:
                        results.setdefault(c.index, CallResult("crashed", f"the process {how_it_ended(proc)}", {}, {}, 0.0))
                    return len(calls)
                elapsed = time.monotonic() - t0
                if events.timed_out:
                    msg = f"timed out after {calls[position[current]].timeout:g}s (infinite loop, or far too slow?)"
                    results[current] = CallResult("timeout", msg, {}, {}, elapsed)
                else:
                    results[current] = CallResult("crashed", f"the process {how_it_ended(proc)}", {}, {}, elapsed)
                return position[current] + 1
            kind = event.get("event")
            if kind == "start" and event.get("call") in position:
                current, t0 = event["call"], time.monotonic()
            elif kind == "done" and event.get("call") == current:
                results[current] = self._collect(current, time.monotonic() - t0)
                current = None
            elif kind == "epoch" and on_event is not None and current is not None:
                on_event(event)
            elif kind == "finished":
                for c in calls[start:]:
                    results.setdefault(c.index, CallResult("crashed", "the process skipped this call", {}, {}, 0.0))
                return len(calls)

    def _collect(self, index, seconds):
        try:
            status, meta, arrays = wire.decode(str(self.root / "out" / str(index)))
        except wire.WireError as exc:
            return CallResult("unreadable", f"its result could not be read: {exc}", {}, {}, seconds)
        if status.get("ok") is True:
            return CallResult("ok", "", meta, arrays, seconds)
        message = status.get("message")
        return CallResult("error", message if isinstance(message, str) else "failed", meta, arrays, seconds)

    def output_tail(self, per_file=4000, limit=20000):
        """The end of what the student processes printed (for instructors' logs, never parsed)."""
        chunks = []
        for path in sorted(self.logs.glob("*.txt")):
            with open(path, "rb") as f:
                size = f.seek(0, os.SEEK_END)
                f.seek(max(0, size - per_file))
                data = f.read()
            if data.strip():
                cut = f" (last {per_file} of {size} bytes)" if size > per_file else ""
                chunks.append(f"--- {path.name}{cut}\n" + data.decode("utf-8", "replace"))
        return "\n".join(chunks)[-limit:]


class EventReader:
    """JSON lines from the progress pipe, with a timeout per read. Malformed lines are ignored."""

    def __init__(self, fd):
        self.fd, self.buffer, self.timed_out, self.eof = fd, b"", False, False

    def next(self, timeout):
        deadline = time.monotonic() + timeout
        self.timed_out = False
        while True:
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if isinstance(event, dict):
                    return event
            if self.eof:
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.timed_out = True
                return None
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if not ready:
                self.timed_out = True
                return None
            chunk = os.read(self.fd, 65536)
            if not chunk:
                self.eof = True
            self.buffer += chunk
            if len(self.buffer) > 1 << 20:  # a flood of garbage: keep only the tail
                self.buffer = self.buffer[-4096:]

    def close(self):
        os.close(self.fd)
