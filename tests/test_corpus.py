"""The grader gives every corpus submission the grade it must (slow: grades about 60 submissions).

One selftest run (2 at a time) feeds every test below. Needs MNIST_DIR (CI sets it).
"""

import shutil
import tempfile
from pathlib import Path

import pytest

from grader import corpus
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
