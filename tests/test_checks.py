"""Every check passes on the reference's own values and fails on corrupted ones.

The reference runs once, in the sandbox, on all unit probes. Each judge is then
fed (a) the reference's results as the student's: it must pass; (b) the same
results with every array corrupted (negated, bools flipped, warnings raised, floats
turned into ints): it must fail with a message; (c) an error result: it must fail
and pass the error message on.
"""

import re
import types

import numpy as np
import pytest

from grader.checks import catalog
from grader.checks.base import Verdict
from grader.checks.common import add, call, requires_ok
from grader.checks.performance import ratio_judge
from grader.checks.training import accuracy_judge
from grader.contract import grad_fill
from grader.paths import PROJECT_DIR as ROOT, REFERENCE_DIR, RUBRIC_FILE
from grader.pipeline import run_unit_probes
from grader.rubric import GroupRule, load_rubric
from grader.sandbox import CallResult, Sandbox
from grader.submission import MODULES

RUBRIC = load_rubric(RUBRIC_FILE)
UNIT = catalog.unit_checks(RUBRIC)


@pytest.fixture(scope="module")
def reference_results():
    modules = {m: REFERENCE_DIR / f"{m}.py" for m in MODULES}
    with Sandbox(modules) as box:
        got = run_unit_probes(box, UNIT, lambda c: 30.0)
    return {c.id: [got[(c.name, j)] for j in range(len(c.probes))] for c in UNIT}


def by_id(id):
    return next(c for c in UNIT if c.id == id)


def corrupt(result, check):
    def bad(name, a):
        if check.id.endswith("/repeatable") and not name.startswith("again."):
            return a  # the second call differs from the first: state carried over
        if check.id.endswith("/float") and name == "result":
            return a.astype(np.int64)
        if "warnings" in name:
            return a + 1
        if a.dtype.kind == "b":
            return ~a
        return -a - 1.0
    return CallResult(result.status, result.message, result.meta, {k: bad(k, v) for k, v in result.arrays.items()}, result.seconds)


def with_arrays(original, **arrays):
    """result with some of its arrays replaced (keys as in CallResult.arrays, dots written as __)."""
    return CallResult(original.status, original.message, original.meta,
                      {**original.arrays, **{k.replace("__", "."): v for k, v in arrays.items()}}, original.seconds)


def ids(checks):
    return [c.id for c in checks]


def test_every_check_has_a_unique_stable_id_of_its_group_and_a_unique_display_name():
    everything = catalog.check_ids(RUBRIC)
    assert len(set(everything)) == len(everything)
    assert len({c.name for c in UNIT}) == len(UNIT)
    for c in UNIT:
        assert c.id.startswith(c.group + "/") and c.name == f"{c.group}: {c.text}"
        assert re.fullmatch(r"[A-Za-z_.]+/[A-Za-z0-9-]+", c.id), c.id


def test_every_check_has_a_full_and_a_concept_hint_and_they_differ():
    for c in UNIT:
        assert c.hint and c.concept and c.hint != c.concept, c.id
        assert c.hint_at("full") == c.hint and c.hint_at("concept") == c.concept and c.hint_at("none") == ""


def test_one_add_declares_a_check_in_a_few_lines_and_requires_ok_passes_errors_on():
    out = []

    @requires_ok
    def is_half(student, reference, probes):
        return Verdict(float(student[0].arrays["result"]) == 0.5, "sigmoid(0) is 0.5")
    check = add(out, "activations.sigmoid/at-zero", "is 0.5 at 0", [call("activations", "sigmoid", 0.0)], is_half,
                "1 / (1 + e^0) = 1 / 2", "the sigmoid is symmetric around 0")
    assert out == [check] and check.group == "activations.sigmoid" and check.needs == ("activations",)
    assert check.judge([CallResult("ok", "", {}, {"result": np.array(0.5)}, 0.0)], []).passed
    crashed = check.judge([CallResult("error", "raised ZeroDivisionError", {}, {}, 0.0)], [])
    assert not crashed.passed and crashed.message == "raised ZeroDivisionError"


