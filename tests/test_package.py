"""`grader package [PATH] [--out FILE]`: the student's work, zipped for submission, or refused with every reason."""

import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from grader.contract import MODULES
from grader.dist.kit import package
from grader.paths import REFERENCE_DIR

from conftest import ROOT, deep_folder


@pytest.fixture
def work(tmp_path):
    """A complete assignment folder: the reference's five modules and __init__.py."""
    folder = tmp_path / "assignment"
    folder.mkdir()
    for path in REFERENCE_DIR.glob("*.py"):
        shutil.copyfile(path, folder / path.name)
    return folder


def grader_package(*args, cwd=ROOT):
    proc = subprocess.run([sys.executable, "-m", "grader", "package", *map(str, args)], capture_output=True, text=True, cwd=cwd)
    return proc.returncode, proc.stdout, proc.stderr


def test_its_module_list_is_the_contracts():
    assert package.MODULES == MODULES


def test_it_packs_the_modules_under_assignment_and_says_what_it_packed(work, tmp_path):
    (work / "README.md").write_text("notes for the marker")
    (work / "__pycache__").mkdir()
    (work / "__pycache__" / "softmax.cpython-311.pyc").write_bytes(b"\0" * 10)
    status, out, err = grader_package(work, "--out", tmp_path / "alice.zip")
    assert status == 0, err
    with zipfile.ZipFile(tmp_path / "alice.zip") as z:
        names = sorted(z.namelist())
    assert names == sorted(["assignment/README.md", "assignment/__init__.py", *(f"assignment/{m}.py" for m in MODULES)])
    assert "packed 7 file(s)" in out and "assignment/softmax.py" in out


def test_a_folder_holding_assignment_is_packed_from_assignment(work, tmp_path):
    plan = package.plan(work.parent)
    assert plan.root == work


def test_a_missing_module_is_refused_by_name(work):
    (work / "optimizer.py").unlink()
    with pytest.raises(package.PackageError, match="lacks optimizer.py"):
        package.plan(work)


@pytest.mark.parametrize("make, reason", [
    (lambda w: os.symlink(w / "softmax.py", w / "helpers.py"), "helpers.py is a symlink"),
    (lambda w: os.symlink(w.parent, w / "linked"), "linked is a symlink"),
    (lambda w: (w / "weights.npy").write_bytes(b"\0" * 100), "weights.npy is neither a .py file"),
    (lambda w: (w / "notebook.ipynb").write_text("{}"), "notebook.ipynb is neither a .py file"),
    (lambda w: (w / "big.py").write_text("#" * (package.MAX_FILE_BYTES + 1)), "big.py is 1.0 MB, over the 1 MB limit"),
])
def test_what_does_not_belong_is_refused_with_its_reason(work, make, reason):
    make(work)
    with pytest.raises(package.PackageError, match=reason):
        package.plan(work)


def test_every_problem_is_listed_at_once_and_the_exit_status_is_2(work, tmp_path):
    (work / "perceptron.py").unlink()
    (work / "data.csv").write_text("1,2")
    status, out, err = grader_package(work, "--out", tmp_path / "x.zip")
    assert status == 2 and out == ""
    assert "lacks perceptron.py" in err and "data.csv" in err
    assert not (tmp_path / "x.zip").exists()


def test_a_path_that_is_not_a_folder_exits_2(tmp_path):
    status, _, err = grader_package(tmp_path / "nowhere")
    assert status == 2 and "is not a folder" in err


def test_the_zip_written_inside_the_folder_is_not_packed_into_itself(work):
    status, _, err = grader_package(work, "--out", work / "submission.zip")
    assert status == 0, err
    status, _, err = grader_package(work, "--out", work / "submission.zip")  # again: the old zip is not a stray file
    assert status == 0, err
    with zipfile.ZipFile(work / "submission.zip") as z:
        assert not any(n.endswith(".zip") for n in z.namelist())


def test_the_grader_accepts_what_package_writes(work, tmp_path):
    from grader.submission import cleanup, open_submission
    grader_package(work, "--out", tmp_path / "s.zip")
    submission = open_submission(tmp_path / "s.zip")
    try:
        assert submission.missing == () and sorted(submission.modules) == sorted(MODULES)
    finally:
        cleanup(submission)


def test_help_says_what_is_packed_and_refused():
    status, out, _ = grader_package("--help")
    assert status == 0 and "1 MB" in out and "--out FILE" in out and "symlink" in out


def test_folders_nested_1200_levels_deep_are_refused_not_a_recursion_error(work):
    with deep_folder(work, 1200):
        with pytest.raises(package.PackageError, match=f"holds folders more than {package.MAX_DEPTH} levels deep"):
            package.plan(work)


def test_folders_nested_as_deep_as_the_grader_takes_are_packed(work):
    with deep_folder(work, package.MAX_DEPTH, name="notes"):
        (work.joinpath(*["notes"] * package.MAX_DEPTH) / "notes.py").write_text("x = 1\n")
        names = [name for name, _, _ in package.plan(work).files]
        (work.joinpath(*["notes"] * package.MAX_DEPTH) / "notes.py").unlink()
    assert "assignment/" + "notes/" * package.MAX_DEPTH + "notes.py" in names


def test_a_name_that_is_not_utf8_is_refused_naming_it_a_zip_cannot_hold_it(work):
    (work / os.fsdecode(b"notes-\xff.py")).write_text("x = 1\n")
    with pytest.raises(package.PackageError, match=r"notes-\\xff.py has a name that is not UTF-8"):
        package.plan(work)
