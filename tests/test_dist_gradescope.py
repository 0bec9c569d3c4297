"""`grader dist gradescope`: autograder.zip in Gradescope's layout, secret, and never without a result.

Fast: what the zip holds and must not hold; the fresh secret seed; the scripts' syntax and modes;
run_autograder writing a zero-score result that says the autograder failed when grading cannot start.
Slow: the zip unpacked into a simulated /autograder (a mode-755 root, not pytest's mode-700 tmp_path,
since the sandbox's uid must traverse it): setup.sh's check mode, a graded corpus case whose score
agrees with `grader grade` under the same secret rubric, and a hostile submission, graded with the
process fallback, that fails to read the solution or the rubric and to write into the results.
"""

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from grader import corpus, dist_gradescope
from grader.paths import REFERENCE_DIR, RUBRIC_FILE
from grader.rubric import load_rubric

from conftest import ROOT, real_mnist_dir

CORPUS_RUBRIC = ROOT / "tests" / "corpus" / "rubric.toml"
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """The autograder.zip built from the default rubric, and its folder."""
    out = tmp_path_factory.mktemp("gradescope")
    return dist_gradescope.build(out)


def members(zip_path):
    with zipfile.ZipFile(zip_path) as archive:
        return {info.filename: info for info in archive.infolist()}


def read(zip_path, name):
    with zipfile.ZipFile(zip_path) as archive:
        return archive.read(name).decode("utf-8")


def gradescope_problems(doc):
    """What in doc breaks Gradescope's results.json specification (empty when nothing does)."""
    problems = []
    if not isinstance(doc, dict):
        return ["not a JSON object"]
    if "score" not in doc and "tests" not in doc:
        problems.append("neither score nor tests")
    if "score" in doc and not isinstance(doc["score"], (int, float)):
        problems.append(f"score {doc['score']!r}")
    for key, kind in (("execution_time", (int, float)), ("output", str)):
        if not isinstance(doc.get(key), kind):
            problems.append(f"{key} {doc.get(key)!r}")
    for key in ("visibility", "stdout_visibility"):
        if doc.get(key) not in VISIBILITIES:
            problems.append(f"{key} {doc.get(key)!r}")
    for test in doc.get("tests", []):
        if not isinstance(test.get("name"), str) or not isinstance(test.get("output"), str):
            problems.append(f"test name or output: {test!r:.80}")
        if not all(isinstance(test.get(k), (int, float)) for k in ("score", "max_score")):
            problems.append(f"test score or max_score: {test.get('name')}")
        if test.get("status") not in ("passed", "failed") or test.get("visibility") not in VISIBILITIES:
            problems.append(f"test status or visibility: {test.get('name')}")
    return problems


# -- what the zip holds ----------------------------------------------------------------


def test_the_zip_holds_the_scripts_the_grader_the_reference_and_the_rubric_at_its_root(bundle):
    names = members(bundle)
    for name in ("setup.sh", "run_autograder", "rubric.toml", "pyproject.toml", "grader/__main__.py",
                 "grader/rubric.toml", "grader/harness/__init__.py"):
        assert name in names, name
    for path in REFERENCE_DIR.glob("*.py"):
        assert f"reference/{path.name}" in names
    assert {name.split("/")[0] for name in names} <= {"setup.sh", "run_autograder", "rubric.toml", "pyproject.toml",
                                                      "README.md", "grader", "reference"}


def test_the_zip_holds_no_tests_no_git_no_corpus_and_no_caches(bundle):
    for name in members(bundle):
        parts = name.split("/")
        assert not {"tests", ".git", "corpus", "__pycache__", "assignment", "reports"} & set(parts), name
        assert not name.endswith((".pyc", ".zip")), name


def test_the_rubric_has_a_fresh_256_bit_seed_that_is_not_the_public_one(bundle, tmp_path):
    """Is the deployed seed 256 bits from `secrets`, written as a hex string (TOML integers stop at 64 bits),
    and read back as a strong seed, so that no machine key is mixed in and regrades elsewhere agree?"""
    (tmp_path / "rubric.toml").write_text(read(bundle, "rubric.toml"))
    secret = load_rubric(tmp_path / "rubric.toml")
    public = load_rubric(RUBRIC_FILE)
    assert isinstance(secret.seed, int) and not isinstance(secret.seed, bool)
    assert secret.seed != public.seed
    assert secret.strong_seed and not public.strong_seed
    assert re.search(r'^seed = "0x[0-9a-f]{64}"', read(bundle, "rubric.toml"), re.MULTILINE)
    assert secret.seed.bit_length() > 200  # 256 random bits: below 2**200 with probability 2**-56
    assert secret.groups == public.groups and secret.total == public.total  # only the seed differs
    kept = bundle.parent / "rubric.toml"
    assert kept.read_text() == read(bundle, "rubric.toml")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and stat.S_IMODE(bundle.stat().st_mode) == 0o600