@pytest.mark.parametrize("check", UNIT, ids=ids(UNIT))
def test_passes_on_the_reference(check, reference_results):
    results = reference_results[check.id]
    assert all(r.ok for r in results), [r.message for r in results]
    verdict = check.judge(results, results)
    assert verdict.passed, verdict.message


@pytest.mark.parametrize("check", UNIT, ids=ids(UNIT))
def test_fails_on_corrupted_values_with_a_message(check, reference_results):
    results = reference_results[check.id]
    verdict = check.judge([corrupt(r, check) for r in results], results)
    assert not verdict.passed
    assert len(verdict.message) > 10


@pytest.mark.parametrize("check", UNIT, ids=ids(UNIT))
def test_fails_when_the_submission_raised_and_says_what_it_raised(check, reference_results):
    error = CallResult("error", "raised ValueError: boom (at softmax.py line 3)", {}, {}, 0.0)
    verdict = check.judge([error] * len(check.probes), reference_results[check.id])
    assert not verdict.passed and "ValueError: boom" in verdict.message


def test_visible_value_checks_say_what_was_expected_and_what_was_got(reference_results):
    check = by_id("softmax.softmax/values")
    verdict = check.judge([corrupt(r, check) for r in reference_results[check.id]], reference_results[check.id])
    assert "got" in verdict.message and "expected" in verdict.message and "softmax(" in verdict.message


def test_a_wrong_shape_is_reported_before_the_values(reference_results):
    check = by_id("activations.relu/values")
    ref = reference_results[check.id][0]
    wrong = CallResult("ok", "", ref.meta, {**ref.arrays, "result": ref.arrays["result"][:, None]}, 0.0)
    verdict = check.judge([wrong], [ref])
    assert not verdict.passed and "wrong shape" in verdict.message


def test_the_xor_feedback_states_the_proof(reference_results):
    check = by_id("perceptron.train_perceptron/xor-not-converged")
    verdict = check.judge(reference_results[check.id], reference_results[check.id])
    assert "contradiction" in verdict.message.lower()


# ---------------------------------------------------------------- fair points: strictness is advice, wrong values are not

def test_an_int_relu_grad_passes_the_value_check_and_fails_only_the_float_advice_check(reference_results):
    as_ints = {id: [with_arrays(r, result=r.arrays["result"].astype(np.int64)) for r in reference_results[id]]
               for id in ("activations.relu_grad/values", "activations.relu_grad/at-zero", "activations.relu_grad/float")}
    for id in ("activations.relu_grad/values", "activations.relu_grad/at-zero"):
        assert by_id(id).judge(as_ints[id], reference_results[id]).passed, id
    verdict = by_id("activations.relu_grad/float").judge(as_ints["activations.relu_grad/float"], [])
    assert not verdict.passed and "int64" in verdict.message


def test_a_warning_with_right_values_passes_the_value_check_and_fails_only_the_warning_check(reference_results):
    for values, warnings in (("activations.sigmoid/large-inputs", "activations.sigmoid/warning-free"),
                             ("softmax.softmax/large-scores", "softmax.softmax/warning-free")):
        warned = [with_arrays(r, warnings=np.array(3)) for r in reference_results[values]]
        assert by_id(values).judge(warned, reference_results[values]).passed
        verdict = by_id(warnings).judge(warned, reference_results[warnings])
        assert not verdict.passed and "3 numpy warning(s)" in verdict.message


def test_nan_for_large_inputs_still_fails_the_value_check(reference_results):
    ref = reference_results["activations.sigmoid/large-inputs"][0]
    nan = with_arrays(ref, result=np.where(ref.arrays["result"] > 0.5, np.nan, ref.arrays["result"]))
    verdict = by_id("activations.sigmoid/large-inputs").judge([nan], [ref])
    assert not verdict.passed and "NaN" in verdict.message


