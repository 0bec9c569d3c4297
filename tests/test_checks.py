"""Every check passes on the reference's own values and fails on corrupted ones.

The reference runs once, in the sandbox, on all unit probes. Each judge is then
fed (a) the reference's results as the student's: it must pass; (b) the same
results with every array corrupted (negated, bools flipped): it must fail with a
message; (c) an error result: it must fail and pass the error message on.
"""

import numpy as np
import pytest

from grader.checks import catalog
from grader.checks.performance import ratio_judge
from grader.checks.training import accuracy_judge
from grader.paths import REFERENCE_DIR, RUBRIC_FILE
from grader.pipeline import run_unit_probes
from grader.rubric import load_rubric
from grader.sandbox import CallResult, Sandbox
from grader.submission import MODULES

RUBRIC = load_rubric(RUBRIC_FILE)
UNIT = catalog.unit_checks(RUBRIC)


@pytest.fixture(scope="module")
def reference_results():
    modules = {m: REFERENCE_DIR / f"{m}.py" for m in MODULES}
    with Sandbox(modules) as box:
        got = run_unit_probes(box, UNIT, lambda c: 30.0)
    return {c.name: [got[(c.name, j)] for j in range(len(c.probes))] for c in UNIT}


def corrupt(result, check):
    def bad(name, a):
        if check.name.endswith("agree with central differences") and "numeric" in name:
            return a  # keep the numerical side, corrupt only the analytic gradient
        if a.dtype.kind == "b":
            return ~a
        return -a - 1.0 if "warnings" not in name else a
    return CallResult(result.status, result.message, result.meta, {k: bad(k, v) for k, v in result.arrays.items()}, result.seconds)


def ids(checks):
    return [c.name for c in checks]


@pytest.mark.parametrize("check", UNIT, ids=ids(UNIT))
def test_passes_on_the_reference(check, reference_results):
    results = reference_results[check.name]
    assert all(r.ok for r in results), [r.message for r in results]
    verdict = check.judge(results, results)
    assert verdict.passed, verdict.message


@pytest.mark.parametrize("check", UNIT, ids=ids(UNIT))
def test_fails_on_corrupted_values_with_a_message(check, reference_results):
    results = reference_results[check.name]
    verdict = check.judge([corrupt(r, check) for r in results], results)
    assert not verdict.passed
    assert len(verdict.message) > 10


@pytest.mark.parametrize("check", UNIT, ids=ids(UNIT))
def test_fails_when_the_submission_raised_and_says_what_it_raised(check, reference_results):
    error = CallResult("error", "raised ValueError: boom (at softmax.py line 3)", {}, {}, 0.0)
    verdict = check.judge([error] * len(check.probes), reference_results[check.name])
    assert not verdict.passed and "ValueError: boom" in verdict.message


def test_visible_value_checks_say_what_was_expected_and_what_was_got(reference_results):
    check = next(c for c in UNIT if c.name.startswith("softmax.softmax: matches"))
    verdict = check.judge([corrupt(r, check) for r in reference_results[check.name]], reference_results[check.name])
    assert "got" in verdict.message and "expected" in verdict.message and "softmax(" in verdict.message


def test_a_wrong_shape_is_reported_before_the_values(reference_results):
    check = next(c for c in UNIT if c.name.startswith("activations.relu: "))
    ref = reference_results[check.name][0]
    wrong = CallResult("ok", "", ref.meta, {**ref.arrays, "result": ref.arrays["result"][:, None]}, 0.0)
    verdict = check.judge([wrong], [ref])
    assert not verdict.passed and "wrong shape" in verdict.message


def test_the_xor_feedback_states_the_proof(reference_results):
    check = next(c for c in UNIT if "converged=False on XOR" in c.name)
    verdict = check.judge(reference_results[check.name], reference_results[check.name])
    assert "contradiction" in verdict.message.lower()


