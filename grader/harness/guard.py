"""The second isolation layer inside the student process: PEP 578 audit hooks.

Installed after the harness and NumPy are imported and before any student code
runs. Hooks cannot be removed once added. They stop Python-level access only:
native code (a C extension, ctypes loaded before the hook) is not seen.
"""

import os
import sys

BLOCKED_EVENTS = {
    "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
    "subprocess.Popen", "pty.spawn", "os.kill", "os.killpg", "signal.pthread_kill",
    "ctypes.dlopen", "ctypes.dlsym", "ctypes.dlsym/handle", "ctypes.cdata",
    "resource.setrlimit", "resource.prlimit", "urllib.Request", "webbrowser.open",
    "sys.remote_exec",
}
BLOCKED_PREFIXES = ("socket.", "ftplib.", "smtplib.", "http.", "imaplib.", "poplib.", "nntplib.", "telnetlib.")
PATH_WRITE_EVENTS = {  # event -> index of the path argument(s) that must stay inside the sandbox
    "os.remove": (0,), "os.rmdir": (0,), "os.mkdir": (0,), "os.rename": (0, 1), "os.replace": (0, 1),
    "os.chmod": (0,), "os.chown": (0,), "os.symlink": (0, 1), "os.link": (0, 1), "os.truncate": (0,),
    "os.utime": (0,), "shutil.rmtree": (0,), "shutil.move": (0, 1), "shutil.copyfile": (1,),
}
BLOCKED_MODULES = ("reference", "grader")  # the solution and the grader are never importable
BLOCKED_NATIVE = ("_posixsubprocess", "_ctypes")  # process creation and native calls that raise no audit event of their own


def _inside(path, roots):
    real = os.path.realpath(path)
    return any(real == r or real.startswith(r + os.sep) for r in roots)


def _is_write(mode, flags):
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        return True
    return isinstance(flags, int) and bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND))


def make_hook(read_roots, write_roots):
    """An audit hook that allows reads under read_roots and writes under write_roots only."""
    read_roots = tuple(os.path.realpath(r) for r in (*read_roots, *write_roots))
    write_roots = tuple(os.path.realpath(r) for r in write_roots)

    def hook(event, args):
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None, None))[:3]
            if isinstance(path, int) or path is None:
                return
            path = os.fsdecode(path)
            if _is_write(mode, flags):  # a directory cannot be opened for writing (O_TMPFILE gives a file)
                if not _inside(path, write_roots):
                    raise PermissionError(f"sandbox: writing {path} is not allowed (only the sandbox's own folder)")
            elif not _inside(path, read_roots):
                raise PermissionError(f"sandbox: reading {path} is not allowed outside the submission")
            elif os.path.isdir(path):  # no directory descriptors: the event carries no dir_fd, so one would escape these checks
                raise PermissionError(f"sandbox: opening the directory {path} is not allowed")
        elif event in BLOCKED_EVENTS or event.startswith(BLOCKED_PREFIXES):
            raise PermissionError(f"sandbox: {event} is not allowed while grading")
        elif event == "import" and args and str(args[0]).split(".")[0] in BLOCKED_MODULES + BLOCKED_NATIVE:
            raise ImportError(f"sandbox: importing {args[0]!r} is not allowed while grading")
        elif event in PATH_WRITE_EVENTS:
            for i in PATH_WRITE_EVENTS[event]:
                if i < len(args) and isinstance(args[i], (str, bytes, os.PathLike)):
                    target = os.fsdecode(args[i])
                    if not _inside(target, write_roots):
                        raise PermissionError(f"sandbox: {event} on {target} is not allowed")

    return hook


class _BlockSolution:
    """Meta-path finder that refuses to import the reference solution or the grader."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED_MODULES + BLOCKED_NATIVE:
            raise ImportError(f"sandbox: importing {name!r} is not allowed while grading")
        return None


def install(read_roots, write_roots):
    """Install the import blocker and the audit hook. Irreversible for this process."""
    sys.meta_path.insert(0, _BlockSolution())
    sys.addaudithook(make_hook(read_roots, write_roots))
