"""Feedback that points at the right code: the first differing element, the warning and its line,
the hint that fits the failure, and the function at fault named. Results are written by hand, except where a
substitution rerun is run in a sandbox on a corpus file."""

import functools

import numpy as np
import pytest

from grader import blame, preflight
from grader.checks import catalog
from grader.checks.base import Probe, Verdict
from grader.checks.compare import compare_array, warnings_text
from grader.checks.network import loss_and_accuracy
from grader.checks.performance import ReferenceUntimed, ratio_judge
from grader.harness.worker import warning_record
from grader.paths import PROJECT_DIR, REFERENCE_DIR, RUBRIC_FILE
from grader.rubric import GroupRule, load_rubric
from grader.sandbox import Call, CallResult, Sandbox, warning_texts

RULE = GroupRule(points=1.0, rtol=1e-6, atol=1e-9)


def ok(arrays, warnings=()):
    return CallResult("ok", "", {}, arrays, 0.0, tuple(warnings))


def failed(message):
    return CallResult("error", message, {}, {}, 0.0)


# -- the first differing element ----------------------------------------------------------


def test_a_wrong_value_is_shown_at_its_first_index_with_the_input_there():
    x = np.array([-2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    message = compare_array("relu_grad(array of shape (8,))", (x > 0).astype(float), (x >= 0).astype(float), 1e-6, 1e-9, inputs=x)
    assert message == ("relu_grad(array of shape (8,)) has wrong values at index (2,) (input 0): got 1, expected 0 "
                       "(1 of 8 elements differ; largest difference 1)")


def test_the_differing_element_is_shown_even_beyond_what_a_truncated_array_would_show():
    expected = np.zeros(100)
    got = expected.copy()
    got[97] = 1.0
    message = compare_array("predict(X, w, b)", expected, got, 1e-6, 1e-9)
    assert "at index (97,): got 1, expected 0" in message and "..." not in message


def test_an_input_of_another_shape_is_not_shown():
    message = compare_array("f(X)", np.zeros(3), np.ones(3), 1e-6, 1e-9, inputs=np.zeros((3, 2)))
    assert "input" not in message and "at index (0,)" in message


# -- warnings, quoted with the line that raised them ---------------------------------------


def test_a_warning_is_quoted_with_its_file_line_and_source():
    class Caught:
        message, category, filename, lineno = "overflow encountered in exp", RuntimeWarning, "/pkg/assignment/activations.py", 9

    record = warning_record([Caught()], "/pkg/assignment")
    assert record[0] | {"source": ""} == {"category": "RuntimeWarning", "message": "overflow encountered in exp",
                                          "file": "activations.py", "line": 9, "source": ""}
    (text,) = warning_texts([{**record[0], "source": "return np.where(x >= 0, 1 / (1 + np.exp(-x)), e / (1 + e))"}])
    assert text == ('RuntimeWarning: overflow encountered in exp (raised at activations.py line 9: '
                    '"return np.where(x >= 0, 1 / (1 + np.exp(-x)), e / (1 + e))")')
    said = warnings_text(ok({}, [text]))
    assert said.startswith("; it warned: RuntimeWarning: overflow") and "np.where(c, a, b) computes both a and b" in said


def test_a_warning_outside_the_submission_gives_no_file():
    class Caught:
        message, category, filename, lineno = "divide by zero", RuntimeWarning, "/usr/lib/numpy/core.py", 3

    assert warning_record([Caught()], "/pkg/assignment")[0]["file"] == ""


def test_warning_text_from_the_student_process_is_made_inert_and_bounded():
    (text,) = warning_texts([{"category": "Runtime\x1b[2JWarning", "message": "x" * 5000, "file": "a.py", "line": True}])
    assert "\x1b" not in text and len(text) < 400 and "line" not in text.split(":", 1)[1][-20:]
    assert warning_texts("not a list") == () and warning_texts([7]) == ()


# -- the loss: where a wrong loss comes from -----------------------------------------------


def forward_result(loss, accuracy, db2, n=8):
    return ok({"result.0": np.array(loss), "result.1": np.array(accuracy), "gradients.b2": np.asarray(db2), "X": np.zeros((n, 6))})


@pytest.mark.parametrize("loss, accuracy, db2, says, never", [
    (1.62, 0.5, [0.1, -0.1], "the probabilities are right", "the scores are wrong"),
    (1.58, 0.5, [0.2, -0.1], "the scores are wrong before the loss is taken", "L2"),
    (1.58, 0.25, [0.1, -0.1], "the accuracy differs too", "L2"),
    (1.60 * 8, 0.5, [0.1, -0.1], "8 times the expected loss", "L2"),
])
def test_the_loss_message_says_where_the_difference_comes_from(loss, accuracy, db2, says, never):
    """A bias added to the weight matrix changes the scores: no suggestion about an L2 term then."""
    reference = forward_result(1.60, 0.5, [0.1, -0.1])
    verdict = loss_and_accuracy(RULE)(forward_result(loss, accuracy, db2), reference, None)
    assert not verdict.passed and says in verdict.message and never not in verdict.message


# -- the timing check: slowness, wrong epochs, crashes and the grader's own faults ----------


def timed(*times):
    return CallResult("ok", "", {"verified": {"by": "the reference's epochs"}}, {"times": np.array(times)}, 0.0)


def test_a_crashed_epoch_is_not_blamed_on_slowness():
    verdict = ratio_judge(3.0)([failed("raised ValueError: shapes (at two_layer_net.py line 30)")], [failed("no epoch was timed")], ())
    assert not verdict.passed and "vectorize" not in verdict.hint and "not about speed" in verdict.hint
    assert "grader" not in verdict.message


def test_a_wrong_epoch_is_sent_to_the_trajectory_and_training_checks():
    s = failed("the timed epoch's weights differ from the reference's epoch with the same shuffle (repeat 1: W1 differs)")
    assert "make the trajectory and training checks pass first" in ratio_judge(3.0)([s], [timed(1.0)], ()).hint


def test_a_slow_epoch_gets_the_vectorize_hint():
    verdict = ratio_judge(3.0)([timed(5.0, 5.0)], [timed(1.0, 1.0)], ())
    assert not verdict.passed and "vectorize" in verdict.hint


def test_an_untimed_reference_is_the_graders_fault_never_the_students():
    with pytest.raises(ReferenceUntimed):
        ratio_judge(3.0)([timed(1.0)], [failed("no epoch was timed")], ())


# -- substitution of a function the check's function calls --------------------------------


def test_a_function_that_calls_a_wrong_predict_names_predict_only_when_a_correct_one_fixes_it():
    verdict = Verdict(False, "after training got w=[1, 0.5], b=-1")
    fixed = blame.patched_verdict(verdict, Verdict(True, "follows the rule"), blame.PREDICT)
    assert fixed.culprits == (blame.PREDICT,) and "with a correct predict patched in, this check passes" in fixed.note
    assert "fix predict first" in fixed.hint
    assert blame.patched_verdict(verdict, Verdict(False, "still wrong"), blame.PREDICT) is verdict


def test_the_patched_rerun_asks_the_harness_for_the_correct_part():
    probes = (Probe("call", {"module": "perceptron", "function": "train_perceptron"}),)
    diagnosis = blame.with_correct(blame.REGULARIZE, probes, lambda results, reference: Verdict(True, ""))
    (patched,) = diagnosis.probes([], [])
    assert patched.spec["patch"] == ["apply_regularization"] and "patch" not in probes[0].spec


# -- stand-ins for helper modules that fail to import --------------------------------------


def test_a_helper_that_fails_to_import_is_found_with_its_reason():
    calls = preflight.import_calls({"softmax": "s.py", "activations": "a.py", "two_layer_net": "t.py"}, 5.0)
    assert [c.spec["modules"] for c in calls] == [["activations"], ["softmax"]]
    results = [ok({}), failed("raised ImportError: assignment.softmax failed to import: raised SyntaxError: '(' was never closed")]
    assert preflight.broken_modules(calls, results) == {"softmax": "raised SyntaxError: '(' was never closed"}
    assert preflight.broken_result("softmax", "raised SyntaxError").message.startswith("softmax.py failed to import")
    assert isinstance(calls[0], Call)


def test_a_non_finite_value_is_shown_with_the_input_that_produced_it():
    x = np.array([-1e4, 0.0, 1e4])
    got = np.array([0.0, 0.5, np.nan])
    message = compare_array("sigmoid(array of shape (3,))", np.array([0.0, 0.5, 1.0]), got, 1e-6, 1e-9, inputs=x)
    assert message == "sigmoid(array of shape (3,)) contains NaN or inf at index (2,) (input 10000): got nan"


# -- same-module blame: a function that calls a wrong helper of its own module ------------

CORPUS = PROJECT_DIR / "tests" / "corpus"
UNIT = {c.id: c for c in catalog.unit_checks(load_rubric(RUBRIC_FILE))}


def calls(probes, module):
    return [Call(i, p.probe, p.spec, p.inputs, 10.0, (module,)) for i, p in enumerate(probes)]


@functools.cache
def reference_of(id):
    """The reference's results of the unit check id (computed once)."""
    check = UNIT[id]
    if not check.run_reference:
        return []
    with Sandbox({check.area: REFERENCE_DIR / f"{check.area}.py"}) as box:
        return box.run(calls(check.probes, check.area), [])


def run_check_and_its_diagnosis(check, module, path):
    """The explained verdict of check on the module file at path, which reruns it with the correct part patched in."""
    reference = reference_of(check.id)
    with Sandbox({module: path}) as box:
        student = box.run(calls(check.probes, module), [])
        verdict = check.judge(student, reference)
        substituted = box.run(calls(check.diagnose.probes(student, reference), module), []) if not verdict.passed else []
    return blame.explained(check, verdict, substituted, student, reference)


@pytest.mark.parametrize("case, module, id, culprit", [
    ("bugs/sigmoid_precedence_breaks_grad", "activations", "activations.sigmoid_grad/values", blame.SIGMOID),
    pytest.param("bugs/sigmoid_precedence_breaks_grad", "activations", "activations.sigmoid_grad/central-differences", blame.SIGMOID,
                 marks=pytest.mark.slow),  # the same bug through a second check: the full suite
    ("bugs/softmax_2d_only_breaks_jacobian", "softmax", "softmax.softmax_jacobian/values", blame.SOFTMAX),
    pytest.param("bugs/softmax_2d_only_breaks_jacobian", "softmax", "softmax.softmax_jacobian/central-differences", blame.SOFTMAX,
                 marks=pytest.mark.slow),
    ("bugs/softmax_rejects_1d", "softmax", "softmax.softmax_jacobian/values", blame.SOFTMAX),  # raises on 1-D z
    ("alternatives/softmax_modifies_scores", "softmax", "softmax.softmax_jacobian/input-unchanged", blame.SOFTMAX),
])
def test_a_function_that_calls_a_wrong_helper_of_its_own_module_names_the_helper(case, module, id, culprit):
    """sigmoid_grad calling a wrong sigmoid, softmax_jacobian calling a softmax that fails on 1-D z: rerun with a
    correct helper patched into the student's own module, the check passes, so the feedback names the helper."""
    verdict = run_check_and_its_diagnosis(UNIT[id], module, CORPUS / case / f"{module}.py")
    short = blame.SHORT[culprit]
    assert not verdict.passed and verdict.culprits == (culprit,)
    assert f"with a correct {short} patched in, this check passes" in verdict.note and f"fix {short} first" in verdict.hint


@pytest.mark.parametrize("case, module, id", [
    ("bugs/sigmoid_grad_of_activation", "activations", "activations.sigmoid_grad/values"),  # sigmoid_grad's own bug
    ("bugs/jacobian_offdiagonal_sign", "softmax", "softmax.softmax_jacobian/values"),
])
def test_a_function_wrong_in_itself_is_not_blamed_on_the_helper_it_calls(case, module, id):
    verdict = run_check_and_its_diagnosis(UNIT[id], module, CORPUS / case / f"{module}.py")
    assert not verdict.passed and verdict.culprits == () and "patched in" not in verdict.note


@pytest.mark.parametrize("status", ["missing", "import_error"])
def test_no_substitution_runs_for_a_module_that_is_missing_or_fails_to_import(status):
    """Its stand-in holds correct helpers: a rerun there would blame a helper for what the import error did."""
    check = UNIT["softmax.softmax_jacobian/values"]
    student = {check.name: [CallResult(status, "softmax.py failed to import", {}, {}, 0.0)]}
    assert blame.wanted([check], student, {}) == {}
    assert blame.wanted([check], {check.name: [failed("raised AxisError")]}, {}) != {}


def forward_at(loss, scale=1.0):
    """A forward call's result: (loss, accuracy 0.5) and gradients of scale times a fixed pattern."""
    grads = {f"gradients.{k}": scale * np.arange(1.0, 4.0) for k in ("W1", "b1", "W2", "b2")}
    return ok({"result.0": np.float64(loss), "result.1": np.float64(0.5), **grads})


@pytest.mark.parametrize("wrong_at_mnist", [True, False], ids=["wrong at MNIST's sizes too", "right at MNIST's sizes"])
def test_any_shape_blames_sizes_only_when_mnists_sizes_pass(wrong_at_mnist):
    """A forward that fails at every size is wrong, not hard-coded: the any-shape advice must not send it to the sizes."""
    from grader.checks.network import FIX_AT_MNIST_FIRST, any_shape_or_wrong_everywhere
    probe = Probe("net_forward", {"input_size": 6, "hidden_size": 5, "num_classes": 4}, {"X": np.zeros((3, 6))})
    wrong, right = forward_at(2.0, scale=2.0), forward_at(2.0)
    student = [wrong, wrong] + ([wrong, wrong] if wrong_at_mnist else [right, right])
    verdict = any_shape_or_wrong_everywhere(RULE)(student, [right] * 4, [probe] * 4)
    assert not verdict.passed and verdict.message.startswith("with input_size=6, hidden_size=5, num_classes=4:")
    assert ("not about sizes" in verdict.message) is wrong_at_mnist
    assert verdict.hint == (FIX_AT_MNIST_FIRST if wrong_at_mnist else "")


@pytest.mark.parametrize("message, hint, shown", [
    ("no single perceptron computes it.", "draw the four inputs", "no single perceptron computes it. Hint: draw the four inputs."),
    ("got 1, expected 0", "which line puts them on one side?", "got 1, expected 0. Hint: which line puts them on one side?"),
])
def test_feedback_ends_each_sentence_with_one_mark(message, hint, shown):
    from grader.results import CheckResult
    result = CheckResult("perceptron.and_gate: computes AND", "perceptron.and_gate", "perceptron", "visible", 2.0, 0.0, False,
                         message, hint)
    assert result.feedback() == shown