def test_the_default_rubric_makes_strictness_advice_and_keeps_the_total_at_100():
    advice = {id for id in catalog.check_ids(RUBRIC) if RUBRIC.advice(id)}
    assert advice == {"activations.sigmoid/warning-free", "activations.relu_grad/at-zero", "activations.relu_grad/float",
                      "two_layer_net.TwoLayerNet.forward/any-shape",
                      "softmax.softmax/one-dim", "softmax.softmax/warning-free",
                      *(f"{g}/input-unchanged" for g in ("activations.sigmoid", "activations.sigmoid_grad", "activations.relu",
                                                         "activations.relu_grad", "softmax.softmax", "softmax.softmax_jacobian"))}
    from grader import scoring
    points = scoring.allocate({g: r.points for g, r in RUBRIC.groups.items()},
                              [(id, id.split("/")[0]) for id in catalog.check_ids(RUBRIC)], RUBRIC.fixed_points())
    assert all(points[id] == 0 for id in advice)
    assert round(sum(points.values()), 6) == 100


def in_place(result, probe):
    """The result of a call whose function changed its first array argument in place (as z -= z.max(...) does)."""
    return with_arrays(result, arg0=probe.inputs["a0"] - 1.0)


def test_a_value_check_judges_values_only_so_an_in_place_change_costs_one_check(reference_results):
    """A softmax that shifts its scores in place returns the right values: every value check passes, and only its
    group's input-unchanged check fails, naming the call."""
    for id in ("softmax.softmax/values", "softmax.softmax/large-scores", "softmax.softmax_jacobian/values",
               "activations.sigmoid/values", "softmax.cross_entropy_loss/values", "perceptron.predict/values"):
        check = by_id(id)
        modified = [in_place(r, p) for r, p in zip(reference_results[id], check.probes)]
        assert check.judge(modified, reference_results[id]).passed, id
    check = by_id("softmax.softmax/input-unchanged")
    verdict = check.judge([in_place(check_result(check), check.probes[0])], [])
    assert not verdict.passed and "softmax(array of shape (4, 6)) modified its input in place" in verdict.message
    assert check.judge([check_result(check)], []).passed


def check_result(check):
    """A completed call that returned nothing of note and left its arguments as they were."""
    return CallResult("ok", "", {}, {"result": np.zeros(1), **{f"arg{k[1:]}": v for k, v in check.probes[0].inputs.items()}}, 0.0)


def test_every_helper_has_one_input_check_advice_where_the_assignment_never_reuses_the_input():
    """softmax and the activations: advice (forward never reuses what it passes them); cross_entropy_loss and accuracy
    (forward reuses probs as the gradient, and the network's checks pass with correct helpers): points."""
    groups = {id.split("/")[0]: RUBRIC.advice(id) for id in catalog.check_ids(RUBRIC) if id.endswith("/input-unchanged")}
    assert groups == {"activations.sigmoid": True, "activations.sigmoid_grad": True, "activations.relu": True,
                      "activations.relu_grad": True, "softmax.softmax": True, "softmax.softmax_jacobian": True,
                      "softmax.cross_entropy_loss": False, "softmax.accuracy": False}
    corpus = load_rubric(ROOT / "tests" / "corpus" / "rubric.toml")
    assert {id: corpus.advice(id) for id in catalog.check_ids(corpus) if id.endswith("/input-unchanged")} == \
        {f"{g}/input-unchanged": a for g, a in groups.items()}


# ---------------------------------------------------------------- states that reveal bugs

