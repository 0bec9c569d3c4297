"""The hostile cases that attack the machine are contained when an ordinary user grades, too.

The CI run grades the whole corpus as root (the Gradescope case); here the cases that try to
escape (disarmed audit hooks, a TCP connection, a detached rewriter, files left in /tmp and
/dev/shm) are graded by `grader selftest` running as the unprivileged user `nobody`, from a
copy of the project that user can read. bwrap then works through unprivileged user namespaces.
"""

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import ROOT, real_mnist_dir
from grader import isolation

CASES = ("ctypes_disarm_hook", "tcp_exfil", "detached_rewriter", "leftover_files", "symlink_plant")


def nobody():
    try:
        entry = pwd.getpwnam("nobody")
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


@pytest.mark.slow
@pytest.mark.mnist
@pytest.mark.skipif(os.geteuid() != 0 or nobody() is None or not isolation.can_drop_privileges(sys.executable)
                    or isolation.bwrap_problem(sys.executable) is not None,
                    reason="needs root (to become `nobody`), an interpreter that user can run, and bubblewrap")
def test_the_escaping_hostile_cases_are_contained_when_an_ordinary_user_grades():
    uid, gid = nobody()
    home = Path(tempfile.mkdtemp(prefix="grader-as-user-"))
    try:
        project = home / "project"
        shutil.copytree(ROOT, project, ignore=shutil.ignore_patterns(".git", ".venv*", "reports", "__pycache__", ".pytest_cache"))
        for path in [home, *home.rglob("*")]:
            os.chown(path, uid, gid, follow_symlinks=False)
        args = [sys.executable, "-m", "grader", "selftest", "--kind", "hostile", "--jobs", "2", "--out", str(home / "out")]
        for case in CASES:
            args += ["--case", case]
        env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(home), "MNIST_DIR": str(real_mnist_dir()),
               "LANG": "C.UTF-8"}
        done = subprocess.run(args, cwd=project, env=env, user=uid, group=gid, extra_groups=[],
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
        assert f"hostile: {len(CASES)}/{len(CASES)} contained as expected" in done.stdout, done.stdout[-3000:]
    finally:
        shutil.rmtree(home, ignore_errors=True)
