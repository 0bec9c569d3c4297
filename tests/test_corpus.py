"""The grader gives every corpus submission the grade it must (slow: grades about 80 submissions).

One selftest run (2 at a time) feeds the tests below, as root in CI (the Gradescope case). The last
test grades the cases that try to escape or outlive grading again, with `grader selftest` running as
the unprivileged user `nobody` from a copy of the project that user can read: bwrap then works through
unprivileged user namespaces. It lives in this file so that xdist (whole files per worker) never runs
two selftests at once, whose stray scans and listeners would see each other's cases.
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
from grader import corpus, isolation
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
        result = selftest.run_corpus(CASES, jobs=2, out_dir=out, progress=lambda line: None)
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
    assert run.figures.catch_rate == 1.0, f"expected every bug caught, got {run.figures.caught}/{run.figures.bugs}; missed: {', '.join(missed)}"


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
        for case in AS_USER:
            args += ["--case", case]
        env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(home), "MNIST_DIR": str(real_mnist_dir()),
               "LANG": "C.UTF-8"}
        done = subprocess.run(args, cwd=project, env=env, user=uid, group=gid, extra_groups=[],
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
        assert f"hostile: {len(AS_USER)}/{len(AS_USER)} contained as expected" in done.stdout, done.stdout[-3000:]
    finally:
        shutil.rmtree(home, ignore_errors=True)
