"""One handle per sandboxed student process: its process, deadlines, events and results.

The student process speaks a small declared protocol (PROTOCOL) on a pipe: one
JSON line per event, a 'done' or 'epoch_done' line followed by the bytes of its
.npz payload. Nothing it writes is trusted: lines and payloads are bounded, an
unknown or malformed event is a protocol violation that costs the student, and
deadlines are absolute times kept here, so no event can move them.

Sandbox.run (unit calls) and grader.timing (timed epochs) are clients of Worker.
"""

import json
import os
import select
import signal
import subprocess
import time
from dataclasses import dataclass

from .envelope import OWN_CHILDREN, SPAWNING
from .harness.wire import MAX_JSON_BYTES, MAX_NPZ_BYTES, WireError, parse_json

PROTOCOL = {  # event -> what it means
    "importing": "a module of the submission that the next call needs is being imported ('module')",
    "imported": "that module's import ended; 'error' is its failure message, or null",
    "start": "a call began (informational: deadlines are the grader's own)",
    "done": "a call ended; 'status' and 'meta' describe it, its arrays follow as 'bytes' of .npz",
    "epoch": "a training epoch ended; 'data' holds its losses and accuracies (progress only)",
    "batch": "batch 'data.batch' of a training run or timed epoch ended (1, 2, 4, 8, ...); the grader stamps its "
             "arrival with its own clock to project the run's time (grader.pace), and trusts nothing in it",
    "ready": "a timed epoch is set up and waits for 'go SEED' on stdin",
    "epoch_done": "a timed epoch ended; its weights follow as 'bytes' of .npz",
    "finished": "every call is done; the process exits",
}
MAX_EPOCH_EVENTS = 10_000  # progress events ('epoch' and 'batch') per process


class ProtocolViolation(Exception):
    """The student process wrote something outside PROTOCOL."""


@dataclass(frozen=True)
class Event:
    kind: str
    fields: dict
    payload: bytes = b""
    at: float = 0.0  # time.monotonic() when the grader read it

    def get(self, key, default=None):
        return self.fields.get(key, default)


class EventReader:
    """Events from the progress pipe, read until an absolute deadline."""

    def __init__(self, fd):
        self.fd, self.buffer, self.eof = fd, bytearray(), False

    def _fill(self, deadline):
        """Read more bytes; False on EOF or deadline."""
        if self.eof:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        ready, _, _ = select.select([self.fd], [], [], remaining)
        if not ready:
            return False
        chunk = os.read(self.fd, 1 << 20)
        if not chunk:
            self.eof = True
            return False
        self.buffer += chunk
        return True

    def next(self, deadline):
        """The next Event, or None at EOF or at the deadline. Raises ProtocolViolation.

        The deadline is checked first, so a flood of events cannot keep a call alive."""
        if time.monotonic() >= deadline:
            return None
        while b"\n" not in self.buffer:
            if len(self.buffer) > MAX_JSON_BYTES:
                raise ProtocolViolation("wrote an event line longer than allowed")
            if not self._fill(deadline):
                return None
        end = self.buffer.index(b"\n")
        if end > MAX_JSON_BYTES:
            raise ProtocolViolation("wrote an event line longer than allowed")
        line = bytes(self.buffer[:end])
        del self.buffer[:end + 1]
        fields = parse_event(line)
        size = fields.get("bytes", 0)
        while len(self.buffer) < size:
            if not self._fill(deadline):
                return None
        payload = bytes(self.buffer[:size])
        del self.buffer[:size]
        return Event(fields["event"], fields, payload, time.monotonic())

    def close(self):
        os.close(self.fd)


def parse_event(line):
    """The fields of one event line, checked against PROTOCOL. Raises ProtocolViolation."""
    try:
        fields = parse_json(line)
    except WireError as exc:
        raise ProtocolViolation("wrote an event nested too deeply" if "nested" in str(exc)
                                else "wrote a line that is not a JSON event") from None
    if not isinstance(fields, dict) or fields.get("event") not in PROTOCOL:
        kind = fields.get("event") if isinstance(fields, dict) else None
        raise ProtocolViolation(f"wrote an unknown event {str(kind)[:40]!r}")
    size = fields.get("bytes", 0)
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_NPZ_BYTES:
        raise ProtocolViolation("announced a payload of an impossible size")
    return fields


# -- the processes of one sandbox ---------------------------------------------------