def test_two_builds_draw_two_seeds(tmp_path):
    seeds = {load_rubric(dist_gradescope.build(tmp_path / str(i)).parent / "rubric.toml").seed for i in range(2)}
    assert len(seeds) == 2


def test_a_second_build_into_the_same_folder_is_refused(bundle):
    """Is an existing autograder.zip (whose seed may be deployed) kept rather than silently reseeded?"""
    with pytest.raises(dist_gradescope.GradescopeError, match="exists"):
        dist_gradescope.build(bundle.parent)


def test_scripts_are_executable_and_parse(bundle, tmp_path):
    names = members(bundle)
    for script in ("setup.sh", "run_autograder"):
        assert (names[script].external_attr >> 16) & 0o111 == 0o111, script
        path = tmp_path / script
        path.write_text(read(bundle, script))
        assert read(bundle, script).startswith("#!/usr/bin/env bash\n")
        done = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    assert (names["rubric.toml"].external_attr >> 16) & 0o077 == 0


def test_setup_installs_bubblewrap_python_and_the_bundled_grader_non_editable(bundle):
    setup = read(bundle, "setup.sh")
    assert "apt-get install -y bubblewrap libseccomp2 python3 python3-venv python3-pip" in setup  # libseccomp2: process mode's filter
    assert "pip\" install --no-cache-dir \"$build\"" in setup and "-e " not in setup


def shim(folder, name, text):
    """An executable script folder/name (a stand-in for a system command on PATH)."""
    folder.mkdir(exist_ok=True)
    (folder / name).write_text("#!/bin/sh\n" + text)
    (folder / name).chmod(0o755)


def test_setup_stops_with_a_clear_message_when_the_images_python_is_too_old(bundle, tmp_path):
    """Is an old base image (python3 < 3.10) named in setup.sh's error, before pip fails on requires-python?"""
    shim(tmp_path / "bin", "apt-get", 'echo "apt-get $*" >> "$SHIM_LOG"\n')
    shim(tmp_path / "bin", "python3", '[ "$1" = --version ] && echo "Python 3.8.10"; exit 1\n')
    (tmp_path / "root" / "source").mkdir(parents=True)
    (tmp_path / "setup.sh").write_text(read(bundle, "setup.sh"))
    environ = {**os.environ, "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}", "AUTOGRADER_ROOT": str(tmp_path / "root"),
               "SHIM_LOG": str(tmp_path / "apt.log")}
    done = subprocess.run(["bash", str(tmp_path / "setup.sh")], capture_output=True, text=True, env=environ, timeout=60)
    assert done.returncode == 1
    assert "python3 is Python 3.8.10; the grader needs 3.10 or newer" in done.stderr
    assert "install -y bubblewrap" in (tmp_path / "apt.log").read_text() and not (tmp_path / "root" / "venv").exists()


def test_setup_check_asks_the_grader_itself_to_import(bundle, tmp_path):
    """A python with numpy and tabulate but without the grader's other imports is reported missing."""
    root = tmp_path / "root"
    (root / "source" / "grader").mkdir(parents=True)
    (root / "source" / "grader" / "__init__.py").write_text("")
    (root / "source" / "grader" / "cli.py").write_text("import tomli_that_is_missing\n")
    (tmp_path / "setup.sh").write_text(read(bundle, "setup.sh"))
    environ = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable, "AUTOGRADER_SETUP_CHECK": "1",
               "PATH": f"{tmp_path / 'empty'}{os.pathsep}/usr/bin:/bin"}
    done = subprocess.run(["bash", str(tmp_path / "setup.sh")], capture_output=True, text=True, env=environ, timeout=60)
    assert done.returncode == 1 and "imports the grader" in done.stdout and "MISSING" in done.stdout


def test_the_cli_builds_it_and_says_it_is_secret(tmp_path):
    done = subprocess.run([sys.executable, "-m", "grader", "dist", "gradescope", "--out", str(tmp_path / "gs")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "gs" / "autograder.zip").is_file()
    assert "SECRET" in done.stderr and str(tmp_path / "gs" / "rubric.toml") in done.stderr


# -- the simulated /autograder -----------------------------------------------------------


def unpack(zip_path):
    """A fresh root R (mode 755) with the zip in R/source, as Gradescope lays it out."""
    root = Path(tempfile.mkdtemp(prefix="autograder-", dir="/tmp"))  # /tmp: where the hostile case looks
    os.chmod(root, 0o755)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
        for info in archive.infolist():  # extractall drops the modes
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777)
    return root


