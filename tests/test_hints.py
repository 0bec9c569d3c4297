"""The hint follows the kind of failure (grader/checks/hints.py): an import error gets the import hint,
a nan the check's nan hint, a factor of N the batch-mean hint, and anything else the check's own."""

import numpy as np
import pytest

from grader.checks import catalog, hints
from grader.checks.base import Verdict
from grader.paths import RUBRIC_FILE
from grader.rubric import load_rubric
from grader.sandbox import CallResult

RUBRIC = load_rubric(RUBRIC_FILE)
UNIT = {c.id: c for c in catalog.unit_checks(RUBRIC)}
WRONG = Verdict(False, "wrong")


def ok(**arrays):
    return CallResult("ok", "", {}, {k.replace("__", "."): np.asarray(v) for k, v in arrays.items()}, 0.0)


def hint(id, student, reference, level="full", verdict=WRONG):
    return hints.pick(verdict, UNIT[id], level, student, reference)


@pytest.mark.parametrize("level", ["full", "concept"])
@pytest.mark.parametrize("id", ["softmax.softmax_jacobian/values", "activations.sigmoid_grad/central-differences",
                                "two_layer_net.TwoLayerNet.forward/grad-W1"])
def test_a_check_whose_module_failed_to_import_gets_the_import_hint_not_the_functions_math(id, level):
    failed = CallResult("import_error", "softmax.py failed to import, so its checks could not run: raised SyntaxError", {}, {}, 0.0)
    got = hint(id, [failed] * len(UNIT[id].probes), [], level)
    assert got == hints.at_level(hints.GENERIC[hints.IMPORT], level).replace("MODULE", "softmax") and "import" in got
    assert got != UNIT[id].hint_at(level)


def test_the_full_import_hint_names_the_module_that_failed_to_import_not_a_placeholder():
    failed = CallResult("import_error", "softmax.py failed to import, so its checks could not run: raised SyntaxError", {}, {}, 0.0)
    got = hint("two_layer_net.TwoLayerNet.forward/grad-W1", [failed, failed], [], "full")
    assert 'python -c "import softmax"' in got and "MODULE" not in got


def test_the_import_hint_wins_over_a_substitutions_hint():
    failed = CallResult("import_error", "activations.py failed to import", {}, {}, 0.0)
    assert "import" in hint("activations.sigmoid_grad/values", [failed], [], verdict=Verdict(False, "x", hint="fix sigmoid first"))


ZERO_P = "softmax.cross_entropy_loss/zero-probability"


@pytest.mark.parametrize("level", ["full", "concept"])
def test_the_zero_probability_hint_about_logging_the_whole_array_only_when_the_loss_is_not_finite(level):
    reference = [ok(result=0.7)]
    nan = hint(ZERO_P, [ok(result=np.nan)], reference, level)
    assert nan == hints.at_level(UNIT[ZERO_P].kind_hints["nonfinite"], level)
    assert ("never log the whole array" if level == "full" else "0 * log(0) is nan") in nan
    finite = hint(ZERO_P, [ok(result=0.9)], reference, level)
    assert finite == UNIT[ZERO_P].hint_at(level) == UNIT["softmax.cross_entropy_loss/values"].hint_at(level)
    assert "never log" not in finite and "nan" not in finite


def test_the_plain_sgd_check_never_hints_at_a_velocity_or_momentum():
    check = UNIT["optimizer.SGD.update/plain"]
    reference = [ok(step0__W1=np.ones((4, 3)))]
    for level in ("full", "concept"):
        for text in (check.hint_at(level), hint(check.id, [ok(step0__W1=np.zeros((4, 3)))], reference, level)):
            assert "velocity" not in text and "momentum" not in text and "v =" not in text
    assert "momentum" in UNIT["optimizer.SGD.update/momentum"].hint_at("full")


def forward(scale=1.0, shift=0.0, keys=("W1", "b1", "W2", "b2"), loss=0.5):
    """A net_forward result whose gradients of keys are the reference's times scale plus shift."""
    rng = np.random.default_rng(0)
    grads = {k: rng.normal(0, 1, s) for k, s in (("W1", (784, 8)), ("b1", (8,)), ("W2", (8, 10)), ("b2", (10,)))}
    arrays = {"result.0": loss, "result.1": 0.5, **{f"gradients.{k}": g * (scale if k in keys else 1.0) + (shift if k in keys else 0.0)
                                                    for k, g in grads.items()}}
    return CallResult("ok", "", {}, {k: np.asarray(v) for k, v in arrays.items()}, 0.0)


N = UNIT["two_layer_net.TwoLayerNet.forward/grad-W1"].probes[0].inputs["X"].shape[0]


@pytest.mark.parametrize("scale", [N, 1.0 / N])
def test_gradients_off_by_the_batch_size_get_the_divide_by_n_hint(scale):
    id = "two_layer_net.TwoLayerNet.forward/grad-W1"
    got = hint(id, [forward(scale), forward(scale)], [forward(), forward()])
    assert got == hints.GENERIC[hints.BATCH_SCALE][0] and "divid" in got and "N" in got


def test_a_loss_summed_over_the_batch_gets_the_divide_by_n_hint():
    id = "two_layer_net.TwoLayerNet.forward/loss"
    assert hint(id, [forward(loss=0.5 * N)] * 2, [forward()] * 2, "concept") == hints.GENERIC[hints.BATCH_SCALE][1]
    probs = UNIT["softmax.cross_entropy_loss/values"].probes
    n = probs[0].inputs["a0"].shape[0]
    summed = hint("softmax.cross_entropy_loss/values", [ok(result=1.3 * n), ok(result=0.4)], [ok(result=1.3), ok(result=0.4)])
    assert summed == hints.GENERIC[hints.BATCH_SCALE][0]


@pytest.mark.parametrize("wrong", [dict(scale=2.0), dict(shift=0.5), dict(scale=N, keys=("W1",), shift=0.0)])
def test_other_wrong_gradients_get_the_checks_own_hint(wrong):
    """A factor that is not N, an offset, or a factor N in one gradient while others differ otherwise: the ordinary hint."""
    id = "two_layer_net.TwoLayerNet.forward/grad-W1"
    mixed = forward(**wrong)
    if wrong.get("keys") == ("W1",):
        mixed = CallResult("ok", "", {}, {**mixed.arrays, "gradients.b2": mixed.arrays["gradients.b2"] + 1.0}, 0.0)
    assert hint(id, [mixed] * 2, [forward()] * 2) == UNIT[id].hint


def test_a_substitutions_hint_and_no_hint_at_all_are_kept():
    assert hint("activations.sigmoid_grad/values", [ok(result=np.ones(3))], [ok(result=np.zeros(3))],
                verdict=Verdict(False, "x", hint="fix sigmoid first")) == "fix sigmoid first"
    assert hint(ZERO_P, [ok(result=np.nan)], [ok(result=0.7)], level="none") == ""


def test_a_constant_factor_is_found_only_when_every_element_has_it():
    from grader.checks.compare import constant_factor
    x = np.array([1.0, -2.0, 3.0])
    assert constant_factor(x, 6 * x) == pytest.approx(6.0)
    assert constant_factor(x, 6 * x + np.array([0, 0, 1e-3])) is None
    assert constant_factor(np.zeros(3), np.zeros(3)) is None
