"""A grade ends within its time budget, however slow or stuck the submission, and says what it left out.

Small budgets and 1 s timeouts keep these fast; the corpus (tests/corpus/*/stuck_*,
bugs/triple_loop_forward) shows the same on whole submissions with the default budget.
"""

import json
import shutil
import time

import pytest

from conftest import ROOT
from grader import exits, pipeline, report
from grader.budget import MARGIN_S
from grader.paths import RUBRIC_FILE
from grader.rubric import RubricError, load_rubric, parse_rubric
from grader import toml
from test_grade_command import grader

EVERY_ACTIVATION_STUCK = '''
import numpy as np


def _forever(x):
    while True:
        pass


sigmoid = sigmoid_grad = relu = relu_grad = _forever
'''


def quick_rubric(budget_s=240):
    """The default rubric with 1 s calls, so that four stuck functions take four seconds."""
    doc = toml.loads(RUBRIC_FILE.read_text())
    doc["defaults"]["timeout"] = 1
    doc["budget_s"] = budget_s
    return parse_rubric(doc, "quick")


def submission_with(tmp_path, module, source):
    folder = tmp_path / "submission"
    shutil.copytree(ROOT / "reference", folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / f"{module}.py").write_text(source)
    return folder


@pytest.mark.slow
def test_checks_the_budget_cannot_fit_fail_as_not_run_naming_what_used_it(tmp_path):
    """Four stuck functions of 1 s each against a 3 s budget: the grade stops in time, every check is in
    the report, and those left out say why."""
    path = submission_with(tmp_path, "activations", EVERY_ACTIVATION_STUCK)
    t0 = time.monotonic()
    result = pipeline.grade(path, quick_rubric(), pipeline.Options(only="activations.*", budget_s=3))
    assert time.monotonic() - t0 < 3 + MARGIN_S
    assert result.seconds < 3
    assert all(not r.passed for r in result.results) and len(result.results) >= 4
    not_run = [r for r in result.results if r.message.startswith("not run: ")]
    assert len(not_run) == result.not_run > 0
    assert not_run[0].message.startswith("not run: the grading time budget (3 s) was used up by the activations.")
    assert report.summary_line(result).endswith(f"of a 3 s budget; {result.not_run} check{'s' if result.not_run > 1 else ''} "
                                                "not run (budget)")
    doc = report.gradescope_dict(result)
    assert doc["budget"] == {"seconds": 3.0, "used": round(result.seconds, 3), "not_run": result.not_run}
    assert "graded in" in doc["output"] and "not run (budget)" in doc["output"]


@pytest.mark.slow
def test_each_stuck_function_costs_one_timeout_not_one_per_check(tmp_path):
    path = submission_with(tmp_path, "activations", EVERY_ACTIVATION_STUCK)
    t0 = time.monotonic()
    result = pipeline.grade(path, quick_rubric(), pipeline.Options(only="activations.*"))
    assert time.monotonic() - t0 < 4 * 1 + 8, "four functions, one second each, plus starting processes"
    assert result.not_run == 0
    waited = [r for r in result.results if "(an infinite loop, or far too slow?)" in r.message]
    at_once = [r for r in result.results if "in an earlier check" in r.message]
    assert len(waited) == 4 and len(at_once) == len(result.results) - 4


def test_a_correct_submission_is_untouched_by_the_budget(tmp_path):
    result = pipeline.grade(ROOT / "reference", load_rubric(RUBRIC_FILE), pipeline.Options(only="softmax.*"))
    assert result.score == result.max_score and result.not_run == 0
    assert result.budget_s == 240 and report.summary_line(result).endswith("of a 240 s budget")


def test_the_rubric_sets_the_budget_and_rejects_a_bad_one():
    assert load_rubric(RUBRIC_FILE).budget_s == 240
    assert parse_rubric({"total": 1, "groups": {"a": {"points": 1}}}).budget_s == 240
    with pytest.raises(RubricError, match="budget_s must be a number >= 1"):
        parse_rubric({"total": 1, "budget_s": 0, "groups": {"a": {"points": 1}}})


@pytest.mark.slow
def test_budget_on_the_command_line_overrides_the_rubric_and_must_be_positive(tmp_path, scratch):
    proc = grader(ROOT / "reference", "--out", tmp_path / "bad", "--budget", "0", "--only", "softmax.softmax")
    assert proc.returncode == exits.USAGE and "--budget must be at least 1 s" in proc.stderr
    proc = grader(ROOT / "reference", "--out", tmp_path / "ok", "--budget", "90", "--only", "softmax.softmax", "--quiet",
                  tmpdir=scratch)
    assert proc.returncode == exits.OK, proc.stderr
    assert "of a 90 s budget" in proc.stdout
    assert json.loads((tmp_path / "ok" / "results.json").read_text())["budget"]["seconds"] == 90
