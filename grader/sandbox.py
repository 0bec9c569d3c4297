"""Run probes in separate, isolated processes. Nothing here trusts the process.

A Sandbox is a grader-owned folder holding the submission as the package
`assignment` and a copy of grader/harness. Student code never gets a folder of
the host it can write: inputs are written before a process starts, into a
folder it sees read-only, and results come back on a pipe (grader.worker).
Each batch of calls gets its own inputs folder, so a process sees only the
inputs of its own calls (hidden checks run in their own processes).

Isolation (grader.isolation): with bwrap, each process lives in its own
namespaces and sees only what is bound in; with process, it is a child confined by
the layers of grader.confine: rlimits, a leased uid of its own when the grader is root
(grader.uids), no new privileges, Landlock file rules where the kernel has them, and a
seccomp filter; the audit hooks remain a tripwire. In process mode a sandbox's folder is
readable by its own uid only (root-owned, group = that uid, 750/640), and before any
student code runs a probe with the very same layers must fail to open every `guarded` path.
"""

import json
import os
import secrets
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from . import confine, isolation, uids
from .envelope import Bounds, open_envelope, tasks_of
from .harness import wire
from .harness.helpers import PROVIDED
from .inert import clean
from .pace import add_mark, per_batch, projected_seconds, should_stop, too_slow_message
from .paths import HARNESS_DIR, REFERENCE_DIR
from .stuck import Stuck, functions_of
from .worker import Launch, ProtocolViolation, Worker

INSIDE = isolation.INSIDE_ROOT
MIN_CALL_S = 0.5  # a call is not started with less than this left before `until`
NOT_RUN_PLACEHOLDER = "not run: the grading time budget was used up"  # the pipeline names what used it


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 3072  # address-space limit of each student process
    output_mb: int = 64  # all that the sandbox's processes print, every call together; also its largest file
    sandbox_memory_mb: int = 4096  # memory of all the sandbox's processes together (grader.envelope)
    max_processes: int = 64  # processes and threads of the sandbox at once
    disk_mb: int = 256  # its scratch folder (process isolation)
    blas_threads: int = 1  # OPENBLAS/OMP/MKL threads in the student process
    import_timeout: float = 15.0  # seconds to import the submission's modules


@dataclass(frozen=True)
class Call:
    index: int
    probe: str  # a key of grader.harness.probes.PROBES
    spec: dict  # JSON-able parameters of the probe
    inputs: dict = field(default_factory=dict)  # name -> ndarray, written as .npz before the process starts
    timeout: float = 10.0  # seconds of wall time for this call
    imports: tuple = ()  # submission modules imported before the call (else the run's imports)
    group: str = ""  # the check group it serves, named when a function it calls gets stuck
    pace: object = None  # a grader.pace.Pace for training runs: stop early when the projection is too long

    @property
    def functions(self):
        return functions_of(self.probe, self.spec)


@dataclass(frozen=True)
class CallResult:
    status: str  # ok | error | timeout | too_slow | not_run | crashed | import_error | unreadable | missing
    message: str  # for feedback; empty when ok
    meta: dict  # what wire.flatten recorded about each output
    arrays: dict  # name -> ndarray
    seconds: float  # wall time measured by the grader
    warnings: tuple = ()  # the first warnings the call raised, as inert text: "RuntimeWarning: overflow ... (activations.py line 9)"

    @property
    def ok(self):
        return self.status == "ok"


ENV_PASSTHROUGH = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")  # machine quirks numpy needs to be correct
SANDBOX_UID_BASE = isolation.SANDBOX_UID_BASE
can_drop_privileges = isolation.can_drop_privileges


def site_paths(python=sys.executable):
    """Host folders that hold the packages a submission may import (never the project itself)."""
    return sorted({os.path.dirname(d) for d in isolation.package_dirs(python)})