def run_autograder(root, **env):
    environ = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable, **env}
    return subprocess.run([shutil.which("bash"), str(root / "source" / "run_autograder")], capture_output=True, text=True,
                          env=environ, timeout=600)


def results_of(root):
    return json.loads((root / "results" / "results.json").read_text())


def test_a_submission_that_cannot_be_graded_still_gets_a_zero_that_says_the_autograder_failed(bundle):
    root = unpack(bundle)
    try:  # no submission folder at all: the grader refuses the path (exit 2) before any student code
        done = run_autograder(root, AUTOGRADER_ISOLATION="auto")
        assert done.returncode == 0, done.stderr
        doc = results_of(root)
        assert gradescope_problems(doc) == []
        assert doc["score"] == 0 and "autograder failed" in doc["output"] and "exit status 2" in doc["output"]
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_without_any_python_the_result_is_still_written(bundle):
    root = unpack(bundle)
    bin_dir = root / "bin"  # only the shell tools run_autograder needs: no python3 on PATH
    bin_dir.mkdir()
    for tool in ("chmod", "mkdir", "rm", "mktemp", "tee", "mv", "cat"):
        os.symlink(shutil.which(tool), bin_dir / tool)
    try:
        done = run_autograder(root, PATH=str(bin_dir), AUTOGRADER_PYTHON="/nonexistent/python")
        assert done.returncode == 0, done.stderr
        doc = results_of(root)
        assert gradescope_problems(doc) == [] and doc["score"] == 0 and "autograder failed" in doc["output"]
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def corpus_bundle(tmp_path_factory):
    """autograder.zip built from the corpus rubric (its short time budgets), with a fresh seed."""
    return dist_gradescope.build(tmp_path_factory.mktemp("gradescope-corpus"), CORPUS_RUBRIC)


