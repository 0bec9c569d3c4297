"""One envelope per sandbox: bounds on all its processes together, its freezer and its CPU clock.

A Sandbox's processes share one Envelope for the whole grade:
- Cgroups, where the grader can create cgroups: a child of the grader's own cgroup in each
  hierarchy it needs (cgroup v2 where memory and pids are enabled there, else the v1
  controllers memory, pids, freezer and cpuacct). Memory and process count are bounded
  by the kernel; the timing windows freeze the cgroup; CPU time is the cgroup's. Each
  process joins in its child, before exec, so nothing it forks is ever outside.
- Watchdog, where it cannot (an ordinary user without a delegated cgroup, a container
  without write access): a thread polls the sandbox's process tree (the grader is a child
  subreaper, so orphans stay its descendants) and stops the sandbox when the sum of its
  resident memory or its number of processes and threads goes over the bounds.
Either way a poller stops the sandbox when its scratch folder (process mode) grows past
disk_mb; the output logs are bounded by RLIMIT_FSIZE on one append-only log per sandbox.
A sandbox that breaches a bound is stopped for good: `breach` says why, in words for feedback.
"""

import ctypes
import os
import secrets
import signal
import threading
import time
from dataclasses import dataclass

POLL_S = {"cgroup": 0.05, "watchdog": 0.1}  # how often the poller looks (the watchdog reads all of /proc each time)
FREEZE_WAIT_S = 1.0  # longest wait for the freezer to report every task frozen
MAX_SCRATCH_ENTRIES = 10_000  # files and folders in the scratch folder (a walk is bounded by it)
PR_SET_CHILD_SUBREAPER = 36
FEATURES = ("memory", "pids", "freezer", "cpu")
V1_CONTROLLER = {"memory": "memory", "pids": "pids", "freezer": "freezer", "cpu": "cpuacct"}
V2_CORE = ("freezer", "cpu")  # cgroup.freeze and cpu.stat exist in every non-root v2 cgroup


@dataclass(frozen=True)
class Bounds:
    """What one sandbox may use, all its processes together (rubric keys of the same names)."""
    sandbox_memory_mb: int = 4096  # memory of all processes (RSS, and page cache and tmpfs in a cgroup)
    max_processes: int = 64  # processes and threads alive at once
    disk_mb: int = 256  # the scratch folder of process mode
    output_mb: int = 64  # all that its processes print, every call together


def breach_text(kind: str, bounds: Bounds) -> str:
    """The feedback's words for a breach of one bound."""
    return {
        "memory": f"the sandbox used more than {bounds.sandbox_memory_mb} MB in all its processes",
        "pids": f"the sandbox started more than {bounds.max_processes} processes and threads at once",
        "disk": f"the sandbox wrote more than {bounds.disk_mb} MB to its scratch folder",
        "files": f"the sandbox created more than {MAX_SCRATCH_ENTRIES} files in its scratch folder",
    }[kind]


# -- where the cgroups are (pure) ---------------------------------------------------------


@dataclass(frozen=True)
class Mount:
    point: str  # where it is mounted
    root: str  # which folder of the hierarchy the mount shows
    version: int  # 1 or 2
    controllers: frozenset  # v1: the controllers of the hierarchy; v2: empty (read from cgroup.subtree_control)


def parse_mountinfo(text: str) -> list:
    """The cgroup mounts of a /proc/self/mountinfo text, as Mounts."""
    mounts = []
    for line in text.splitlines():
        left, sep, right = line.partition(" - ")
        if not sep:
            continue
        fields, tail = left.split(), right.split()
        if len(fields) < 5 or len(tail) < 3 or tail[0] not in ("cgroup", "cgroup2"):
            continue
        point, root = unescape(fields[4]), unescape(fields[3])
        if tail[0] == "cgroup2":
            mounts.append(Mount(point, root, 2, frozenset()))
        else:
            names = {o.split("=", 1)[-1] if o.startswith("name=") else o for o in tail[2].split(",")}
            mounts.append(Mount(point, root, 1, frozenset(names & set(V1_CONTROLLER.values()))))
    return mounts