def trained(accuracy, n=100):
    """A training result whose best weights classify `accuracy` of the returned test set right.

    Two classes, two pixels: image [255, 0] is class 0 and [0, 255] class 1 for these weights."""
    X = np.tile(np.array([[255, 0], [0, 255]], dtype=np.uint8), (n // 2, 1))  # (n, 2)
    y = np.tile(np.array([0, 1]), n // 2)  # (n,)
    wrong = n - round(accuracy * n)
    y[:wrong] = 1 - y[:wrong]
    weights = {"best_weights.W1": 20 * np.eye(2), "best_weights.b1": np.zeros(2),
               "best_weights.W2": np.eye(2), "best_weights.b2": np.zeros(2)}
    return CallResult("ok", "", {}, {**weights, "test_accuracy": np.array(0.99)}, 1.0), X, y


@pytest.mark.parametrize("accuracy, passed", [(0.9, True), (0.86, True), (0.84, False)])
def test_the_accuracy_check_compares_the_graders_own_accuracy_with_the_threshold(accuracy, passed):
    result, X, y = trained(accuracy)
    verdict = accuracy_judge(0.85, 2, "mnist", X, y)([result, result], [], ())
    assert verdict.passed is passed
    assert f"test accuracy {accuracy:.4f}" in verdict.message and "computed by the grader" in verdict.message


def test_the_accuracy_reported_by_the_student_process_counts_for_nothing():
    result, X, y = trained(0.5)  # the process claims 0.99
    verdict = accuracy_judge(0.85, 2, "mnist", X, y)([result, result], [], ())
    assert not verdict.passed and "0.5000" in verdict.message


def test_the_accuracy_check_counts_the_run_with_correct_helpers():
    high, X, y = trained(0.9)
    low = CallResult("ok", "", {}, {**high.arrays, "best_weights.W2": np.eye(2)[::-1]}, 1.0)  # swapped classes: 0.1
    verdict = accuracy_judge(0.85, 2, "mnist", X, y)([low, high], [], ())
    assert verdict.passed and "correct sigmoid/softmax helpers" in verdict.message


def test_a_training_timeout_loses_the_accuracy_check_and_says_so():
    timeout = CallResult("timeout", "timed out after 180s (infinite loop, or far too slow?)", {}, {}, 180.0)
    _, X, y = trained(0.9)
    verdict = accuracy_judge(0.85, 2, "mnist", X, y)([timeout, timeout], [], ())
    assert not verdict.passed and "timed out" in verdict.message


@pytest.mark.parametrize("student, passed", [([1.0, 1.1, 0.9], True), ([2.9, 3.0, 2.8], True), ([3.5, 3.4, 3.6], False)])
def test_the_performance_check_compares_median_epoch_times(student, passed):
    s = CallResult("ok", "", {}, {"times": np.array(student)}, 0.0)
    r = CallResult("ok", "", {}, {"times": np.array([1.0, 1.0, 1.0])}, 0.0)
    verdict = ratio_judge(3.0)([s], [r], ())
    assert verdict.passed is passed and "x the reference" in verdict.message


def test_xor_has_no_linear_separator_and_and_or_do():
    from grader.checks.xor_proof import separable
    assert separable([0, 0, 0, 1]) and separable([0, 1, 1, 1]) and not separable([0, 1, 1, 0])


def test_a_failed_accuracy_says_training_finished_and_that_forward_computes_another_model():
    """The loop's own figure (the student's forward) only explains: it names forward when it reached the threshold."""
    result, X, y = trained(0.5)
    verdict = accuracy_judge(0.85, 2, "mnist", X, y)([result, result], [], ())
    assert not verdict.passed and verdict.message.startswith("training finished; test accuracy 0.5000")
    assert "Your own forward measured 0.9900" in verdict.message and "TwoLayerNet.forward computes another model" in verdict.message
    honest = CallResult("ok", "", {}, {**result.arrays, "test_accuracy": np.array(0.5)}, 1.0)
    assert "Your own forward" not in accuracy_judge(0.85, 2, "mnist", X, y)([honest, honest], [], ()).message
