"""Landlock file rules for a sandboxed child (Linux 5.13+), through its three system calls.

Landlock needs no privilege and no namespace: a process restricts itself, and every process it
starts, to the folders a ruleset names. Everything not named is refused: the repository, the
reference, the rubric, other sandboxes, /proc of other processes, /tmp. From ABI 4 the ruleset
also handles TCP bind and connect (none allowed), and from ABI 6 it scopes signals and abstract
UNIX sockets to the sandbox's own processes. Rules are built in the child (grader.confine), after
the uid drop and PR_SET_NO_NEW_PRIVS, just before exec.
"""

import ctypes
import os
import stat
from functools import lru_cache

SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446  # the same numbers on every architecture
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
ABI_FS = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1, 5: (1 << 16) - 1}  # handled rights
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | (1 << 14) | (1 << 15)  # the rights a rule on a file (not a folder) may hold
READ = READ_FILE | READ_DIR
NET_BIND_CONNECT_TCP = 0b11  # ABI 4
SCOPE_ABSTRACT_UNIX_AND_SIGNAL = 0b11  # ABI 6

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class LandlockError(OSError):
    """A Landlock call failed; in a child this stops the exec (fail closed)."""


def _call(*args):
    result = _libc.syscall(*args)
    if result < 0:
        err = ctypes.get_errno()
        raise LandlockError(err, f"landlock syscall {args[0]}: {os.strerror(err)}")
    return result


@lru_cache(maxsize=1)
def abi():
    """The kernel's Landlock ABI version, 0 when it has none (or it is disabled at boot)."""
    try:
        return int(_call(SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION)))
    except OSError:
        return 0


def handled_fs(version):
    return ABI_FS.get(version, ABI_FS[5])


def restrict(reads, writes, executes, version=None):
    """Restrict this process (and all it starts) to `reads` (read-only), `writes` (read-write) and
    `executes` (files it may execve). Paths that do not exist are skipped: nothing there to allow.
    PR_SET_NO_NEW_PRIVS must already be set. Raises LandlockError."""
    version = version or abi()
    if version < 1:
        raise LandlockError(0, "Landlock is not available on this kernel")
    handled = handled_fs(version)
    attr = RulesetAttr(handled, NET_BIND_CONNECT_TCP if version >= 4 else 0,
                       SCOPE_ABSTRACT_UNIX_AND_SIGNAL if version >= 6 else 0)
    size = 8 if version < 4 else 16 if version < 6 else 24
    ruleset = _call(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    try:
        for paths, rights in ((reads, READ), (writes, handled), (executes, EXECUTE | READ_FILE)):
            for path in paths:
                _allow(ruleset, path, rights & handled)
        _call(SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)


def _allow(ruleset, path, rights):
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            rights &= FILE_RIGHTS
        rule = PathBeneathAttr(rights, fd)
        _call(SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH), ctypes.byref(rule), ctypes.c_uint32(0))
    finally:
        os.close(fd)