def unescape(path: str) -> str:
    """mountinfo writes space, tab, newline and backslash as octal escapes."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        path = path.replace(code, char)
    return path


def parse_proc_cgroup(text: str) -> dict:
    """{controller: path} of a /proc/self/cgroup text; "" is the v2 hierarchy."""
    paths = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        for name in (parts[1].split(",") if parts[1] else [""]):
            paths[name] = parts[2]
    return paths


def host_dir(mount: Mount, path: str):
    """The folder of cgroup `path` under a mount, or None when the mount does not show it."""
    root = mount.root.rstrip("/")
    if root and path != root and not path.startswith(root + "/"):
        return None
    return os.path.join(mount.point, path[len(root):].lstrip("/"))


def plan(mounts: list, cgroups: dict, v2_enabled: frozenset) -> dict:
    """{feature: (version, the grader's own cgroup folder)} for each of FEATURES that a cgroup can provide.

    v2_enabled: the controllers of the grader's v2 cgroup.subtree_control. v2 is preferred for every
    feature when it has memory and pids; otherwise the v1 controllers, and v2's core freezer and CPU
    clock only where v1 lacks them."""
    v1: dict[str, str] = {}
    v2 = None
    for m in mounts:
        if m.version == 1:
            for c in m.controllers:
                where = host_dir(m, cgroups.get(c, "/"))
                if c in cgroups and where is not None:
                    v1.setdefault(c, where)
        elif v2 is None and "" in cgroups:
            v2 = host_dir(m, cgroups[""])
    v2_offers = set() if v2 is None else set(V2_CORE) | (set(v2_enabled) & {"memory", "pids"})
    prefer_v2 = {"memory", "pids"} <= v2_offers
    chosen = {}
    for feature in FEATURES:
        in_v1 = v1.get(V1_CONTROLLER[feature])
        if feature in v2_offers and (prefer_v2 or in_v1 is None):
            chosen[feature] = (2, v2)
        elif in_v1 is not None:
            chosen[feature] = (1, in_v1)
    return chosen


def limit_writes(version: int, feature: str, bounds: Bounds, has_swap_file: bool = False) -> list:
    """[(file, value)] that set a feature's bound in a fresh cgroup of that version (in order)."""
    if feature == "memory":
        size = str(bounds.sandbox_memory_mb << 20)
        if version == 2:
            return [("memory.max", size)] + ([("memory.swap.max", "0")] if has_swap_file else [])
        return [("memory.limit_in_bytes", size)] + ([("memory.memsw.limit_in_bytes", size)] if has_swap_file else [])
    if feature == "pids":
        return [("pids.max", str(bounds.max_processes))]
    return []


def counter(text: str, key: str) -> int:
    """The value of `key N` in a flat-keyed cgroup file (memory.events, pids.events, cpu.stat); 0 if absent."""
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == key and parts[1].isdigit():
            return int(parts[1])
    return 0


# -- cgroups ---------------------------------------------------------------------------------


def _read(path):
    with open(path) as f:
        return f.read()


def _write(path, value):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def discover():
    """{feature: (version, folder)} of the grader's own cgroups, or a reason why cgroups cannot be used."""
    try:
        mounts = parse_mountinfo(_read("/proc/self/mountinfo"))
        cgroups = parse_proc_cgroup(_read("/proc/self/cgroup"))
    except OSError as exc:
        return f"cannot read /proc/self/mountinfo or /proc/self/cgroup ({exc.strerror})"
    enabled = frozenset()
    for m in mounts:
        if m.version == 2 and "" in cgroups:
            where = host_dir(m, cgroups[""])
            try:
                enabled = frozenset(_read(os.path.join(where, "cgroup.subtree_control")).split()) if where else enabled
            except OSError:
                pass
    chosen = plan(mounts, cgroups, enabled)
    missing = [f for f in FEATURES if f not in chosen]
    return f"no cgroup controller for {', '.join(missing)}" if missing else chosen


class Cgroups:
    """The sandbox's own cgroups: one child of the grader's cgroup in each hierarchy that plan() chose."""

    def __init__(self, chosen, bounds):
        self.bounds = bounds
        name = f"grader-sandbox-{secrets.token_hex(6)}"
        self.dirs = {}  # feature -> (version, folder)
        self.made = []
        try:
            for feature, (version, parent) in chosen.items():
                folder = os.path.join(parent, name)
                if folder not in self.made:
                    os.mkdir(folder, 0o755)
                    self.made.append(folder)
                self.dirs[feature] = (version, folder)
                swap = os.path.exists(os.path.join(folder, "memory.swap.max" if version == 2 else "memory.memsw.limit_in_bytes"))
                for file, value in limit_writes(version, feature, bounds, swap):
                    _write(os.path.join(folder, file), value)
        except OSError:
            self.remove()
            raise

    def join(self):
        """Move the calling process into every cgroup of the sandbox (in the child, before exec)."""
        for folder in self.made:
            _write(os.path.join(folder, "cgroup.procs"), "0")

    def _file(self, feature, v1_name, v2_name):
        version, folder = self.dirs[feature]
        return version, os.path.join(folder, v2_name if version == 2 else v1_name)

    def pids(self):
        version, path = self._file("pids", "cgroup.procs", "cgroup.procs")
        try:
            return sorted({int(p) for p in _read(path).split()})
        except OSError:
            return []

    def _set_frozen(self, frozen, wait=FREEZE_WAIT_S):
        version, path = self._file("freezer", "freezer.state", "cgroup.freeze")
        _write(path, ("1" if frozen else "0") if version == 2 else ("FROZEN" if frozen else "THAWED"))
        if not frozen:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            done = (counter(_read(path.replace("cgroup.freeze", "cgroup.events")), "frozen") == 1 if version == 2
                    else _read(path).strip() == "FROZEN")
            if done:
                return
            time.sleep(0.001)

    def freeze(self):
        self._set_frozen(True)

    def thaw(self):
        self._set_frozen(False)

    def cpu_seconds(self):
        """CPU time of every process that ever ran in the sandbox."""
        version, path = self._file("cpu", "cpuacct.usage", "cpu.stat")
        text = _read(path)
        return counter(text, "usage_usec") / 1e6 if version == 2 else int(text.strip()) / 1e9

    def breach(self):
        """'memory' or 'pids' when the kernel enforced that bound (an OOM kill, a refused fork), else None."""
        version, path = self._file("memory", "memory.oom_control", "memory.events")
        try:
            if counter(_read(path), "oom_kill") > 0:
                return "memory"
            _, events = self._file("pids", "pids.events", "pids.events")
            if counter(_read(events), "max") > 0:
                return "pids"
        except OSError:
            return None
        return None

    def kill(self):
        """SIGKILL every process of the sandbox, until none is left (v2: cgroup.kill)."""
        version, folder = self.dirs["freezer"]
        if version == 2 and os.path.exists(os.path.join(folder, "cgroup.kill")):
            _write(os.path.join(folder, "cgroup.kill"), "1")
        for _ in range(200):
            self._set_frozen(True, wait=0.05)  # a frozen task cannot fork: the pids listed now are every process
            pids = self.pids()
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            self.thaw()  # a frozen task dies only once thawed
            if not pids:
                return
            time.sleep(0.002)

    def remove(self):
        """Kill what is left and delete the cgroups (a cgroup with a process in it cannot be removed)."""
        if self.dirs:
            self.kill()
        for folder in reversed(self.made):
            for _ in range(100):
                try:
                    os.rmdir(folder)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
        self.made, self.dirs = [], {}


# -- the watchdog's view of a process tree (pure, then /proc) ----------------------------------


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    session: int
    threads: int
    rss_pages: int
    state: str


def parse_stat(pid: int, raw: bytes):
    """A Proc from the bytes of /proc/PID/stat, or None. The name may hold anything, so fields start after the last ')'."""
    rest = raw[raw.rfind(b")") + 2:].split()
    try:
        return Proc(pid, int(rest[1]), int(rest[3]), int(rest[17]), int(rest[21]), rest[0].decode())
    except (IndexError, ValueError):
        return None


def tree(procs: list, roots: set, sessions: set, known: set) -> set:
    """Pids of procs that belong to the sandbox: a root, a known pid, in one of its sessions, or a descendant of those."""
    by_parent: dict[int, list[int]] = {}
    members = set()
    for p in procs:
        by_parent.setdefault(p.ppid, []).append(p.pid)
        if p.pid in roots or p.pid in known or p.session in sessions:
            members.add(p.pid)
    stack = list(members)
    while stack:
        for child in by_parent.get(stack.pop(), ()):
            if child not in members:
                members.add(child)
                stack.append(child)
    return members


def usage(procs: list, members: set) -> tuple:
    """(resident bytes, tasks) of the members that are alive."""
    live = [p for p in procs if p.pid in members and p.state not in ("Z", "X")]
    return sum(p.rss_pages for p in live) * os.sysconf("SC_PAGE_SIZE"), sum(p.threads for p in live)


def running_state(pid: int) -> bool:
    """Whether pid is alive and not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            p = parse_stat(pid, f.read())
    except OSError:
        return False
    return p is not None and p.state not in ("Z", "X")


def tasks_of(uid: int) -> int:
    """Processes and threads that uid runs now (what RLIMIT_NPROC counts)."""
    total = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status", "rb") as f:
                    fields = dict(line.split(b":", 1) for line in f.read().splitlines() if b":" in line)
                if int(fields[b"Uid"].split()[0]) == uid:
                    total += int(fields[b"Threads"])
            except (OSError, KeyError, ValueError, IndexError):
                continue
    return total


def all_procs():
    procs = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    p = parse_stat(int(entry), f.read())
            except OSError:
                continue
            if p is not None:
                procs.append(p)
    return procs


def become_subreaper():
    """Make the grader adopt its descendants' orphans (Linux 3.4), so a double fork stays in its tree. True when set."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def scratch_usage(folder, max_entries=MAX_SCRATCH_ENTRIES):
    """(bytes on disk, entries) under folder, never following a symlink; the walk stops past max_entries."""
    total, entries, stack = 0, 0, [folder]
    while stack and entries <= max_entries:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    entries += 1
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    total += st.st_blocks * 512
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except OSError:
            continue
    return total, entries


# -- the envelope ------------------------------------------------------------------------------


OWN_CHILDREN: set = set()  # pids of every live worker process of any sandbox: the grader's own children
SPAWNING = threading.Lock()  # held from a worker's fork until its pid is in OWN_CHILDREN


class Envelope:
    """The bounds of one sandbox and the thread that enforces them. Workers attach while they run.

    cgroups: a Cgroups, or None for the watchdog. scratch: the folder whose size is bounded, or None.
    adopts: the watchdog counts as this sandbox's the orphans the grader adopted as subreaper (children of the
    grader that are no worker of any sandbox): a process that double-forks, calls setsid and clears its
    environment within one poll is found so. Only the submission's sandbox adopts; the reference never detaches."""

    def __init__(self, bounds: Bounds, cgroups=None, scratch=None, why_not_cgroups="", adopts=True):
        self.bounds, self.cgroups, self.scratch = bounds, cgroups, scratch
        self.why_not_cgroups = why_not_cgroups
        self.adopts = adopts
        self.breach = None  # the feedback's words once a bound was breached; the sandbox is then stopped
        self.workers: list = []
        self.known: set[int] = set()  # watchdog: pids seen in the sandbox's tree
        self.subreaper = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None

    @property
    def kind(self):
        return "cgroup" if self.cgroups is not None else "watchdog"

    def start(self):
        if self.cgroups is None:
            self.subreaper = become_subreaper()
        self._thread = threading.Thread(target=self._poll, name="sandbox-envelope", daemon=True)
        self._thread.start()
        return self

    def join(self):
        """In the child, before exec: enter the cgroups (nothing to do for the watchdog)."""
        if self.cgroups is not None:
            self.cgroups.join()

    def attach(self, worker):
        with self._lock:
            self.workers.append(worker)

    def detach(self, worker):
        with self._lock:
            if worker in self.workers:
                self.workers.remove(worker)

    # -- what a worker asks ------------------------------------------------------------------

    def stopped(self):
        """The breach that stopped the sandbox, in words, or None. Also asks the kernel (cgroups)."""
        if self.breach is None and self.cgroups is not None:
            kind = self.cgroups.breach()
            if kind is not None:
                self._stop_sandbox(kind)
        return self.breach

    def _stop_sandbox(self, kind):
        if self.breach is None:
            self.breach = breach_text(kind, self.bounds)
        self.kill()

    def kill(self):
        if self.cgroups is not None:
            self.cgroups.kill()
            return
        for _ in range(5):
            pids = self._tree_pids()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.005)
        self._reap()

    # -- the watchdog ------------------------------------------------------------------------

    def _tree_pids(self, procs=None):
        """Watchdog: the sandbox's processes (its workers' own scans, their sessions and descendants)."""
        procs = all_procs() if procs is None else procs
        with self._lock:
            workers = list(self.workers)
        roots, sessions = set(), set()
        for w in workers:
            roots.update(w.scan_pids())
            sessions.add(w.proc.pid)
        if self.adopts and self.subreaper:
            me = os.getpid()
            with SPAWNING:  # a worker being started is registered first
                roots.update(p.pid for p in procs if p.ppid == me and p.pid not in OWN_CHILDREN)  # orphans adopted
        members = tree(procs, roots, sessions, self.known) - {os.getpid()}
        self.known = {p.pid for p in procs if p.pid in members}
        return sorted(members)

    def _reap(self):
        """Reap the sandbox's zombies that the grader adopted as subreaper (never a worker's own process)."""
        if not self.subreaper:
            return
        with self._lock:
            mine = {w.proc.pid for w in self.workers}
        for pid in list(self.known - mine):
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass

    def _check(self):
        """One look at the sandbox; the kind of bound breached, or None."""
        if self.cgroups is not None:
            kind = self.cgroups.breach()
            if kind is not None:
                return kind
        else:
            procs = all_procs()
            members = set(self._tree_pids(procs))
            rss, tasks = usage(procs, members)
            self._reap()
            if rss > self.bounds.sandbox_memory_mb << 20:
                return "memory"
            if tasks > self.bounds.max_processes:
                return "pids"
        if self.scratch is not None:
            size, entries = scratch_usage(self.scratch)
            if entries > MAX_SCRATCH_ENTRIES:
                return "files"
            if size > self.bounds.disk_mb << 20:
                return "disk"
        return None

    def _poll(self):
        while not self._stop.wait(POLL_S[self.kind]):
            try:
                kind = self._check()
            except OSError:
                continue
            if kind is not None or self.breach is not None:
                self._stop_sandbox(kind)  # stopped for good: what is left or appears is killed at every look

    def close(self):
        """Stop the poller, kill what is left and remove the cgroups. Idempotent."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.cgroups is not None:
            self.cgroups.remove()
        else:
            self.kill()


def open_envelope(bounds: Bounds, scratch=None, use_cgroups: bool = True, adopts: bool = True) -> Envelope:
    """A started Envelope: cgroups when the grader can create them, else the watchdog (adopts: see Envelope)."""
    cgroups, why = None, "not asked for"
    if use_cgroups:
        chosen = discover()
        if isinstance(chosen, str):
            why = chosen
        else:
            try:
                cgroups = Cgroups(chosen, bounds)
            except OSError as exc:
                why = f"cannot create a cgroup ({exc.strerror})"
    return Envelope(bounds, cgroups, scratch, why, adopts).start()
