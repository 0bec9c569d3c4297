"""A grading run stopped by SIGINT or SIGTERM in the middle of student code leaves nothing behind:
no sandbox folder, no dataset copy, no unpacked zip, no process, and it exits 130 or 143."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import ROOT
from grader import exits


@pytest.mark.slow  # waits on the OS or trains: the full suite runs it, the inner loop does not
@pytest.mark.parametrize("sig, status", [(signal.SIGINT, exits.INTERRUPTED), (signal.SIGTERM, exits.TERMINATED)],
                         ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_grading_removes_every_temporary_folder_and_process(sig, status):
    work = Path(tempfile.mkdtemp(prefix="grader-test-cleanup-"))
    os.chmod(work, 0o755)
    tmp = work / "tmp"
    tmp.mkdir(mode=0o755)
    try:
        submission = work / "slowpoke"
        shutil.copytree(ROOT / "reference", submission, ignore=shutil.ignore_patterns("__pycache__"))
        with open(submission / "activations.py", "a") as f:
            f.write("\nimport time as _t\n_real = sigmoid\n\ndef sigmoid(x):\n    _t.sleep(30)\n    return _real(x)\n")
        env = {**os.environ, "TMPDIR": str(tmp)}
        proc = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(submission), "--out", str(work / "out"),
                                 "--only", "activations.sigmoid*"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 30
            while not any(p.name.startswith("grader-sandbox-") for p in tmp.iterdir()) and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(1.0)  # the student's sigmoid is now sleeping inside the sandbox
            proc.send_signal(sig)
            _, err = proc.communicate(timeout=60)
        finally:
            proc.kill()
        assert proc.returncode == status, err
        assert list(tmp.iterdir()) == [], f"left behind: {[p.name for p in tmp.iterdir()]}"
        assert not (work / "out" / "results.json").exists(), "an interrupted grade must not write a result"
        leftovers = [p for p in os.listdir("/proc") if p.isdigit() and _cmdline_has(p, str(tmp).encode())]
        assert leftovers == [], "a sandbox process (bwrap names its folders on its command line) outlived the grader"
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _cmdline_has(pid, needle):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return needle in f.read()
    except OSError:
        return False