def stdlib_paths():
    paths = sysconfig.get_paths()
    return sorted({paths["stdlib"], paths["platstdlib"], sys.base_prefix, sys.prefix})


PROBE = """import json, os, sys
opened = []
for path in sys.argv[1:]:
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            with open(path, "rb") as f:
                f.read(1)
        opened.append(path)
    except OSError:
        pass
print(json.dumps(opened))
"""  # run by Sandbox.check_guarded as the student would be: the paths it could open
DEVICES_READ = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")
DEVICES_WRITE = ("/dev/null",)


def system_reads(python):
    """Host paths every process-mode child may read and execute: the interpreter, its libraries, the loader."""
    binds, links = isolation.system_binds(python)
    return tuple(host for host, _ in binds) + tuple(link for _, link in links)


def readable_secrets_message(opened, layers):
    """What the isolation probe found, and what to fix, for the IsolationError that stops the grade."""
    shown = ", ".join(opened[:6]) + (f" and {len(opened) - 6} more" if len(opened) > 6 else "")
    held = (f"uid separation {'on' if layers.uid_separation else 'OFF'}, Landlock "
            f"{f'ABI {layers.landlock}' if layers.landlock else 'unavailable'}") if layers else "unknown layers"
    return (f"refusing to grade: with process isolation ({held}), student code could open {shown}. Nothing was graded. "
            "Fix: make these unreadable by other users (chmod 600 the rubric file, chmod 700 the reference/ folder and "
            "the checkout or bundle that holds them; keep TMPDIR a folder that only root can list), grade on a kernel "
            "with Landlock, or use --isolation bwrap where namespaces are allowed")


def protect(folder):
    """Make the solution unreadable by other users (process isolation as root)."""
    try:
        mode = os.stat(folder).st_mode
        if mode & 0o077:
            os.chmod(folder, mode & 0o700)
    except OSError as exc:
        warn_once(f"cannot protect {folder} from student processes: {exc.strerror}")


_WARNED: set[str] = set()


def warn_once(message):
    if message not in _WARNED:
        _WARNED.add(message)
        print(f"grader: warning: {message}", file=sys.stderr)


def copy_regular(src, dest):
    """Copy one regular file without following a symlink; refuse anything else."""
    fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{src} is not a regular file")
        with os.fdopen(os.dup(fd), "rb") as f, open(dest, "xb") as out:
            shutil.copyfileobj(f, out)
    finally:
        os.close(fd)


def clean_meta(value, depth=0):
    """Metadata from the student process with every string made inert and bounded."""
    if depth > 20:
        return None
    if isinstance(value, str):
        return clean(value, 200)
    if isinstance(value, list):
        return [clean_meta(v, depth + 1) for v in value[:1000]]
    if isinstance(value, dict):
        return {clean(str(k), 200): clean_meta(v, depth + 1) for k, v in list(value.items())[:4096]}
    return value if isinstance(value, (int, float, bool)) or value is None else None


def collect(event, seconds):
    """A CallResult from a 'done' event and its payload; the student's text made inert."""
    try:
        status, meta, arrays = wire.decode(event.fields, event.payload)
    except wire.WireError as exc:
        return CallResult("unreadable", f"its result could not be read: {exc}", {}, {}, seconds)
    meta = clean_meta(meta)
    caught = warning_texts(status.get("warnings"))
    if status.get("ok") is True:
        return CallResult("ok", "", meta, arrays, seconds, caught)
    message = status.get("message")
    return CallResult("error", clean(message, 1000) if isinstance(message, str) else "failed", meta, arrays, seconds, caught)


def warning_texts(records):
    """Inert one-line descriptions of the warnings the student process says a call raised (explanation only)."""
    if not isinstance(records, list):
        return ()
    out = []
    for w in records[:5]:
        if not isinstance(w, dict):
            continue
        text = f"{clean(str(w.get('category', 'Warning')), 40)}: {clean(str(w.get('message', '')), 200)}"
        line = w.get("line")
        if w.get("file") and isinstance(line, int) and not isinstance(line, bool):
            text += f" (raised at {clean(str(w['file']), 60)} line {line}"
            text += f': "{clean(str(w["source"]), 160)}")' if w.get("source") else ")"
        out.append(text)
    return tuple(out)


