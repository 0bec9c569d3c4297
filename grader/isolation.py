"""How a student process is isolated: the choice of mode, and the bubblewrap command.

Two modes:
- bwrap: the operating system is the sandbox. bubblewrap builds a fresh root
  holding only the interpreter, the standard library, NumPy, the dataset, the
  submission and the harness, all read-only; a tmpfs /tmp and /dev/shm; a new
  PID, network, IPC, UTS and user namespace in which no further user namespace
  can be made (--disable-userns, bubblewrap 0.8); no capabilities; --die-with-parent
  and --new-session. As root the grader first drops to a private uid.
- process: a plain child process with rlimits, a private uid when root, and the
  PEP 578 audit hooks. Audit hooks are a tripwire, not a boundary: native code
  can switch them off. Use it only where namespaces are refused.
"""

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

MODES = ("auto", "bwrap", "process")
TMPFS_BYTES = 64 << 20  # size cap of the sandbox's /tmp and /dev/shm each
INSIDE_ROOT = "/sandbox"  # where the sandbox folder appears inside bwrap
INSIDE_SITE = "/sandbox/site"  # where the importable packages appear inside bwrap
INSIDE_DATA = "/sandbox/data"
SANDBOX_UID_BASE = 200_000  # uids with no account; the grader picks one per sandbox when root
PACKAGES = ("numpy",)  # what a submission may import besides the standard library


class IsolationError(RuntimeError):
    """The requested isolation cannot be had; the message says why and what to do."""


@dataclass(frozen=True)
class Choice:
    mode: str  # bwrap | process
    reason: str  # why this mode, for the report and the warning


def bwrap_binary():
    return shutil.which("bwrap")


def interpreter(python=sys.executable):
    """The real interpreter behind a venv's python (a venv's pyvenv.cfg is not needed with -I -S)."""
    return os.path.realpath(python)


@cache
def package_dirs(python):
    """Host folders of the packages a submission may import, and their bundled native libraries."""
    code = ("import importlib.util, json, os, sys\n"
            "out = []\n"
            "for name in sys.argv[1:]:\n"
            "    spec = importlib.util.find_spec(name)\n"
            "    if spec and spec.submodule_search_locations:\n"
            "        d = list(spec.submodule_search_locations)[0]\n"
            "        out.append(d)\n"
            "        libs = d + '.libs'\n"
            "        if os.path.isdir(libs): out.append(libs)\n"
            "print(json.dumps(out))\n")
    try:
        done = subprocess.run([python, "-c", code, *PACKAGES], capture_output=True, text=True, timeout=60)
        return tuple(json.loads(done.stdout)) if done.returncode == 0 else ()
    except (OSError, subprocess.SubprocessError, ValueError):
        return ()


def system_binds(python):
    """(host, inside) pairs for the interpreter and its standard library, and symlinks for /bin, /lib*."""
    binds, links = [("/usr", "/usr")], []
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            links.append((os.readlink(top), top))
        elif os.path.isdir(top):
            binds.append((top, top))
    real = Path(interpreter(python))
    prefix = real.parent.parent  # e.g. /root/.pyenv/versions/3.11.7 for .../bin/python3.11
    if not str(prefix).startswith("/usr"):
        binds.append((str(prefix), str(prefix)))
    if os.path.exists("/etc/ld.so.cache"):
        binds.append(("/etc/ld.so.cache", "/etc/ld.so.cache"))
    return binds, links


def bwrap_argv(binds, python, command, uid_inside=None, info_fd=None):
    """The bwrap command line: an empty root plus `binds` (host, inside) read-only, then command.

    uid_inside: map the caller to this uid inside (used when bwrap itself runs as root).
    """
    argv = [bwrap_binary() or "bwrap", "--unshare-all", "--die-with-parent", "--new-session",
            "--cap-drop", "ALL", "--clearenv", "--hostname", "sandbox",
            "--unshare-user", "--disable-userns"]  # no nested user namespace, so no nested PID namespace either
    if uid_inside is not None:
        argv += ["--uid", str(uid_inside), "--gid", str(uid_inside)]
    argv += ["--proc", "/proc", "--dev", "/dev",  # mounts first: a later bind may sit inside /tmp
             "--size", str(TMPFS_BYTES), "--tmpfs", "/tmp",
             "--size", str(TMPFS_BYTES), "--tmpfs", "/dev/shm"]
    system, links = system_binds(python)
    for host, inside in system + list(binds):
        argv += ["--ro-bind", host, inside]
    for target, link in links:
        argv += ["--symlink", target, link]
    argv += ["--chdir", "/tmp"]
    if info_fd is not None:
        argv += ["--info-fd", str(info_fd)]
    return argv + ["--", *command]


