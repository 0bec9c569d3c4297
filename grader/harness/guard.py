"""The second isolation layer inside the student process: PEP 578 audit hooks.

Installed after the harness and NumPy are imported and before any student code
runs. Hooks cannot be removed once added. They stop Python-level access only:
native code (a C extension, ctypes loaded before the hook) is not seen.
"""

import os
import stat
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


FUNCTION_FIELDS = ("__code__", "__defaults__", "__kwdefaults__", "__globals__", "__closure__")


def _resolve(path, cwd, _lstat=os.lstat, _readlink=os.readlink, _islink=stat.S_ISLNK, _str=str, _OSError=OSError):
    """The canonical absolute form of path, following symlinks like os.path.realpath.

    Written with captured C functions only: student code cannot reach into it by
    patching os, os.path or builtins. Its defaults cannot be replaced (audited).
    """
    pending = (path if path.startswith("/") else cwd + "/" + path).split("/")
    pending.reverse()
    done, hops = [], 0
    while pending:
        part = pending.pop()
        if part == "" or part == ".":
            continue
        if part == "..":
            if done:
                done.pop()
            continue
        candidate = "/" + "/".join(done + [part])
        try:
            linked = _islink(_lstat(candidate).st_mode)
        except _OSError:
            linked = False
        if linked and hops < 40:
            hops += 1
            target = _str(_readlink(candidate))
            if target.startswith("/"):
                done = []
            rest = target.split("/")
            rest.reverse()
            pending.extend(rest)
        else:
            done.append(part)
    return "/" + "/".join(done)


def _inside(real, roots):
    for r in roots:
        if real == r or real.startswith(r + "/"):
            return True
    return False


def make_hook(read_roots, write_roots):
    """An audit hook that allows reads under read_roots and writes under write_roots only.

    Everything the hook uses is bound into its defaults, which are immutable
    tuples, frozensets and C functions, so Python code in the sandbox cannot
    disarm it by patching modules, globals or builtins.
    """
    cwd = os.getcwd()
    writes = tuple(_resolve(r, cwd) for r in write_roots)
    reads = tuple(_resolve(r, cwd) for r in read_roots) + writes
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    rules = (reads, writes, frozenset(BLOCKED_EVENTS), tuple(BLOCKED_PREFIXES),
             tuple((e, i) for e, i in PATH_WRITE_EVENTS.items()), tuple(BLOCKED_MODULES + BLOCKED_NATIVE),
             write_flags, frozenset(FUNCTION_FIELDS))
    helpers = (_resolve, _inside, os.getcwd, os.fspath, stat.S_ISDIR, os.stat,
               isinstance, str, int, bytes, type(lambda: 0), PermissionError, ImportError, OSError)

    def hook(event, args, R=rules, H=helpers):
        reads, writes, blocked, prefixes, path_events, modules, write_flags, fields = R
        resolve, inside, getcwd, fspath, isdir_mode, stat_, isinstance_, str_, int_, bytes_, function, denied, refused, oserror = H
        if event == "open":
            path, mode, flags = args[0], args[1], args[2]
            if path is None or isinstance_(path, int_):
                return
            path = fspath(path)
            if isinstance_(path, bytes_):
                path = path.decode("utf-8", "surrogateescape")
            real = resolve(path, getcwd())
            writing = (isinstance_(mode, str_) and ("w" in mode or "a" in mode or "x" in mode or "+" in mode)) or \
                (isinstance_(flags, int_) and (flags & write_flags) != 0)
            if writing:  # a directory cannot be opened for writing (O_TMPFILE gives a file)
                if not inside(real, writes):
                    raise denied("sandbox: writing " + real + " is not allowed (only the sandbox's own folder)")
                return
            if not inside(real, reads):
                raise denied("sandbox: reading " + real + " is not allowed outside the submission")
            try:
                directory = isdir_mode(stat_(real).st_mode)
            except oserror:
                directory = False
            if directory:  # no directory descriptors: the event carries no dir_fd, so one would escape these checks
                raise denied("sandbox: opening the directory " + real + " is not allowed")
            return
        if event in blocked:
            raise denied("sandbox: " + event + " is not allowed while grading")
        for prefix in prefixes:
            if event.startswith(prefix):
                raise denied("sandbox: " + event + " is not allowed while grading")
        if event == "object.__setattr__" and len(args) > 1 and args[1] in fields and isinstance_(args[0], function):
            raise denied("sandbox: changing a function's " + str_(args[1]) + " is not allowed while grading")
        if event == "import" and args:
            top = str_(args[0]).split(".")[0]
            if top in modules:
                raise refused("sandbox: importing " + repr(args[0]) + " is not allowed while grading")
            return
        for name, indexes in path_events:
            if event == name:
                for i in indexes:
                    if i < len(args) and isinstance_(args[i], (str_, bytes_)):
                        target = args[i] if isinstance_(args[i], str_) else args[i].decode("utf-8", "surrogateescape")
                        if not inside(resolve(target, getcwd()), writes):
                            raise denied("sandbox: " + event + " on " + target + " is not allowed")

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
