"""The set-up of a sandboxed child between fork and exec: an ordered list of small layers.

Sandbox.launch builds a Plan in the grader; the child runs apply(plan), which calls each of
LAYERS in order. A layer that fails raises, and subprocess then reports the failure instead of
starting the student's code (fail closed). The order matters:

0. join_envelope: the sandbox's cgroups (grader.envelope), while still root, so that no fork escapes them;
1. set_limits: rlimits (address space, file size, no core dumps, the watchdog's process cap when no cgroup);
2. drop_privileges: as root, to the sandbox's own uid and gid, with no supplementary groups
   (done here rather than by subprocess's user=, which runs before preexec_fn, so that a layer
   that needs root, such as joining a cgroup, can go first);
3. forbid_new_privileges: PR_SET_NO_NEW_PRIVS (no setuid binary can give privileges back);
4. restrict_files: Landlock rules (grader.landlock), when the plan asks for them;
5. filter_syscalls: the seccomp filter (grader.syscall_filter), last, so the layers above can
   still make the calls it refuses.
"""

import ctypes
import os
import resource
from dataclasses import dataclass

from . import landlock, syscall_filter

PR_SET_NO_NEW_PRIVS = 38


@dataclass(frozen=True)
class Plan:
    """What one child gets (paths as the grader sees them)."""
    memory_bytes: int
    output_bytes: int
    uid: int | None = None  # drop to this uid and gid (the grader is root); None: keep the grader's
    join: object = None  # the envelope's join(): moves this process into the sandbox's cgroups; None: no cgroup
    nproc: int | None = None  # RLIMIT_NPROC, the watchdog's hard stop when there is no pids cgroup; None: unset
    no_new_privs: bool = False
    landlock: bool = False  # restrict files to reads/writes/executes
    reads: tuple = ()
    writes: tuple = ()
    executes: tuple = ()
    seccomp: bool = False


def join_envelope(plan):
    if plan.join is not None:
        plan.join()


def set_limits(plan):
    resource.setrlimit(resource.RLIMIT_AS, (plan.memory_bytes, plan.memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (plan.output_bytes, plan.output_bytes))  # the sandbox's one log, in all
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if plan.nproc is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (plan.nproc, plan.nproc))


def drop_privileges(plan):
    if plan.uid is None:
        return
    os.setgroups([])
    os.setresgid(plan.uid, plan.uid, plan.uid)
    os.setresuid(plan.uid, plan.uid, plan.uid)
    if os.getresuid() != (plan.uid,) * 3 or os.getresgid() != (plan.uid,) * 3:
        raise OSError(f"confine.drop_privileges: still running as {os.getresuid()}")


def forbid_new_privileges(plan):
    if plan.no_new_privs and _prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "confine.forbid_new_privileges: prctl(PR_SET_NO_NEW_PRIVS) failed")


def restrict_files(plan):
    if plan.landlock:
        landlock.restrict(plan.reads, plan.writes, plan.executes)


def filter_syscalls(plan):
    if plan.seccomp:
        syscall_filter.sandbox_filter().load()


LAYERS = [join_envelope, set_limits, drop_privileges, forbid_new_privileges, restrict_files, filter_syscalls]


def apply(plan):
    """Run every layer of LAYERS, in order, in the child (subprocess's preexec_fn)."""
    for layer in LAYERS:
        layer(plan)


_libc = ctypes.CDLL(None, use_errno=True)
_prctl = _libc.prctl
_prctl.argtypes = (ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong)


@dataclass(frozen=True)
class Layers:
    """Which layers a process-mode sandbox can have here; recorded in results.json."""
    uid_separation: bool  # the student runs under a uid of its own, not the grader's or the reference's
    seccomp: bool
    landlock: int  # the Landlock ABI in force, 0 for none

    def as_dict(self, mode):
        return {"mode": mode, "uid_separation": self.uid_separation, "seccomp": self.seccomp,
                "landlock": self.landlock > 0, "landlock_abi": self.landlock}


def describe(layers):
    """The layers in one phrase, for warnings and feedback: what holds, and nothing that does not."""
    parts = ["a uid of its own" if layers.uid_separation else "the grader's own uid",
             "a seccomp filter (no sockets, ptrace, namespaces or keyrings)" if layers.seccomp else "NO seccomp filter",
             f"Landlock file rules (ABI {layers.landlock})" if layers.landlock else "NO Landlock file rules"]
    return ", ".join(parts)


def available(can_drop):
    """The process-mode layers this machine offers (can_drop: an unprivileged uid can run the interpreter)."""
    return Layers(uid_separation=bool(can_drop and os.geteuid() == 0), seccomp=syscall_filter.problem() is None,
                  landlock=landlock.abi())


def process_problem(layers, root=None):
    """None when process mode is a sandbox here, else what is missing and how to fix it.

    Root (a container without namespaces): the student needs a uid of its own and the seccomp filter;
    Landlock is used where the kernel has it. An ordinary user: the student would run as the grader's
    own uid, so Landlock (which confines it to its own files) and the seccomp filter are both required."""
    root = os.geteuid() == 0 if root is None else root
    missing = []
    if not layers.seccomp:
        missing.append(syscall_filter.problem() or "the seccomp filter is unavailable")
    if root and not layers.uid_separation:
        missing.append("an unprivileged uid cannot start the interpreter (use one outside /root, e.g. "
                       "PYTHON=/usr/bin/python3, or make its folders world-readable)")
    if not root and not layers.landlock:
        missing.append("this kernel has no Landlock (Linux 5.13+ with landlock in the lsm= boot list), which process "
                       "mode needs when the grader is not root: student code would run with the grader's own rights")
    return "; ".join(missing) or None
