"""The grader gives every corpus submission the grade it must (slow: grades about 80 submissions).

One selftest run (2 at a time) feeds the tests below, as root in CI (the Gradescope case). Then the
hostile cases are graded again in the other places grading runs: in process mode (`--isolation
process`) as root, as in a container that refuses namespaces, and in process mode as the unprivileged
user `nobody`. The cases that try to escape or outlive grading are also graded under bwrap as `nobody`,
from a copy of the project that user can read: bwrap then works through unprivileged user namespaces.
All of it lives in this file so that xdist (whole files per worker) never runs two selftests at once,
whose stray scans and listeners would see each other's cases.
"""

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import ROOT, real_mnist_dir
from grader import corpus, isolation, syscall_filter
from grader.commands import selftest

pytestmark = pytest.mark.slow

CASES = corpus.load_cases()
BUGS = [c for c in CASES if c.kind == "bugs"]
ALTERNATIVES = [c for c in CASES if c.kind == "alternatives"]
HOSTILE = [c for c in CASES if c.kind == "hostile"]


@pytest.fixture(scope="session")
def run():
    out = Path(tempfile.mkdtemp(prefix="corpus-selftest-"))  # not under pytest's basetemp, which other runs may prune
    try:
        result = selftest.run_corpus(CASES, jobs=2, out_dir=out, progress=lambda line: None, focus=True)  # hostile: focused
        assert result is not None, "the reference itself could not be graded: is `grader grade` working?"
        yield result
    finally:
        shutil.rmtree(out, ignore_errors=True)


@pytest.fixture(scope="session")
def outcomes(run):
    return {o.case: o for o in run.outcomes}


def explain(case, outcome):
    return f"{case.label} ({case.description}): expected {outcome.expected}; got {outcome.actual}:\n  " + "\n  ".join(outcome.problems)


def test_the_reference_scores_full_marks(run):
    assert run.reference.ok and run.reference.full_marks, f"reference: got {run.reference.actual}: {run.reference.problems}"


@pytest.mark.parametrize("case", BUGS, ids=lambda c: f"{c.name}: caught in {'+'.join(c.fails)}, costs nothing else")
def test_bug_is_caught_in_its_areas_and_costs_nothing_else(case, outcomes):
    outcome = outcomes[case.name]
    assert outcome.ok, explain(case, outcome)


@pytest.mark.parametrize("case", ALTERNATIVES, ids=lambda c: f"{c.name}: full marks")
def test_alternative_scores_full_marks(case, outcomes):
    outcome = outcomes[case.name]
    assert outcome.ok and outcome.full_marks, explain(case, outcome)


@pytest.mark.parametrize("case", HOSTILE, ids=lambda c: f"{c.name}: contained within {c.max_seconds:g} s" if c.max_seconds else c.name)
def test_hostile_is_contained_leaves_no_stray_process_and_no_forged_results(case, outcomes):
    outcome = outcomes[case.name]
    assert outcome.ok, explain(case, outcome)


def test_catch_rate_is_100_percent(run):
    missed = [o.case for o in run.outcomes if o.kind == "bugs" and not o.caught]
    assert run.figures.catch_rate == 1.0, (f"expected every bug caught, got {run.figures.caught}/{run.figures.bugs}; "
                                           f"missed: {', '.join(missed)}")


def test_no_false_alarms(run):
    assert run.figures.false_alarms == (), f"expected no alternative to lose points, got: {', '.join(run.figures.false_alarms)}"


# test_isolation.py covers the attacks of the cases with a `listen` port as an ordinary user (hooks off,
# a connection to its own listener); these are the ones that try to outlive grading or to make it stall.
AS_USER = ("detached_rewriter", "leftover_files", "symlink_plant", "bad_comm", "progress_flood")


def nobody():
    try:
        entry = pwd.getpwnam("nobody")
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


def readable_copy(home, uid, gid):
    """home/project: a copy of the project (no .git, venvs or reports), home and all of it owned by uid:gid."""
    project = home / "project"
    shutil.copytree(ROOT, project, ignore=shutil.ignore_patterns(".git", ".venv*", "reports", "__pycache__", ".pytest_cache"))
    for path in [home, *home.rglob("*")]:
        os.chown(path, uid, gid, follow_symlinks=False)
    return project