def _stat_fields(pid):
    """The fields of /proc/PID/stat after the name (field 3, the state, first), or None when it is gone.
    The name may hold anything, even ')' and invalid UTF-8, so the split starts after the last ')'."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    return raw[raw.rfind(b")") + 2:].split()


def _proc_stat(pid):
    """(utime + stime + cutime + cstime) in seconds of one process, or None when it is gone."""
    rest = _stat_fields(pid)
    try:
        ticks = sum(int(rest[i]) for i in (11, 12, 13, 14))
    except (TypeError, IndexError, ValueError):
        return None
    return ticks / os.sysconf("SC_CLK_TCK")


def running(pid):
    """Whether pid is a process that can still run: not gone, and not a zombie (dead, waiting to be reaped)."""
    rest = _stat_fields(pid)
    return bool(rest) and rest[0] not in (b"Z", b"X")


def scan(match):
    """Pids of /proc for which match(pid) is true. The one /proc scanner of the grader."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                if match(int(entry)):
                    found.append(int(entry))
            except OSError:
                continue
    return found


def in_namespace(ns):
    """Matcher: the process lives in the PID namespace `ns` (a readlink of /proc/PID/ns/pid)."""
    return lambda pid: os.readlink(f"/proc/{pid}/ns/pid") == ns


def marked(marker, uid):
    """Matcher for process isolation: the process carries the environment marker or runs as uid."""
    needle = f"GRADER_SANDBOX={marker}".encode()

    def match(pid):
        with open(f"/proc/{pid}/environ", "rb") as f:
            if needle in f.read().split(b"\0"):
                return True
        if uid is None:
            return False
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"Uid:"):
                    return str(uid).encode() in line.split()[1:]
        return False
    return match


@dataclass
class Launch:
    """How to start one sandboxed process (built by Sandbox)."""
    argv_for: object  # (progress fd, info fd or None) -> argv; writes the request naming that fd
    env: dict
    cwd: str
    ids: dict  # user/group/extra_groups for subprocess.Popen, or {}
    preexec: object  # sets rlimits in the child
    stdout: str  # log file paths, written by the process through inherited descriptors
    stderr: str
    bwrap: bool
    marker: str = ""
    uid: int | None = None
    envelope: object = None  # the sandbox's grader.envelope.Envelope, or None (bounds per process only)