def setup_check(root):
    environ = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable,
               "AUTOGRADER_SETUP_CHECK": "1"}
    done = subprocess.run(["bash", str(root / "source" / "setup.sh")], capture_output=True, text=True, env=environ,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "apt-get and pip skipped" in done.stdout and "bwrap:" in done.stdout
    return done.stdout


@pytest.mark.slow
@pytest.mark.mnist
def test_a_graded_case_in_the_gradescope_layout_scores_what_grader_grade_gives(corpus_bundle):
    mnist = str(real_mnist_dir())
    case = corpus.load_case(corpus.CORPUS_DIR / "bugs" / "accuracy_percentage", "bugs")
    root = unpack(corpus_bundle)
    try:
        setup_check(root)
        corpus.materialize(case, root / "submission")
        done = run_autograder(root, MNIST_DIR=mnist)
        assert done.returncode == 0, done.stderr
        assert f"grader from {root}/source/grader" in done.stdout  # the bundle's grader, not this checkout's
        doc = results_of(root)
        assert gradescope_problems(doc) == []
        assert doc["visibility"] == "visible" and doc["stdout_visibility"] == "hidden"
        assert stat.S_IMODE((root / "source" / "reference").stat().st_mode) == 0o700
        assert stat.S_IMODE((root / "source" / "rubric.toml").stat().st_mode) == 0o600
        assert stat.S_IMODE((root / "results").stat().st_mode) & 0o022 == 0

        # the same submission, graded by this checkout with the bundle's secret rubric
        rubric = corpus_bundle.parent / "rubric.toml"
        out = root / "direct"
        direct = subprocess.run([sys.executable, "-m", "grader", "grade", str(root / "submission"), "--out", str(out),
                                 "--rubric", str(rubric), "--isolation", doc["isolation"], "--quiet"],
                                cwd=ROOT, capture_output=True, text=True, env={**os.environ, "MNIST_DIR": mnist},
                                timeout=600)
        assert direct.returncode == 0, direct.stderr
        expected = json.loads((out / "results.json").read_text())
        assert doc["score"] == expected["score"] < 100  # the case loses points, the same ones both ways
        assert [(t["name"], t["score"]) for t in doc["tests"]] == [(t["name"], t["score"]) for t in expected["tests"]]
    finally:
        shutil.rmtree(root, ignore_errors=True)


# Appended to the corpus case that switches the audit hooks off (ctypes.memmove), so that only the
# operating system (the private uid, the modes run_autograder sets) stands between it and the files.
DISARM = corpus.CORPUS_DIR / "hostile" / "ctypes_disarm_hook" / "perceptron.py"
HOSTILE = '''
import glob, os
_said = []
_root = "__ROOT__"  # the paths themselves too: under Landlock, a glob of /tmp finds nothing to try
for _secret in sorted(set(glob.glob("/tmp/*/source/rubric.toml") + glob.glob("/tmp/*/source/reference/*.py")
                          + [_root + "/source/rubric.toml", _root + "/source/reference/perceptron.py"])):
    try:
        with open(_secret) as _f:
            _said.append("READ-SECRET " + _secret + " " + str(len(_f.read())))
    except Exception as _exc:
        _said.append("refused read " + _secret + ": " + repr(_exc))
for _results in set(glob.glob("/tmp/*/results") + glob.glob("/tmp/*/*/results") + glob.glob("/autograder/results") + [_root + "/results"]):
    try:
        with open(os.path.join(_results, "results.json"), "w") as _f:
            _f.write('{"score": 1000, "output": "FORGED-BY-STUDENT"}')
        _said.append("WROTE-RESULTS " + _results)
    except Exception as _exc:
        _said.append("refused write " + _results + ": " + repr(_exc))
print("\\n".join(_said) or "found nothing")
'''


@pytest.mark.slow
@pytest.mark.mnist
def test_a_hostile_submission_under_the_process_fallback_reads_no_secret_and_forges_no_result(corpus_bundle):
    """Namespaces refused (forced here): does the student's uid still fail to read the solution and the
    rubric, and to write a results.json of its own?"""
    root = unpack(corpus_bundle)
    try:
        setup_check(root)
        sub = corpus.materialize(corpus.REFERENCE_CASE, root / "submission")
        attack = DISARM.read_text()
        search = 'for repo in _project_dirs(guesses=("/work/main", "/autograder/source")):'
        assert "PORT = 47812" in attack and attack.count(search) == 1
        # Port 9 (nothing listens): the corpus run, maybe in parallel, listens on the case's own port 47812.
        # Only the bundle: this machine's own checkout is world-readable (a CI clone), which no Gradescope
        # container has and which the process fallback, without a mount namespace, cannot hide.
        bundle_only = f"for repo in [r for r in _project_dirs(guesses=({str(root / 'source')!r},)) if r.startswith({str(root)!r})]:"
        attack = attack.replace("PORT = 47812", "PORT = 9").replace(search, bundle_only)
        (sub / "perceptron.py").write_text(attack + HOSTILE.replace("__ROOT__", str(root)))
        done = run_autograder(root, MNIST_DIR=str(real_mnist_dir()), AUTOGRADER_ISOLATION="process")
        assert done.returncode == 0, done.stderr
        doc = results_of(root)
        assert gradescope_problems(doc) == []
        assert doc["isolation"] == "process" and "FORGED" not in json.dumps(doc) and doc["score"] <= 100
        assert "ran with process isolation" in doc["output"] and "could open neither the reference" in doc["output"]
        assert doc["isolation_layers"]["mode"] == "process" and doc["isolation_layers"]["uid_separation"] is True
        said = (root / "results" / "student_output.txt").read_text()
        assert "disarmed" in said.lower() or "hook" in said.lower(), said  # the hooks were off: the OS refused
        assert "refused write" in said and "PermissionError" in said, said  # it found the results, and was refused
        assert "refused read" in said, said
        assert f"_read_file({root}/source): PermissionError" in said, said  # it found the bundle's reference/
        assert "got the solution" not in said, said
        assert "WROTE-RESULTS" not in said and "READ-SECRET" not in said, said
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_dist_secret_rubric_writes_a_strong_seed_once_with_mode_600(tmp_path):
    """Does `grader dist secret-rubric` (for grade-class after a Classroom deadline) write the course rubric with a
    fresh 256-bit seed, mode 600, and refuse to overwrite one that may already have graded?"""
    out = tmp_path / "secret-rubric.toml"
    done = subprocess.run([sys.executable, "-m", "grader", "dist", "secret-rubric", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    secret, public = load_rubric(out), load_rubric(RUBRIC_FILE)
    assert secret.strong_seed and secret.seed != public.seed and secret.groups == public.groups
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    again = subprocess.run([sys.executable, "-m", "grader", "dist", "secret-rubric", "--out", str(out)], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "exists" in again.stderr and load_rubric(out).seed == secret.seed
