"""The seccomp filter of a process-mode sandbox: the system calls student code may not make.

Built once per grader process with libseccomp (through pyseccomp), loaded in each sandboxed child just
before exec (grader.confine). The default is to allow; what is refused fails with an errno, so a
refused call is an ordinary OSError in Python, never a crash of the interpreter. System calls of
any other architecture (i386 `int 0x80` on x86-64) kill the process (libseccomp's bad-arch action).

What is refused, and why:
- sockets of every family, AF_UNIX included (socket, socketpair): no network, loopback included;
  AF_UNIX is refused too because an abstract or filesystem socket reaches host daemons (Docker's
  socket, D-Bus, nscd) that file rights do not cover, and nothing the assignment runs needs one;
- ptrace and the calls that read or write another process's memory or descriptors
  (process_vm_readv/writev, pidfd_getfd, kcmp);
- new namespaces: unshare, setns, clone with any CLONE_NEW* flag; clone3 fails with ENOSYS
  (its flags sit in memory a filter cannot read), so libc falls back to clone;
- keyrings: add_key, request_key, keyctl;
- io_uring (its operations bypass this filter, sockets included), bpf, perf_event_open, userfaultfd;
- mounting and the rest of an administrator's calls (mount, umount2, pivot_root, chroot, the new
  mount API, open_by_handle_at, kexec, modules, swap, reboot, clocks, acct, quotactl, syslog ...);
- SysV IPC objects and POSIX message queues (shmget, semget, msgget, mq_open): they outlive the
  process and no file-system cleanup sees them.
"""

import errno
from functools import lru_cache

CLONE_NEW_FLAGS = {  # clone(2) flags that create a namespace (CLONE_NEWTIME only exists for clone3/unshare)
    "CLONE_NEWNS": 0x00020000, "CLONE_NEWCGROUP": 0x02000000, "CLONE_NEWUTS": 0x04000000, "CLONE_NEWIPC": 0x08000000,
    "CLONE_NEWUSER": 0x10000000, "CLONE_NEWPID": 0x20000000, "CLONE_NEWNET": 0x40000000,
}
REFUSED = {  # errno -> system calls refused with it
    errno.EACCES: ("socket", "socketpair"),
    errno.EPERM: (
        "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp",
        "unshare", "setns",
        "add_key", "request_key", "keyctl",
        "io_uring_setup", "io_uring_enter", "io_uring_register", "bpf", "perf_event_open", "userfaultfd",
        "mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount",
        "fspick", "mount_setattr", "open_by_handle_at", "name_to_handle_at", "fanotify_init",
        "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "swapon", "swapoff",
        "reboot", "acct", "quotactl", "syslog", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
        "sethostname", "setdomainname", "iopl", "ioperm", "vhangup", "lookup_dcookie",
        "shmget", "semget", "msgget", "mq_open",
    ),
    errno.ENOSYS: ("clone3",),
}


class SeccompUnavailable(RuntimeError):
    """libseccomp (or its Python binding, pyseccomp) is missing; the message says what to install."""


def library():
    """The pyseccomp module. Raises SeccompUnavailable naming what to install."""
    try:
        import pyseccomp
    except (ImportError, RuntimeError, OSError) as exc:  # pyseccomp raises RuntimeError when libseccomp.so is absent
        raise SeccompUnavailable(f"the seccomp layer needs pyseccomp and libseccomp ({exc}); install them with "
                                 "`pip install pyseccomp` and `apt-get install libseccomp2`") from None
    return pyseccomp


@lru_cache(maxsize=1)
def sandbox_filter():
    """The filter (a pyseccomp.SyscallFilter), built once; a child calls .load() on its copy.

    Raises SeccompUnavailable. A system call this kernel or libseccomp does not know is skipped
    (it cannot be made here either)."""
    sc = library()
    f = sc.SyscallFilter(sc.ALLOW)
    for err, names in REFUSED.items():
        for name in names:
            try:
                f.add_rule(sc.ERRNO(err), name)
            except (OSError, ValueError, RuntimeError):
                continue
    for flag in CLONE_NEW_FLAGS.values():
        f.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    return f


def problem():
    """None when the filter can be built here, else why not (with what to install)."""
    try:
        sandbox_filter()
    except SeccompUnavailable as exc:
        return str(exc)
    except (OSError, RuntimeError, ValueError) as exc:
        return f"the seccomp filter could not be built ({exc})"
    return None