def test_the_zero_probability_probe_has_an_exact_zero_off_the_label_in_every_row():
    (probe,) = by_id("softmax.cross_entropy_loss/zero-probability").probes
    probs, labels = probe.inputs["a0"], probe.inputs["a1"]
    assert np.all((probs == 0).sum(axis=1) == 1) and np.all(probs[np.arange(len(labels)), labels] > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        onehot = np.eye(probs.shape[1])[labels]
        assert np.isnan(-np.mean(np.sum(onehot * np.log(probs), axis=1)))  # the bug this probe exists for


def test_forward_probes_use_mnist_sizes_and_garbage_gradient_buffers():
    check = by_id("two_layer_net.TwoLayerNet.forward/grad-W1")
    spec = check.probes[0].spec
    assert (spec["input_size"], spec["num_classes"]) == (784, 10) and spec["grad_fill"] == "random"
    other = by_id("two_layer_net.TwoLayerNet.forward/any-shape").probes[0].spec
    assert (other["input_size"], other["num_classes"]) != (784, 10)


def test_a_forward_that_adds_to_the_gradient_buffers_fails_and_is_told_so(reference_results):
    check = by_id("two_layer_net.TwoLayerNet.forward/grad-W1")
    ref = reference_results[check.id]
    before = grad_fill(check.probes[0].spec, "W1", ref[0].arrays["gradients.W1"].shape)
    added = [with_arrays(r, gradients__W1=r.arrays["gradients.W1"] + before) for r in ref]
    verdict = check.judge(added, ref)
    assert not verdict.passed and "not add to them" in verdict.message


def test_a_forward_whose_second_call_differs_fails_the_repeatable_check(reference_results):
    check = by_id("two_layer_net.TwoLayerNet.forward/repeatable")
    ref = reference_results[check.id]
    doubled = [with_arrays(r, again__gradients__b2=2 * r.arrays["again.gradients.b2"]) for r in ref]
    verdict = check.judge(doubled, ref)
    assert not verdict.passed and "second forward" in verdict.message and "b2" in verdict.message


def test_the_momentum_steps_include_a_zero_gradient_step_that_only_the_velocity_moves():
    (probe,) = by_id("optimizer.SGD.update/momentum").probes
    zero = [t for t in range(probe.spec["steps"]) if not np.any(probe.inputs[f"g{t}.W1"])]
    assert probe.spec["momentum"] > 0 and zero and zero[0] > 0


TWO_PIXELS = {"W1": 20 * np.eye(2), "b1": np.zeros(2), "W2": np.eye(2), "b2": np.zeros(2)}  # [255, 0] -> 0, [0, 255] -> 1
RULE = GroupRule(points=12)  # the training group's tolerances: rtol 1e-6, atol 1e-9


def run_of(weights, claimed=0.99):
    """A training run's CallResult: two epochs that both ended at `weights`, and the accuracy the process claims."""
    arrays = {f"{prefix}.{k}": v for k, v in weights.items() for prefix in ("best_weights", "epoch_weights.1", "epoch_weights.2")}
    return CallResult("ok", "", {}, {**arrays, "test_accuracy": np.array(claimed)}, 1.0)


def trained(accuracy, n=100):
    """(a training result whose weights classify `accuracy` of the returned data set right, the reference's run that
    verifies it, the data set: two classes, two pixels, the same images for validation and test)."""
    X = np.tile(np.array([[255, 0], [0, 255]], dtype=np.uint8), (n // 2, 1))  # (n, 2)
    y = np.tile(np.array([0, 1]), n // 2)  # (n,)
    wrong = n - round(accuracy * n)
    y[:wrong] = 1 - y[:wrong]
    data = types.SimpleNamespace(X_val=X, y_val=y, X_test=X, y_test=y)
    return run_of(TWO_PIXELS), run_of(TWO_PIXELS, 0.5), data


@pytest.mark.parametrize("accuracy, passed", [(0.9, True), (0.86, True), (0.84, False)])
def test_the_accuracy_check_compares_the_graders_own_accuracy_with_the_threshold(accuracy, passed):
    result, ref, data = trained(accuracy)
    verdict = accuracy_judge(0.85, 2, "mnist", data, RULE)([result, result], [ref], ())
    assert verdict.passed is passed
    assert f"test accuracy {accuracy:.4f}" in verdict.message and "computed by the grader" in verdict.message


def test_the_accuracy_reported_by_the_student_process_counts_for_nothing():
    result, ref, data = trained(0.5)  # the process claims 0.99
    verdict = accuracy_judge(0.85, 2, "mnist", data, RULE)([result, result], [ref], ())
    assert not verdict.passed and "0.5000" in verdict.message


def test_the_accuracy_check_counts_the_run_with_correct_helpers():
    high, ref, data = trained(0.9)
    swapped = {**TWO_PIXELS, "W2": np.eye(2)[::-1]}  # swapped classes: 0.1, and not the reference's run
    verdict = accuracy_judge(0.85, 2, "mnist", data, RULE)([run_of(swapped), high], [ref], ())
    assert verdict.passed and "correct sigmoid/softmax helpers" in verdict.message


def test_a_training_timeout_loses_the_accuracy_check_and_says_so():
    timeout = CallResult("timeout", "timed out after 180s (infinite loop, or far too slow?)", {}, {}, 180.0)
    _, ref, data = trained(0.9)
    verdict = accuracy_judge(0.85, 2, "mnist", data, RULE)([timeout, timeout], [ref], ())
    assert not verdict.passed and "timed out" in verdict.message


def test_weights_that_do_not_follow_the_references_run_earn_no_accuracy_however_good():
    """Pretrained weights (here: perfect ones, permuted to match the secret transform) are not the run the grader
    verified, so their accuracy is never computed, let alone credited; the message says which epoch differs."""
    _, ref, data = trained(0.5)
    perfect = {**TWO_PIXELS, "W2": np.eye(2)[::-1]}
    data.y_test = 1 - data.y_test  # these weights score 1.0 on it
    data.y_val = data.y_test
    verdict = accuracy_judge(0.85, 2, "mnist", data, RULE)([run_of(perfect), run_of(perfect)], [ref], ())
    assert not verdict.passed and "after epoch 1 differ from the reference's run" in verdict.message
    assert "1.0000" not in verdict.message


@pytest.mark.parametrize("reference", [[], [CallResult("timeout", "timed out after 180s", {}, {}, 180.0)]])
def test_without_the_references_run_nothing_is_verified_and_nothing_is_credited(reference):
    result, _, data = trained(0.9)
    verdict = accuracy_judge(0.85, 2, "mnist", data, RULE)([result, result], reference, ())
    assert not verdict.passed and "the reference's run on the same batches" in verdict.message


def test_a_run_that_leaves_out_an_epochs_weights_is_not_verified():
    result, ref, data = trained(0.9)
    partial = CallResult("ok", "", {}, {k: v for k, v in result.arrays.items() if not k.startswith("epoch_weights.2.")}, 1.0)
    verdict = accuracy_judge(0.85, 2, "mnist", data, RULE)([partial, partial], [ref], ())
    assert not verdict.passed and "after epoch 2" in verdict.message


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
    result, ref, data = trained(0.5)
    verdict = accuracy_judge(0.85, 2, "mnist", data, RULE)([result, result], [ref], ())
    assert not verdict.passed and verdict.message.startswith("training finished; test accuracy 0.5000")
    assert "Your own forward measured 0.9900" in verdict.message and "TwoLayerNet.forward computes another model" in verdict.message
    honest = CallResult("ok", "", {}, {**result.arrays, "test_accuracy": np.array(0.5)}, 1.0)
    assert "Your own forward" not in accuracy_judge(0.85, 2, "mnist", data, RULE)([honest, honest], [ref], ()).message


def test_repeatable_compares_the_second_call_with_the_first_not_with_the_reference(reference_results):
    """A wrong but stateless forward fails the value checks, not this one: one bug, one diagnosis."""
    check = by_id("two_layer_net.TwoLayerNet.forward/repeatable")
    ref = reference_results[check.id][0]
    wrong_both_times = with_arrays(ref, **{k.replace(".", "__"): 2 * v for k, v in ref.arrays.items() if "gradients." in k})
    others = reference_results[check.id][1:]
    assert check.judge([wrong_both_times, *others], reference_results[check.id]).passed
    drifted = [with_arrays(r, again__gradients__W1=r.arrays["again.gradients.W1"] + 1.0) for r in reference_results[check.id]]
    verdict = check.judge(drifted, reference_results[check.id])
    assert not verdict.passed and "differs from the first" in verdict.message and "gradients['W1']" in verdict.message


# -- how the grader gives a network its weights and gradient buffers (contract.set_arrays) ---------------

def net_holding_its_arrays():
    """A network whose __init__ keeps aliases: a second name for the dict and attributes for the arrays."""
    import types
    net = types.SimpleNamespace(weights={"W1": np.zeros((3, 2)), "b1": np.zeros(2)})
    net.params, net.W1 = net.weights, net.weights["W1"]
    return net


def test_the_grader_writes_weights_into_the_arrays_a_network_holds_so_aliases_see_them():
    from grader.contract import set_arrays
    net = net_holding_its_arrays()
    set_arrays(net, "weights", {"W1": np.full((3, 2), 0.5), "b1": np.ones(2)})
    assert net.params is net.weights and net.W1 is net.weights["W1"]
    assert net.W1.tolist() == [[0.5, 0.5]] * 3 and net.params["b1"].tolist() == [1.0, 1.0]


@pytest.mark.parametrize("held", [np.zeros((2, 2)), np.zeros((3, 2), dtype=np.float32), "not an array"],
                         ids=["another shape", "float32", "not an array"])
def test_an_entry_that_cannot_take_the_values_exactly_is_replaced(held):
    from grader.contract import set_arrays
    net = net_holding_its_arrays()
    net.weights["W1"] = held
    set_arrays(net, "weights", {"W1": np.full((3, 2), 0.5)})
    assert net.weights["W1"].dtype == np.float64 and net.weights["W1"].tolist() == [[0.5, 0.5]] * 3


def test_a_network_without_a_weights_dict_gets_a_new_one():
    import types
    from grader.contract import set_arrays
    net = types.SimpleNamespace(weights=None)
    set_arrays(net, "weights", {"W1": np.ones((1, 1))})
    assert net.weights == {"W1": np.ones((1, 1))}


@pytest.mark.parametrize("returned, read", [(np.float64(-1.5), -1.5), (np.array([-1.5]), -1.5), (np.array([[2.0]]), 2.0)],
                         ids=["a number", "a (1,) array", "a (1, 1) array"])
def test_a_bias_returned_as_a_one_element_array_reads_as_the_number_it_holds(returned, read):
    from grader.checks.compare import scalar_value
    from grader.sandbox import CallResult
    value = scalar_value(CallResult("ok", "", {}, {"result.1": np.asarray(returned)}, 0.0), "result.1")
    assert np.ndim(value) == 0 and float(value) == read


def test_an_array_of_several_numbers_is_not_read_as_a_number():
    from grader.checks.compare import scalar_value
    from grader.sandbox import CallResult
    assert np.shape(scalar_value(CallResult("ok", "", {}, {"result.1": np.zeros(2)}, 0.0), "result.1")) == (2,)


def test_a_failed_comparison_never_prints_got_and_expected_alike():
    from grader.checks.compare import compare_scalar, first_mismatch
    message = compare_scalar("cross_entropy_loss(...)", 2.99643, 2.996434, 1e-6, 1e-9)
    assert "returned 2.996434, expected 2.99643 (relative difference 1.3e-06; the tolerance is rtol=1e-06, atol=1e-09)" in message
    assert first_mismatch(np.array([0.1234567]), np.array([0.1234569]), 1e-9, 0.0).text() == "got 0.1234569, expected 0.1234567"
