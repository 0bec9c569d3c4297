"""The rule for tests that need the real MNIST files (tests/conftest.py).

A test marked `mnist` runs when the four files are found; without them it fails under CI
(CI=true), so that CI never passes without having run it, and is skipped elsewhere, the
run closing with one line that names the command that fetches the data.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from conftest import FETCH_MNIST, RECORD_ENV, ROOT, locate_mnist, mnist_places, mnist_policy
from grader.data.sources import FILES


@pytest.mark.parametrize("env, available, action", [
    ({}, True, "run"),
    ({"CI": "true"}, True, "run"),
    ({}, False, "skip"),
    ({"CI": ""}, False, "skip"),
    ({"CI": "false"}, False, "skip"),
    ({"CI": "0"}, False, "skip"),
    ({"CI": "true"}, False, "fail"),
    ({"CI": "1"}, False, "fail"),
])
def test_without_mnist_a_marked_test_fails_under_ci_and_is_skipped_elsewhere(env, available, action):
    assert mnist_policy(env, available) == action


def test_mnist_dir_when_set_is_the_only_place_looked(tmp_path):
    assert mnist_places({"MNIST_DIR": str(tmp_path)}) == [tmp_path]


def test_else_the_shared_folder_beside_the_project_then_the_user_cache():
    shared, cache = mnist_places({})
    assert shared == ROOT.parent / "shared" / "mnist"
    assert cache.parts[-2:] == ("dl-grader", "mnist")


def four_files(folder):
    folder.mkdir(parents=True)
    for f in FILES:
        (folder / f.name).write_bytes(b"")
    return folder


def test_the_first_place_holding_all_four_files_is_used(tmp_path):
    partial = four_files(tmp_path / "partial")
    (partial / FILES[0].name).unlink()
    full = four_files(tmp_path / "full")
    assert locate_mnist([tmp_path / "nowhere", partial, full]) == (full, "")


def test_when_none_holds_them_the_reason_names_every_place(tmp_path):
    folder, missing = locate_mnist([tmp_path / "a", tmp_path / "b"])
    assert folder == tmp_path / "a"
    assert missing == f"no MNIST found in {tmp_path / 'a'} or {tmp_path / 'b'}"


MARKED_TEST = '''
import pytest
from conftest import real_mnist_dir

@pytest.mark.mnist
def test_needs_mnist():
    real_mnist_dir()

def test_unmarked_needs_mnist():
    real_mnist_dir()

def test_plain():
    pass
'''


@pytest.fixture
def project(tmp_path):
    """A folder with this conftest and a test file: one marked mnist test, one unmarked user, one plain test."""
    shutil.copyfile(ROOT / "tests" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_example.py").write_text(textwrap.dedent(MARKED_TEST))
    return tmp_path


def pytest_in(folder, **env):
    environ = {k: v for k, v in os.environ.items() if k not in ("CI", "MNIST_DIR", "PYTEST_ADDOPTS", RECORD_ENV)}
    environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # the conftest alone: xdist, benchmark and hypothesis's plugins cost 2 s a run
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", "--rootdir", str(folder),
                           "-c", os.devnull, "-o", "markers=mnist: reads MNIST", str(folder)],
                          cwd=folder, env={**environ, **env}, capture_output=True, text=True, timeout=120)
    return proc.stdout


def test_a_run_without_mnist_skips_and_closes_with_the_line_that_says_how_to_get_it(project):
    out = pytest_in(project, MNIST_DIR=str(project / "empty"))
    assert "1 failed, 1 passed, 1 skipped" in out, out
    assert f"run `{FETCH_MNIST}` (or set MNIST_DIR) to run it" in out
    assert f"1 MNIST tests skipped: no MNIST found; run `{FETCH_MNIST}` (or set MNIST_DIR) to run them" in out
    assert "test_unmarked_needs_mnist reads the real MNIST files but is not marked: add @pytest.mark.mnist" in out


def test_a_ci_run_without_mnist_fails_the_marked_test_loudly(project):
    out = pytest_in(project, MNIST_DIR=str(project / "empty"), CI="true")
    assert "1 failed, 1 passed, 1 error" in out, out
    assert "CI must run the MNIST tests" in out
    assert "MNIST tests skipped" not in out


def test_a_run_with_mnist_runs_the_marked_test(project):
    four_files(project / "mnist")
    out = pytest_in(project, MNIST_DIR=str(project / "mnist"), CI="true")
    assert "1 failed, 2 passed" in out, out  # the unmarked user still fails: the marker is enforced


def test_when_dev_test_asks_a_run_appends_its_counts_and_time_as_one_json_line(project):
    record = project / "record.jsonl"
    pytest_in(project, MNIST_DIR=str(project / "empty"), **{RECORD_ENV: str(record)})
    pytest_in(project, MNIST_DIR=str(project / "empty"), **{RECORD_ENV: str(record)})
    runs = [json.loads(line) for line in record.read_text().splitlines()]
    assert len(runs) == 2
    assert {k: runs[0][k] for k in ("passed", "failed", "errors", "skipped", "mnist_skipped")} == \
        {"passed": 1, "failed": 1, "errors": 0, "skipped": 1, "mnist_skipped": 1}
    assert runs[0]["python"] == sys.version.split()[0] and runs[0]["seconds"] >= 0


def test_a_pytest_that_a_test_starts_never_adds_to_the_record_of_the_run_around_it(project, monkeypatch):
    record = project / "record.jsonl"
    monkeypatch.setenv(RECORD_ENV, str(record))  # as ./dev test sets it for the whole suite
    pytest_in(project, MNIST_DIR=str(project / "empty"))
    assert not record.exists()