class Worker:
    """A started student process and everything about it that the grader controls."""

    def __init__(self, launch):
        self.launch = launch
        read_fd, write_fd = os.pipe()
        info_r, info_w = os.pipe() if launch.bwrap else (None, None)
        stdout, stderr = open(launch.stdout, "ab"), open(launch.stderr, "ab")
        try:
            argv = launch.argv_for(write_fd, info_w)
            passed = (write_fd,) if info_w is None else (write_fd, info_w)
            with SPAWNING:  # registered as the grader's own child before any watchdog may take it for an orphan
                self.proc = subprocess.Popen(argv, cwd=launch.cwd, env=launch.env, stdin=subprocess.PIPE, stdout=stdout,
                                             stderr=stderr, pass_fds=passed, start_new_session=True,
                                             preexec_fn=launch.preexec, **launch.ids)
                OWN_CHILDREN.add(self.proc.pid)
        except BaseException:
            os.close(read_fd)
            if info_r is not None:
                os.close(info_r)
            raise
        finally:
            os.close(write_fd)
            stdout.close()
            stderr.close()
            if info_w is not None:
                os.close(info_w)
        self.events = EventReader(read_fd)
        self.namespace, self.init_pid = None, None
        if info_r is not None:
            self._read_info(info_r)
        self.epochs = 0
        self.closed = False
        self.envelope = launch.envelope
        if self.envelope is not None:
            self.envelope.attach(self)

    def _read_info(self, fd):
        """bwrap's --info-fd: the sandbox's init pid, whose PID namespace holds every student process."""
        data = b""
        deadline = time.monotonic() + 30
        try:
            while time.monotonic() < deadline:
                ready, _, _ = select.select([fd], [], [], max(deadline - time.monotonic(), 0))
                if not ready:
                    break
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                data += chunk
        finally:
            os.close(fd)
        try:
            self.init_pid = int(json.loads(data)["child-pid"])
            self.namespace = os.readlink(f"/proc/{self.init_pid}/ns/pid")
        except (ValueError, KeyError, TypeError, OSError):
            self.init_pid = self.namespace = None

    # -- events --------------------------------------------------------------

    def next(self, deadline):
        """The next event before the absolute deadline, or None (timed_out() or ended() says which).
        Raises ProtocolViolation."""
        event = self.events.next(deadline)
        if event is not None and event.kind in ("epoch", "batch"):
            self.epochs += 1
            if self.epochs > MAX_EPOCH_EVENTS:
                raise ProtocolViolation("sent more progress events than any training could")
        return event

    def timed_out(self):
        """After next() returned None: True when the deadline passed, False when the process closed the pipe."""
        return not self.events.eof

    def send(self, line):
        """Write one line to the process's stdin; False when it is gone."""
        try:
            self.proc.stdin.write(line.encode() + b"\n")
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError, ValueError):
            return False

    # -- the processes ----------------------------------------------------------

    def pids(self):
        """Every live process of this sandbox."""
        if self.envelope is not None and self.envelope.cgroups is not None:
            return self.envelope.cgroups.pids()
        return self.scan_pids()

    def scan_pids(self):
        """The processes of this sandbox that a /proc scan finds (its PID namespace, or its marker or uid)."""
        if self.launch.bwrap:
            return scan(in_namespace(self.namespace)) if self.namespace else []
        found = set(scan(marked(self.launch.marker, self.launch.uid)))
        if self.proc.poll() is None:
            found.add(self.proc.pid)
        return sorted(found)

    def signal_all(self, sig):
        """Send sig to every process of the sandbox, again until no new one appears."""
        seen = set()
        for _ in range(5):
            new = [p for p in self.pids() if p not in seen]
            if not new:
                break
            for pid in new:
                try:
                    os.kill(pid, sig)
                except (ProcessLookupError, PermissionError):
                    pass
            seen.update(new)

    def _cgroups(self):
        return self.envelope.cgroups if self.envelope is not None else None

    def freeze(self):
        if self._cgroups():
            self._cgroups().freeze()
        else:
            self.signal_all(signal.SIGSTOP)

    def thaw(self):
        if self._cgroups():
            self._cgroups().thaw()
        else:
            self.signal_all(signal.SIGCONT)

    def cpu_seconds(self):
        """CPU time used so far by the sandbox's processes: the cgroup's clock (every process that ever ran
        in it), else the live processes and the children they reaped."""
        if self._cgroups():
            return self._cgroups().cpu_seconds()
        return sum(t for t in (_proc_stat(p) for p in self.pids()) if t is not None)

    def breach(self):
        """Why the sandbox was stopped (a bound of its envelope breached), or None."""
        return self.envelope.stopped() if self.envelope is not None else None

    def ended(self, grace=2.0):
        """How the process ended ('exited with status 1', 'was killed by SIGKILL ...', 'was stopped: the sandbox
        used more than ...')."""
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        code = self.proc.poll()
        if self.launch.bwrap and code is not None and code > 128:  # bwrap reports a child's signal as 128 + N
            code = -(code - 128)
        why = self.breach()
        return f"was stopped: {why}" if why else describe_exit(code)

    def close(self):
        """Kill every process of the sandbox and release the pipes. Idempotent."""
        if self.closed:
            return
        self.closed = True
        if self._cgroups():
            self._cgroups().kill()
        for _ in range(KILL_ROUNDS):
            for pid in (self.init_pid, self.proc.pid):
                if pid:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            stragglers = [pid for pid in self.pids() if running(pid)]
            for pid in stragglers:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            if not stragglers:
                break
            time.sleep(KILL_POLL_S)  # SIGKILL is delivered when the process next runs: usually within a millisecond
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        if self.envelope is not None:
            self.envelope.detach(self)
        OWN_CHILDREN.discard(self.proc.pid)
        self.events.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


KILL_ROUNDS, KILL_POLL_S = 30, 0.005  # close(): kill, look again, at most 0.15 s in all


def describe_exit(returncode):
    if returncode is None:
        return "did not exit"
    if returncode < 0:
        sig = signal.Signals(-returncode).name if -returncode in signal.Signals._value2member_map_ else str(-returncode)
        hints = {"SIGKILL": " (killed: memory limit or output limit reached?)", "SIGXFSZ": " (wrote more than the output limit)",
                 "SIGSEGV": " (crashed in native code)"}
        return f"was killed by {sig}{hints.get(sig, '')}"
    return f"exited with status {returncode}"