class Sandbox:
    """A grader-owned folder with one implementation; runs calls in fresh isolated processes."""

    def __init__(self, modules, limits=Limits(), data_dir=None, python=sys.executable, stand_ins=(), isolation_mode=None,
                 tripwire=True, guarded=(), relaxed=False, reference=False):
        self.modules = dict(modules)  # module name -> source path, e.g. {"softmax": Path(".../softmax.py")}
        self.stand_ins = tuple(stand_ins)  # missing helper modules replaced by harness.helpers
        self.limits = limits
        self.data_dir = str(data_dir) if data_dir else None  # read-only dataset folder (uint8 .npy files)
        self.python = python
        self.mode = isolation_mode or isolation.choose("auto", strict=False, python=python).mode
        self.tripwire = tripwire  # install the audit hooks; False only in tests of the OS boundary
        self.guarded = tuple(str(p) for p in guarded)  # paths student code must not open (process mode checks it)
        self.relaxed = relaxed  # the student's self-check: process mode uses the layers it can have, refusing none
        self.reference = reference  # holds the reference: its watchdog adopts no orphan (the submission's does)
        self.layers = None  # process mode: the confine.Layers in force
        self.lease = None  # process mode as root: the uids.Lease of this sandbox's own uid
        self.root = None
        self.envelope = None
        self.batches = 0
        self.broken = {}  # module -> why importing it can never succeed in this sandbox (kept for the whole grade)
        self.stuck = Stuck()  # functions that did not return in time (kept for the whole grade)

    @property
    def bwrap(self):
        return self.mode == "bwrap"

    def layers_in_force(self):
        """results.json's `isolation_layers`: the mode, in process mode each layer's state, and the envelope of all
        the sandbox's processes ("cgroup" or "watchdog"). Call it while the sandbox is open."""
        record = self.layers.as_dict(self.mode) if self.layers is not None else {"mode": self.mode}
        return {**record, "envelope": self.envelope.kind if self.envelope is not None else None}

    @property
    def code(self):
        """The folder holding pkg/ and harness/: the root in bwrap (which binds each); its own folder in process
        mode, so that Landlock can let the student list it without listing the root (every batch's inputs)."""
        return self.root if self.bwrap else self.root / "code"

    def __enter__(self):
        self.root = Path(tempfile.mkdtemp(prefix="grader-sandbox-"))
        try:
            self._populate()
            if not self.bwrap and self.guarded:
                self.check_guarded()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _populate(self):
        self.logs = self.root / "logs"
        self.logs.mkdir(mode=0o700)
        pkg = self.code / "pkg" / "assignment"
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        for name, src in self.modules.items():
            copy_regular(src, pkg / f"{name}.py")
        for name in self.stand_ins:
            (pkg / f"{name}.py").write_text(f"from harness.helpers import {', '.join(PROVIDED[name])}"
                                            "  # stand-in: file missing or failing to import\n")
        shutil.copytree(HARNESS_DIR, self.code / "harness", ignore=shutil.ignore_patterns("__pycache__"))
        (self.root / "inputs").mkdir()
        self.python_real = isolation.interpreter(self.python)
        if not self.bwrap:
            self._populate_process()
            return
        self.lease = uids.acquire() if can_drop_privileges(self.python) else None  # a uid no other sandbox holds
        self.uid = self.lease.uid if self.lease else None
        if self.uid is None and os.geteuid() == 0:
            warn_once(f"running as root, but an unprivileged user cannot start {self.python}; "
                      + ("bwrap maps student code to uid 65534 without capabilities" if self.bwrap else
                         "student code runs as root (audit hooks and limits still apply)")
                      + ". Use an interpreter outside /root, e.g. PYTHON=/usr/bin/python3 ./dev ...")
        for path in [self.root, *self.root.rglob("*")]:
            if path != self.logs and not path.is_relative_to(self.logs):
                os.chmod(path, 0o755 if path.is_dir() else 0o644, follow_symlinks=False)
        os.chmod(self.root, 0o711)  # bwrap binds only what it needs
        self._open_envelope()

    def _open_envelope(self):
        """One log for every process and both streams (output_mb in all), and the envelope of all the sandbox's
        processes (a cgroup, else a polled watchdog)."""
        self.log = self.logs / "output.txt"
        self.log.touch(mode=0o600)
        self.envelope = open_envelope(self.bounds, None if self.bwrap else str(self.root / "scratch"), adopts=not self.reference)

    @property
    def bounds(self):
        """The envelope's bounds: all the sandbox's processes together."""
        lim = self.limits
        return Bounds(lim.sandbox_memory_mb, lim.max_processes, lim.disk_mb, lim.output_mb)

    def _populate_process(self):
        """Process mode: the layers, refused when they cannot make a sandbox (unless relaxed); a leased uid
        when root; the folder readable by that uid alone, writable only in scratch."""
        self.layers = confine.available(can_drop_privileges(self.python))
        problem = confine.process_problem(self.layers)
        if problem and not self.relaxed and os.path.exists(self.python_real):  # no interpreter: the canary says so
            raise isolation.IsolationError(f"process isolation cannot confine student code here: {problem}")
        if os.geteuid() == 0 and not self.layers.uid_separation:
            warn_once(f"running as root, but an unprivileged user cannot start {self.python}; student code runs as "
                      "root (the self-check only). Use an interpreter outside /root, e.g. PYTHON=/usr/bin/python3")
        self.lease = uids.acquire() if self.layers.uid_separation else None
        self.uid = self.lease.uid if self.lease else None
        if self.uid is not None:
            protect(REFERENCE_DIR)
        scratch = self.root / "scratch"
        scratch.mkdir(mode=0o700)
        for path in [self.root, *self.root.rglob("*")]:
            if path != self.logs and not path.is_relative_to(self.logs) and path != scratch:
                self._own(path)
        if self.uid is not None:
            os.chown(scratch, self.uid, self.uid, follow_symlinks=False)
        self._open_envelope()

    def _own(self, path):
        """Process mode: make a path of the sandbox folder readable by the sandbox's uid alone (root-owned,
        its group that uid's, 750/640); without a uid of its own, by the grader's user alone (700/600)."""
        is_dir = os.path.isdir(path) and not os.path.islink(path)
        if self.uid is None:
            os.chmod(path, 0o700 if is_dir else 0o600, follow_symlinks=False)
            return
        os.chown(path, 0, self.uid, follow_symlinks=False)
        os.chmod(path, 0o750 if is_dir else 0o640, follow_symlinks=False)

    def _share(self, path, is_dir=False):
        """Make a file or folder the grader wrote (inputs, requests) readable by the sandbox's processes."""
        if self.bwrap:
            os.chmod(path, 0o755 if is_dir else 0o644)
        else:
            self._own(path)

    def check_guarded(self):
        """Raise IsolationError unless a process with this sandbox's exact layers fails to open every guarded path
        (run before any student code in this sandbox)."""
        batch = self.write_batch([])
        paths = [p for p in self.guarded if os.path.lexists(p)]
        try:
            done = subprocess.run([self.python_real, "-I", "-S", "-c", PROBE, *paths], env=self._env("probe"),
                                  cwd=str(self.root / "scratch"), preexec_fn=self._preexec(batch),
                                  stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
            opened = json.loads(done.stdout) if done.returncode == 0 else None
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            raise isolation.IsolationError(f"the isolation probe could not run as the student would ({exc})") from None
        if opened is None:
            said = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise isolation.IsolationError("the isolation probe could not run as the student would: "
                                           + (said[-1] if said else f"exit status {done.returncode}"))
        if opened:
            raise isolation.IsolationError(readable_secrets_message(opened, self.layers))

    def _preexec(self, batch):
        """The child set-up (confine.apply of a Plan) of a process reading `batch`."""
        import functools
        mem, out = self.limits.memory_mb << 20, self.limits.output_mb << 20
        join = self.envelope.join if self.envelope is not None else None
        cgroups = self.envelope is not None and self.envelope.cgroups is not None
        nproc = None
        if not cgroups and (self.uid is not None or not self.bwrap and os.getuid() != 0):
            # The watchdog's hard stop, one over the bound so that it sees the breach. A private uid's count is the
            # sandbox's; an ordinary user's also holds what it runs already (bwrap's user namespace has its own count).
            nproc = self.limits.max_processes + 1 + (0 if self.uid is not None else tasks_of(os.getuid()))
        if self.bwrap:
            return functools.partial(confine.apply, confine.Plan(mem, out, uid=self.uid, join=join, nproc=nproc))
        scratch = str(self.root / "scratch")
        reads = (*system_reads(self.python_real), str(self.code), str(batch),
                 *stdlib_paths(), *site_paths(self.python), *([self.data_dir] if self.data_dir else []), *DEVICES_READ)
        plan = confine.Plan(mem, out, uid=self.uid, join=join, nproc=nproc, no_new_privs=True, landlock=self.layers.landlock > 0,
                            reads=reads, writes=(scratch, *DEVICES_WRITE), executes=system_reads(self.python_real),
                            seccomp=self.layers.seccomp)
        return functools.partial(confine.apply, plan)

    def __exit__(self, *exc):
        if self.envelope is not None:
            self.envelope.close()  # every process of the sandbox killed, its cgroups removed
            self.envelope = None
        root, self.root = self.root, None
        remove = (lambda: shutil.rmtree(root, ignore_errors=True)) if root is not None else (lambda: None)
        if self.lease is not None:
            self.lease.release(before=remove)  # kill its processes, remove its folder, then its files elsewhere
            self.lease = None
        else:
            remove()

    # -- where things are, seen from inside -------------------------------------------

    def inside(self, host_path):
        """The path at which the student process sees a file of the sandbox folder."""
        if not self.bwrap:
            return str(host_path)
        return INSIDE + "/" + str(Path(host_path).relative_to(self.root))

    def _site_binds(self):
        return [(d, f"{isolation.INSIDE_SITE}/{os.path.basename(d)}") for d in isolation.package_dirs(self.python)]

    def _request(self, batch, calls, start, broken, fd):
        if self.bwrap:
            sites, writes = [isolation.INSIDE_SITE], ["/tmp", "/dev/shm"]
            reads = [INSIDE, "/usr", "/etc", "/tmp", "/dev", "/proc", *stdlib_paths()] + ([self.data_dir] if self.data_dir else [])
        else:
            sites = site_paths(self.python)
            reads = [str(self.code / "pkg"), str(self.code / "harness"), str(batch), *stdlib_paths(), *sites]
            reads += [self.data_dir] if self.data_dir else []
            writes = [str(self.root / "scratch")]
        return {
            "prepend_paths": [self.inside(self.code), self.inside(self.code / "pkg")],
            "site_paths": sites,
            "package_dir": self.inside(self.code / "pkg" / "assignment"),
            "read_roots": reads,
            "write_roots": writes,
            "tripwire": self.tripwire,
            "progress_fd": fd,
            "broken": dict(broken),
            "start": start,
            "calls": [{"index": c.index, "probe": c.probe, "spec": c.spec, "imports": list(c.imports),
                       "inputs": self.inside(batch / f"{c.index}.npz") if c.inputs else None} for c in calls],
        }

    def write_batch(self, calls):
        """A fresh read-only inputs folder for one batch of calls, written before any process starts."""
        self.batches += 1
        batch = self.root / "inputs" / str(self.batches)
        batch.mkdir(mode=0o700)
        self._share(batch, is_dir=True)
        for c in calls:
            if c.inputs:
                path = batch / f"{c.index}.npz"
                with open(path, "xb") as f:
                    np.savez(f, **c.inputs)
                self._share(path)
        return batch

    def _env(self, marker):
        threads = str(self.limits.blas_threads)
        home = "/tmp" if self.bwrap else str(self.root / "scratch")
        env = {"PATH": "/usr/bin:/bin", "HOME": home, "TMPDIR": home,
               "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
               "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads,
               "GRADER_SANDBOX": marker}
        env.update({k: os.environ[k] for k in ENV_PASSTHROUGH if k in os.environ})
        return env

    def launch(self, batch, calls, start, broken=None):
        """How to start the worker for calls[start:] of a batch (see grader.worker.Launch)."""
        marker = secrets.token_hex(8)
        env = self._env(marker)

        def argv_for(fd, info_fd):
            request = self._request(batch, calls, start, broken or {}, fd)
            path = batch / f"request-{start}-{secrets.token_hex(4)}.json"
            with open(path, "x") as f:
                json.dump(request, f)
            self._share(path)
            command = [self.python_real, "-I", "-S", self.inside(self.code / "harness" / "run.py"), self.inside(path)]
            if not self.bwrap:
                return command
            binds = [(str(self.code / "pkg"), f"{INSIDE}/pkg"), (str(self.code / "harness"), f"{INSIDE}/harness"),
                     (str(batch), self.inside(batch)), *self._site_binds()]
            if self.data_dir:
                binds.append((self.data_dir, self.data_dir))
            uid_inside = 65534 if os.geteuid() == 0 and self.uid is None else None
            argv = isolation.bwrap_argv(binds, self.python_real, command, uid_inside=uid_inside, info_fd=info_fd)
            env_args = []
            for k, v in env.items():
                env_args += ["--setenv", k, v]
            i = argv.index("--")
            return argv[:i] + env_args + argv[i:]

        cwd = "/" if self.bwrap else str(self.root / "scratch")  # the uid drop is a layer of confine, not Popen's user=
        return Launch(argv_for, env, cwd, {}, self._preexec(batch), str(self.log), str(self.log), self.bwrap, marker,
                      self.uid, self.envelope)

    def worker(self, calls, start=0, batch=None, broken=None):
        """A started Worker for calls (a fresh batch unless one is given). The caller closes it.

        broken: {module: reason} of modules that must not be imported again."""
        batch = batch or self.write_batch(calls)
        return Worker(self.launch(batch, calls, start, broken))

    # -- unit calls ------------------------------------------------------------------

    def run(self, calls, imports, on_event=None, until=None):
        """Run calls in order; a timeout, crash or protocol violation costs that call, and a
        fresh process continues with the next one.

        on_event: optional callback(dict) for progress events such as {"event": "epoch", "data": {...}}.
        until: an absolute time.monotonic() by which every call must end (its stage of the budget);
        a call cut by it, and every call after it, gets status not_run.
        """
        calls = [c if c.imports else replace(c, imports=tuple(imports)) for c in sorted(calls, key=lambda c: c.index)]
        batch = self.write_batch(calls)
        results = {}
        known = lambda c: self.known_failure(c, until)  # noqa: E731
        start = 0
        while start < len(calls):
            start = skip_known(calls, start, results, known)
            if start < len(calls):
                with self.worker(calls, start, batch, self.broken) as w:
                    start = drive(w, calls, start, results, self.limits.import_timeout, self, on_event, until)
        self.retire(batch)
        return [results[c.index] for c in calls]

    def retire(self, batch):
        """A batch whose processes are gone: in process mode with a uid of its own, no later process of the sandbox
        may read its inputs (a hidden check's), even where Landlock is missing. The grader (root) still can."""
        if not self.bwrap and self.uid is not None:
            os.chmod(batch, 0o700)

    def known_failure(self, call, until=None):
        """The result a call gets without running, or None: the budget is spent, a module it needs
        does not import, or a function it needs already failed to return in time."""
        if until is not None and until - time.monotonic() < MIN_CALL_S:
            return CallResult("not_run", NOT_RUN_PLACEHOLDER, {}, {}, 0.0)
        stopped = self.envelope.stopped() if self.envelope is not None else None
        if stopped:
            return CallResult("crashed", f"not run: {stopped}, and was stopped", {}, {}, 0.0)
        why = next((self.broken[m] for m in call.imports if m in self.broken), None)
        if why is not None:
            return CallResult("import_error", why, {}, {}, 0.0)
        why = self.stuck.reason(call.functions)
        if why is not None:
            return CallResult("timeout", why, {"known_stuck": sorted(call.functions)}, {}, 0.0)
        return None

    def output_tail(self, per_file=4000, limit=20000):
        """The end of what the student processes printed (for instructors' logs, never parsed), made inert."""
        chunks = []
        for path in sorted(self.logs.glob("*.txt")):
            with open(path, "rb") as f:
                size = f.seek(0, os.SEEK_END)
                f.seek(max(0, size - per_file))
                data = f.read()
            if data.strip():
                cut = f" (last {per_file} of {size} bytes)" if size > per_file else ""
                chunks.append(f"--- {path.name}{cut}\n" + clean(data.decode("utf-8", "replace"), per_file + 100))
        return "\n".join(chunks)[-limit:]


def skip_known(calls, start, results, known):
    """Fail at once the calls from start on whose failure is already known; where to resume."""
    while start < len(calls):
        result = known(calls[start])
        if result is None:
            return start
        results[calls[start].index] = result
        start += 1
    return start


def drive(w, calls, start, results, import_timeout, box, on_event=None, until=None):
    """Follow one worker through calls[start:]. Returns where the next worker must start.

    Deadlines are set here: each module a call imports gets import_timeout from its
    'importing', the call itself its timeout from when its imports are done, so no event
    can stretch them; none goes past `until`, the end of the stage. A module whose import
    hung or killed the process goes into box.broken, a function that did not return in
    time into box.stuck, and later calls that need them fail at once (skip_known) instead
    of waiting again. A training run (call.pace) is stopped as soon as the batches the
    grader saw end project a run longer than it may take.
    """
    end = until if until is not None else float("inf")
    for k in range(start, len(calls)):
        c = calls[k]
        if k > start and box.known_failure(c, until) is not None:
            return k  # this process would run it: a fresh one skips it
        t0 = time.monotonic()
        deadline, importing, announced, marks = min(t0 + c.timeout, end), None, set(), ()
        while True:
            try:
                event = w.next(deadline)
                check_event(event, c, importing, announced)
            except ProtocolViolation as exc:
                results[c.index] = CallResult("error", f"the process {exc}; the grading protocol was broken",
                                              {}, {}, time.monotonic() - t0)
                return k + 1
            elapsed = time.monotonic() - t0
            if event is None:
                results[c.index] = ended_without_done(w, c, importing, import_timeout, box, elapsed, marks, t0, deadline, end)
                return k + 1
            if event.kind == "importing":
                importing = event.get("module")
                announced.add(importing)
                deadline = min(time.monotonic() + import_timeout, end)
            elif event.kind == "imported":
                importing, t0 = None, time.monotonic()
                deadline = min(t0 + c.timeout, end)
            elif event.kind == "epoch" and on_event is not None:
                on_event(dict(event.fields))
            elif event.kind == "batch" and c.pace is not None:
                data = event.get("data") if isinstance(event.get("data"), dict) else {}
                marks = add_mark(marks, event.at, data.get("batch"), c.pace)
                stop = projection_stop(c, marks, t0, deadline)
                if stop is not None:
                    results[c.index] = stop
                    return k + 1
            elif event.kind == "done":
                known = next((box.broken[m] for m in c.imports if m in box.broken), None)
                results[c.index] = CallResult("import_error", known, {}, {}, 0.0) if known else collect(event, elapsed)
                if not known:
                    box.stuck.returned_from(c.functions)
                break
            elif event.kind == "finished":
                for rest in calls[k:]:
                    results.setdefault(rest.index, CallResult("crashed", "the process skipped this call", {}, {}, 0.0))
                return len(calls)
    return len(calls)


def ended_without_done(w, c, importing, import_timeout, box, elapsed, marks, started, deadline, end):
    """The result of a call whose process went quiet (deadline) or away (crash) before 'done'."""
    budget_cut = w.timed_out() and deadline >= end and time.monotonic() >= end
    if budget_cut:  # the stage ended first: nothing is learnt about the submission
        return CallResult("not_run", NOT_RUN_PLACEHOLDER, {}, {}, elapsed)
    if importing is not None:
        reason = (f"the submission took longer than {import_timeout:g}s to import {importing}.py"
                  if w.timed_out() else f"the submission {w.ended()} while importing {importing}.py")
        box.broken[importing] = reason
        return CallResult("import_error", reason, {}, {}, elapsed)
    if not w.timed_out():
        return CallResult("crashed", f"the process {w.ended()}", {}, {}, elapsed)
    if c.pace is not None and marks:  # progress was made: slow, not stuck
        per = per_batch(marks, started) or (marks[-1][0] - started) / marks[-1][1]
        projected = projected_seconds(c.pace, marks, started, per)
        figures = {"per_batch": per, "projected": projected, "allowed": deadline - started}
        return CallResult("too_slow", too_slow_message(c.pace, per, projected, deadline - started), {"pace": figures}, {}, elapsed)
    return CallResult("timeout", box.stuck.record(c.functions, c.timeout, c.group), {}, {}, elapsed)


def projection_stop(c, marks, started, deadline):
    """A too_slow result when the batches seen so far project a run longer than it may take (or, for a
    run that is only measured, once pace.measure batches have ended), else None. Its meta holds the figures."""
    per = per_batch(marks, started)
    if per is None:
        return None
    projected = projected_seconds(c.pace, marks, started, per)
    measured = c.pace.measure and marks[-1][1] >= c.pace.measure
    if not measured and not should_stop(projected, deadline - started):
        return None
    figures = {"per_batch": per, "projected": projected, "allowed": deadline - started}
    return CallResult("too_slow", too_slow_message(c.pace, per, projected, deadline - started), {"pace": figures}, {},
                      time.monotonic() - started)


def check_event(event, call, importing, announced):
    """Raise ProtocolViolation unless event may come now, during `call` (None is always allowed)."""
    if event is None:
        return
    kind = event.kind
    if kind in ("start", "done") and event.get("call") != call.index:
        raise ProtocolViolation(f"sent {kind!r} for another call than the one running")
    if kind == "importing" and (importing is not None or event.get("module") not in call.imports
                                or event.get("module") in announced):
        raise ProtocolViolation("announced an import the call does not need")
    if kind == "imported" and event.get("module") != importing:
        raise ProtocolViolation("reported an import that was not announced")
    if kind not in ("importing", "imported", "start", "done", "epoch", "batch", "finished"):
        raise ProtocolViolation(f"sent {kind!r} during a call")


def unreachable_by_others(path):
    """The first folder on the way to path that other users cannot traverse (no o+x), or None."""
    path = Path(path).resolve()
    for folder in [*reversed(path.parents), path]:
        try:
            if folder.is_dir() and not folder.stat().st_mode & 0o001:
                return folder
        except OSError:
            return folder
    return None
