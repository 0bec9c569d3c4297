"""Submissions are copied in safely, and a grader that cannot run the reference says so.

A symlink, device, pipe or socket anywhere in a submission (folder or zip) is
refused with a message naming it. Before any student code runs, the reference
must import and compute one value in the exact sandbox grading will use; when it
cannot (a private TMPDIR, a missing interpreter), grading stops with exit 3 and
the cause, and no student result is written.
"""

import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, deep_folder
from grader import exits
from grader.cli import main as cli_main
from grader.contract import MODULES
from grader.pipeline import GraderFault, canary
from grader.sandbox import Limits, Sandbox, can_drop_privileges
from grader.submission import MAX_DEPTH, SubmissionError, open_submission

REFERENCE = {m: ROOT / "reference" / f"{m}.py" for m in ("activations",)}


def copy_reference(folder):
    shutil.copytree(ROOT / "reference", folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


@pytest.mark.parametrize("case, make", [
    ("a symlinked assignment folder", lambda d: os.symlink(ROOT / "reference", d / "assignment")),
    ("a symlinked module", lambda d: (os.remove(d / "softmax.py"), os.symlink(ROOT / "reference" / "softmax.py", d / "softmax.py"))),
    ("a symlink deep inside", lambda d: (os.makedirs(d / "a" / "b"), os.symlink("/etc/passwd", d / "a" / "b" / "x"))),
    ("a named pipe", lambda d: os.mkfifo(d / "fifo")),
])
def test_a_submission_with_a_link_or_special_file_is_refused_naming_it(tmp_path, case, make):
    folder = copy_reference(tmp_path / "alice")
    make(folder)
    with pytest.raises(SubmissionError, match="symbolic link|special file"):
        open_submission(folder)


def test_a_socket_in_a_submission_is_refused(tmp_path):
    folder = copy_reference(tmp_path / "alice")
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(folder / "sock"))
        with pytest.raises(SubmissionError, match="special file"):
            open_submission(folder)
    finally:
        sock.close()


def test_a_zip_member_that_is_a_symlink_is_refused(tmp_path):
    path = tmp_path / "alice.zip"
    with zipfile.ZipFile(path, "w") as z:
        info = zipfile.ZipInfo("assignment")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(info, "../../reference")
    with pytest.raises(SubmissionError, match="symbolic link"):
        open_submission(path)


def test_the_symlinked_assignment_attack_gets_nothing_from_the_command_line(tmp_path):
    """`assignment -> <repo>/reference` once scored 100/100 with no code at all: now a usage error, exit 2."""
    folder = tmp_path / "mallory"
    folder.mkdir()
    os.symlink(ROOT / "reference", folder / "assignment")
    done = subprocess.run([sys.executable, "-m", "grader", "grade", str(folder), "--out", str(tmp_path / "out")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == exits.USAGE, done.stderr
    assert "assignment is a symbolic link" in done.stderr
    assert not (tmp_path / "out" / "results.json").exists()


def test_the_canary_passes_in_a_working_sandbox():
    with Sandbox(REFERENCE, Limits(import_timeout=10)) as box:
        canary(box)


def test_a_missing_interpreter_is_the_graders_fault_not_the_students():
    with Sandbox(REFERENCE, Limits(import_timeout=5), python="/nonexistent/python3", isolation_mode="process") as box:
        with pytest.raises((GraderFault, OSError)):
            canary(box)


@pytest.mark.skipif(os.geteuid() != 0 or not can_drop_privileges(sys.executable),
                    reason="only a root grader drops student code to a uid that a private TMPDIR locks out")
def test_a_private_tmpdir_stops_grading_with_exit_3_and_the_cause(tmp_path):
    """As root with TMPDIR mode 700, the sandbox's uid cannot reach its folder: the grader says so, charges nobody."""
    private = Path(tempfile.mkdtemp(prefix="grader-private-"))
    os.chmod(private, 0o700)
    out = Path(tempfile.mkdtemp(prefix="grader-out-"))
    try:
        env = {**os.environ, "TMPDIR": str(private)}
        done = subprocess.run([sys.executable, "-m", "grader", "grade", str(ROOT / "reference"), "--out", str(out),
                               "--only", "activations.relu*"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == exits.FAULT, done.stderr
        assert "cannot read" in done.stderr and "mode 700" in done.stderr, done.stderr
        assert not (out / "results.json").exists(), "no student result may be written for a grader fault"
        assert list(private.iterdir()) == [], "temporary folders were left behind"
    finally:
        shutil.rmtree(private, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)


@pytest.mark.slow
def test_pip_install_never_ships_the_solution_or_the_tests(tmp_path):
    """`pip install .` installs the grader only: not reference/, tests/, the corpus or the skeleton package."""
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert not {"reference", "tests", "assignment"} & tops, sorted(tops)
    assert not [n for n in names if "corpus/" in n], "no corpus case ships"
    assert "grader/harness/probes.py" in names


# -- any file name, any depth: graded or refused, never a grader fault -----------------------------------------


def test_a_folder_nested_1200_levels_deep_is_refused_saying_so_not_with_a_recursion_error(tmp_path):
    folder = copy_reference(tmp_path / "alice")
    with deep_folder(folder, 1200):
        with pytest.raises(SubmissionError, match=f"alice: d/d/.*lies more than {MAX_DEPTH} folders deep"):
            open_submission(folder)


def test_a_folder_nested_as_deep_as_allowed_is_graded(tmp_path):
    folder = copy_reference(tmp_path / "alice")
    with deep_folder(folder, MAX_DEPTH):
        assert set(open_submission(folder).modules) == set(MODULES)


def test_a_zip_member_1200_levels_deep_is_refused_before_anything_is_unpacked(tmp_path):
    path = tmp_path / "alice.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("softmax.py", "# code\n")
        z.writestr("d/" * 1200 + "x.txt", "x")
    with pytest.raises(SubmissionError, match=f"lies more than {MAX_DEPTH} folders deep"):
        open_submission(path, tmp_path / "work")
    assert not (tmp_path / "work").exists()


@pytest.mark.slow  # a whole grade over 1200 folders; open_submission's refusal is in the fast loop (above)
def test_grade_exits_2_on_a_folder_nested_too_deep_and_says_why(tmp_path, capsys):
    folder = copy_reference(tmp_path / "alice")
    with deep_folder(folder, 1200):
        status = cli_main(["grade", str(folder), "--out", str(tmp_path / "out"), "--isolation", "process", "--quiet"])
    assert status == exits.USAGE
    assert "folders deep" in capsys.readouterr().err


def test_a_file_name_that_is_not_utf8_is_graded_like_any_other_file(tmp_path):
    folder = copy_reference(tmp_path / "alice")
    (folder / os.fsdecode(b"notes-\xff.txt")).write_text("x")
    assert set(open_submission(folder).modules) == set(MODULES)


def test_a_refusal_names_a_non_utf8_file_in_text_any_report_can_hold(tmp_path):
    folder = copy_reference(tmp_path / "alice")
    os.symlink("/etc/passwd", folder / os.fsdecode(b"link-\xff"))
    with pytest.raises(SubmissionError) as refused:
        open_submission(folder)
    assert "link-\\xff is a symbolic link" in str(refused.value)
    str(refused.value).encode("utf-8")  # no lone surrogate left: it can be written to any file
