"""Run a command as root the way a Docker container with the default profile runs it (Gradescope's case).

    python -m tools.nonamespace -- bash /autograder/source/run_autograder

Docker's defaults, simulated without Docker:
- a seccomp filter that refuses new namespaces: unshare, setns and clone with any CLONE_NEW* flag
  fail with EPERM, clone3 with ENOSYS (Docker's profile allows these only with CAP_SYS_ADMIN, which
  its containers do not have), and so do mount and its kin;
- the capability bounding set cut to Docker's default list (CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL,
  SETGID, SETUID, SETPCAP, NET_BIND_SERVICE, NET_RAW, SYS_CHROOT, MKNOD, AUDIT_WRITE, SETFCAP): after
  exec, root has no CAP_SYS_ADMIN, CAP_SYS_PTRACE or CAP_SYS_RESOURCE;
- no_new_privs is left off, as Docker leaves it unless asked.
bubblewrap fails in it ("No permissions to create a new namespace"), so `--isolation auto` falls back
to process mode. Only the layers a namespace-free container lacks are simulated: no new mount,
PID or network namespace is made (this tool could not make them in such a container either).
"""

import ctypes
import errno
import os
import subprocess
import sys

DOCKER_CAPS = {0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 27, 29, 31}  # capability numbers Docker keeps by default
PR_CAPBSET_DROP = 24
NAMESPACE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)
REFUSED = ("unshare", "setns", "mount", "umount2", "pivot_root", "open_tree", "move_mount", "fsopen", "fsmount",
           "fspick", "fsconfig", "mount_setattr")


def container_filter():
    import pyseccomp as sc
    f = sc.SyscallFilter(sc.ALLOW)
    f.set_attr(sc.Attr.CTL_NNP, 0)
    for name in REFUSED:
        f.add_rule(sc.ERRNO(errno.EPERM), name)
    for flag in NAMESPACE_FLAGS:
        f.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    return f


def last_cap():
    with open("/proc/sys/kernel/cap_last_cap") as f:
        return int(f.read())


def enter(seccomp_filter, top):
    """In the child: the filter first (loading it without no_new_privs needs CAP_SYS_ADMIN), then the caps."""
    seccomp_filter.load()
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    for cap in range(top + 1):
        if cap not in DOCKER_CAPS and prctl(PR_CAPBSET_DROP, ctypes.c_ulong(cap), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), f"nonamespace: cannot drop capability {cap} from the bounding set")


def run(argv, **kwargs):
    """subprocess.run(argv) inside the simulated container. Raises PermissionError unless root."""
    if os.geteuid() != 0:
        raise PermissionError("nonamespace: must run as root (it simulates a root process in a container)")
    f, top = container_filter(), last_cap()
    return subprocess.run(argv, preexec_fn=lambda: enter(f, top), **kwargs)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    return run(argv).returncode


if __name__ == "__main__":
    sys.exit(main())
