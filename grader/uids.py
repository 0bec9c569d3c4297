"""A uid of its own for each sandbox (the grader is root), leased exactly, and everything it owned removed.

A lease is an flock on LOCK_DIR/<uid>, a root-owned folder of mode 700: no two sandboxes on the
machine (in any grader process) hold the same uid at once. Since nothing else runs under a leased
uid, "every process of this uid" and "every file this uid owns in /tmp, /dev/shm and /var/tmp" are
exactly the sandbox's, so release() kills and removes them. acquire() does the same first, for
what a grader that died without releasing may have left.
"""

import errno
import fcntl
import os
import signal
import stat
import time
from dataclasses import dataclass

BASE = 200_000  # uids with no account
SPAN = 10_000  # sandboxes open at once on one machine, at most
LOCK_DIRS = ("/run/grader-uids", "/var/lock/grader-uids", "/tmp/grader-uids-root")
SHARED_TMP = ("/tmp", "/dev/shm", "/var/tmp")
KILL_SECONDS = 10.0  # kill_all gives up on a uid's processes after this long (each round takes ~2 ms)


class LeaseError(RuntimeError):
    """No uid could be leased; the message says why."""


@dataclass
class Lease:
    uid: int
    fd: int  # the flock-ed lock file, held until release

    def release(self, before=lambda: None):
        """Kill the uid's processes, call before() (e.g. remove the sandbox's folder), remove the uid's files
        in the shared temporary folders, then free the uid."""
        if self.fd is None:
            return
        try:
            kill_all(self.uid)
            before()
            remove_owned(self.uid)
        finally:
            os.close(self.fd)
            self.fd = None


def lock_dir():
    """A root-owned folder, mode 700, not a symlink, for the lock files. Raises LeaseError."""
    for path in LOCK_DIRS:
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        except OSError:
            continue
        st = os.lstat(path)
        if stat.S_ISDIR(st.st_mode) and st.st_uid == 0 and not st.st_mode & 0o077:
            return path
    raise LeaseError(f"no root-owned mode-700 folder for uid leases among {', '.join(LOCK_DIRS)}")


def acquire():
    """A Lease on the first free uid from BASE on (so the lock files stay as few as the sandboxes ever open at
    once), its leftovers cleaned. Raises LeaseError."""
    folder = lock_dir()
    dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        for k in range(SPAN):
            uid = BASE + k
            fd = os.open(str(uid), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dir_fd)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                    continue
                raise
            lease = Lease(uid, fd)
            kill_all(uid, reap=True)
            remove_owned(uid)
            return lease
    finally:
        os.close(dir_fd)
    raise LeaseError(f"no free sandbox uid among {SPAN}")


def pids_of(uid, zombies=False):
    """Pids of every live process whose real, effective or saved uid is uid (zombies too, when asked: a zombie
    is already dead, holds nothing but its pid, and only its parent can remove it)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", "rb") as f:
                state = b""
                for line in f:
                    if line.startswith(b"State:"):
                        state = line.split()[1]
                    elif line.startswith(b"Uid:"):
                        if str(uid).encode() in line.split()[1:4] and (zombies or state not in (b"Z", b"X")):
                            found.append(int(entry))
                        break
        except (OSError, IndexError):
            continue
    return found


def kill_all(uid, reap=False):
    """SIGKILL every live process of uid, again until none is left (RLIMIT_NPROC bounds a fork bomb). reap: then
    also reap the uid's zombies that are this process's children (when the uid is leased again: the grader is a
    child subreaper, and a zombie it never reaped would still count toward the uid's RLIMIT_NPROC); never on
    release, where a caller's Popen may still wait for its child."""
    deadline = time.monotonic() + KILL_SECONDS  # a loaded machine may take long to run the killed ones to their end
    while time.monotonic() < deadline:
        pids = [p for p in pids_of(uid) if p != os.getpid()]
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.002)
    for pid in pids_of(uid, zombies=True) if reap else ():
        try:
            os.waitpid(pid, os.WNOHANG)  # only ever reaps a child of ours
        except ChildProcessError:
            pass


def remove_owned(uid, roots=SHARED_TMP):
    """Remove every file and folder that uid owns in roots, and in world-writable folders under them."""
    for root in roots:
        try:
            fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            _remove_owned_in(fd, uid, depth=0)
        finally:
            os.close(fd)


def _remove_owned_in(dir_fd, uid, depth):
    for entry in list(os.scandir(dir_fd)):
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        is_dir = stat.S_ISDIR(st.st_mode)
        if st.st_uid == uid:
            (remove_tree if is_dir else _unlink)(dir_fd, entry.name)
        elif is_dir and st.st_mode & 0o002 and depth < 4:  # another world-writable folder (/tmp/.X11-unix)
            try:
                sub = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
            except OSError:
                continue
            try:
                _remove_owned_in(sub, uid, depth + 1)
            finally:
                os.close(sub)


def _unlink(dir_fd, name):
    try:
        os.unlink(name, dir_fd=dir_fd)
    except OSError:
        pass


def remove_tree(parent_fd, name, limit=1_000_000):
    """Remove the folder `name` under parent_fd and all it holds, at any depth, with one folder open at a time
    and no symlink followed (its owner's processes are gone, so nothing changes it meanwhile)."""
    path = [name]  # names from parent_fd down to the folder open now
    fd = _open_dir(parent_fd, name)
    if fd is None:
        return
    for _ in range(limit):
        sub = None
        for entry in list(os.scandir(fd)):
            if entry.is_dir(follow_symlinks=False):
                sub = entry.name
                break
            _unlink(fd, entry.name)
        if sub is not None:
            child = _open_dir(fd, sub)
            os.close(fd)
            if child is None:  # cannot be opened (not a folder any more?): give up on this tree
                return
            fd, path = child, path + [sub]
            continue
        up = None if len(path) == 1 else _open_dir(fd, "..")
        os.close(fd)
        if up is None:
            try:
                os.rmdir(name, dir_fd=parent_fd)
            except OSError:
                pass
            return
        try:
            os.rmdir(path[-1], dir_fd=up)
        except OSError:
            os.close(up)
            return
        fd, path = up, path[:-1]
    os.close(fd)


def _open_dir(dir_fd, name):
    try:
        return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
    except OSError:
        return None