def user_env(home):
    """The environment of a selftest run as `nobody`: a bare PATH, HOME and TMPDIR in home, the real MNIST."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(home), "MNIST_DIR": str(real_mnist_dir()), "LANG": "C.UTF-8"}


@pytest.mark.slow
@pytest.mark.mnist
@pytest.mark.skipif(os.geteuid() != 0 or nobody() is None or not isolation.can_drop_privileges(sys.executable)
                    or isolation.bwrap_problem(sys.executable) is not None,
                    reason="needs root (to become `nobody`), an interpreter that user can run, and bubblewrap")
def test_the_escaping_hostile_cases_are_contained_when_an_ordinary_user_grades():
    uid, gid = nobody()
    home = Path(tempfile.mkdtemp(prefix="grader-as-user-"))
    try:
        project = readable_copy(home, uid, gid)
        args = [sys.executable, "-m", "grader", "selftest", "--kind", "hostile", "--jobs", "2", "--out", str(home / "out")]
        for case in AS_USER:
            args += ["--case", case]
        done = subprocess.run(args, cwd=project, env=user_env(home), user=uid, group=gid, extra_groups=[],
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
        assert f"hostile: {len(AS_USER)}/{len(AS_USER)} contained as expected" in done.stdout, done.stdout[-3000:]
    finally:
        shutil.rmtree(home, ignore_errors=True)


# -- the hostile cases in process mode: as root (a container that refuses namespaces) and as an ordinary user --


def explain_json(name, outcome):
    return f"hostile/{name} ({outcome['isolation']}): expected {outcome['expected']}; got {outcome['actual']}:\n  " + \
        "\n  ".join(outcome["problems"])


def clear_leftovers(cases):
    """Remove what a case that was not contained left at the corpus's own `untouched` paths in the machine's shared
    folders (/tmp/grader-*, /dev/shm/grader-*): a file left by an earlier run, owned by another uid, would hide the
    next run's attempt to write it. Nobody else's file is touched (not /tmp/results.json, say)."""
    for case in cases:
        for path in map(Path, case.untouched):
            if str(path.parent) in ("/tmp", "/dev/shm") and path.name.startswith("grader-") and not path.is_dir():
                path.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def process_mode_as_root():
    """{case: outcome dict from corpus.json} of every hostile case graded with --isolation process by `grader
    selftest` running as root inside a simulated Docker container (tools/nonamespace.py: no new namespaces, Docker's
    default capabilities), Gradescope's case."""
    out = Path(tempfile.mkdtemp(prefix="corpus-process-root-"))
    clear_leftovers(HOSTILE)
    try:
        args = [sys.executable, "-m", "tools.nonamespace", "--", sys.executable, "-m", "grader", "selftest", "--kind",
                "hostile", "--isolation", "process", "--focus", "--jobs", "2", "--out", str(out)]
        done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=3600)
        report = out / "corpus.json"
        assert report.is_file(), "selftest in the container wrote no corpus.json:\n" + done.stdout[-3000:] + done.stderr[-2000:]
        doc = json.loads(report.read_text())
        assert doc["reference"]["ok"] and doc["reference"]["isolation"] == "process", doc["reference"]
        yield {o["case"]: o for o in doc["outcomes"]}
    finally:
        clear_leftovers(HOSTILE)
        shutil.rmtree(out, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0 or syscall_filter.problem() is not None,
                    reason="grades as root under a seccomp profile, as a container that refuses namespaces does")
@pytest.mark.parametrize("case", HOSTILE, ids=lambda c: f"{c.name}: contained in process mode as root in a container")
def test_hostile_is_contained_in_process_mode_as_root_in_a_container(case, process_mode_as_root):
    outcome = process_mode_as_root[case.name]
    assert outcome["isolation"] == "process", f"{case.name} was graded in {outcome['isolation']}, not process mode"
    assert outcome["ok"], explain_json(case.name, outcome)


@pytest.fixture(scope="session")
def process_mode_as_user():
    """{case: outcome dict from corpus.json} of every hostile case graded with --isolation process by
    `grader selftest` running as `nobody`, from a copy of the project that user can read."""
    uid, gid = nobody()
    home = Path(tempfile.mkdtemp(prefix="grader-process-as-user-"))
    clear_leftovers(HOSTILE)
    try:
        project = readable_copy(home, uid, gid)
        args = [sys.executable, "-m", "grader", "selftest", "--kind", "hostile", "--isolation", "process", "--focus",
                "--jobs", "2", "--out", str(home / "out")]
        done = subprocess.run(args, cwd=project, env=user_env(home), user=uid, group=gid, extra_groups=[],
                              capture_output=True, text=True, timeout=3600)
        report = home / "out" / "corpus.json"
        assert report.is_file(), "selftest as nobody wrote no corpus.json:\n" + done.stdout[-3000:] + done.stderr[-2000:]
        doc = json.loads(report.read_text())
        assert doc["reference"]["ok"] and doc["reference"]["isolation"] == "process", doc["reference"]
        yield {o["case"]: o for o in doc["outcomes"]}
    finally:
        clear_leftovers(HOSTILE)
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.mnist
@pytest.mark.skipif(os.geteuid() != 0 or nobody() is None or not isolation.can_drop_privileges(sys.executable),
                    reason="needs root (to become `nobody`) and an interpreter that user can run")
@pytest.mark.parametrize("case", HOSTILE, ids=lambda c: f"{c.name}: contained in process mode as an ordinary user")
def test_hostile_is_contained_in_process_mode_as_an_ordinary_user(case, process_mode_as_user):
    outcome = process_mode_as_user[case.name]
    assert outcome["isolation"] == "process", f"{case.name} was graded in {outcome['isolation']}, not process mode"
    assert outcome["ok"], explain_json(case.name, outcome)