_DROPS_IN_BWRAP: set[str] = set()  # interpreters a dropped uid has run, with NumPy, in bwrap (bwrap_problem learns it)


@cache
def can_drop_privileges(python):
    """True when running as root and an unprivileged uid can start `python` and import numpy."""
    if os.geteuid() != 0:
        return False
    if python in _DROPS_IN_BWRAP:  # shown already, inside the sandbox, by bwrap_problem: no second process
        return True
    site = [os.path.dirname(d) for d in package_dirs(python)]
    code = f"import sys; sys.path += {site!r}; import numpy"
    try:
        done = subprocess.run([interpreter(python), "-I", "-S", "-c", code], user=SANDBOX_UID_BASE - 1,
                              group=SANDBOX_UID_BASE - 1, extra_groups=[], cwd="/", env={"PATH": "/usr/bin:/bin"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


@cache
def bwrap_problem(python):
    """None when bwrap can start `python` with NumPy in the sandbox this module builds; else why not.
    As root, the sandbox as a dropped uid is tried first: when it works, that also shows can_drop_privileges."""
    if bwrap_binary() is None:
        return "bubblewrap (bwrap) is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    if os.geteuid() == 0:
        problem = try_bwrap(python, drop=True)
        if problem is None:
            _DROPS_IN_BWRAP.add(python)
            return None
        if can_drop_privileges(python):
            return problem
    return try_bwrap(python, drop=can_drop_privileges(python))


def try_bwrap(python, drop):
    """bwrap_problem's one attempt: python with NumPy in the sandbox, as a dropped uid when drop."""
    binds = [(d, f"{INSIDE_SITE}/{os.path.basename(d)}") for d in package_dirs(python)]
    code = f"import sys; sys.path.append({INSIDE_SITE!r}); import numpy"
    ids = {"user": SANDBOX_UID_BASE - 1, "group": SANDBOX_UID_BASE - 1, "extra_groups": []} if drop else {}
    uid_inside = 65534 if os.geteuid() == 0 and not drop else None
    argv = bwrap_argv(binds, python, [interpreter(python), "-I", "-S", "-c", code], uid_inside=uid_inside)
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=60, cwd="/", **ids)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bwrap could not be started ({exc})"
    if done.returncode != 0:
        text = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return "bwrap refused to create the sandbox: " + (text[-1] if text else f"exit status {done.returncode}")
    return None


def choose(requested="auto", strict=False, python=sys.executable):
    """The isolation mode to use.

    requested: auto | bwrap | process. strict: refuse to fall back to `process` on
    auto (grading as root or under CI=true); an explicit `process` is always honoured.
    """
    if requested not in MODES:
        raise IsolationError(f"unknown isolation {requested!r} (choose from {', '.join(MODES)})")
    if requested == "process":
        return Choice("process", "requested with --isolation process")
    problem = bwrap_problem(python)
    if problem is None:
        return Choice("bwrap", "bubblewrap namespaces")
    if requested == "bwrap":
        raise IsolationError(f"--isolation bwrap: {problem}")
    if strict:
        raise IsolationError(f"{problem}; refusing to grade with the weaker process isolation as root or under "
                             "CI=true. Install bubblewrap, or pass --isolation process to accept the weaker mode.")
    return Choice("process", f"bubblewrap unavailable: {problem}")


def strict_by_default(environ=os.environ):
    """Grading as root or under CI=true must not fall back silently."""
    return os.geteuid() == 0 or environ.get("CI", "").lower() == "true"
