"""Blame by substitution (grader/blame.py): which part of a failed trajectory is at fault,
decided from the submission's parts run alone on the reference's data. Pure: no sandbox."""

import numpy as np
import pytest

from grader import blame
from grader.checks.base import Verdict
from grader.sandbox import CallResult

STEPS = 3
SHAPES = {"W1": (4, 3), "b1": (3,), "W2": (3, 2), "b2": (2,)}


def ok(arrays):
    return CallResult("ok", "", {}, arrays, 0.0)


@pytest.fixture
def reference():
    """A reference trajectory's record: loss, gradients, regularized gradients and weights per step."""
    rng = np.random.default_rng(0)
    arrays = {}
    for t in range(STEPS):
        arrays[f"loss{t}"] = np.array(2.3 - 0.1 * t)
        for k, s in SHAPES.items():
            arrays[f"grad{t}.{k}"] = rng.normal(0, 1, s)
            arrays[f"rgrad{t}.{k}"] = rng.normal(0, 1, s)
            arrays[f"step{t}.{k}"] = rng.normal(0, 1, s)
    return ok(arrays)


def substitution(reference, prefixes, step=None, key=None, delta=0.0):
    """The reference's arrays under prefixes, with `delta` added to key's first element at step."""
    arrays = {n: a.copy() for n, a in reference.arrays.items() if n.startswith(prefixes)}
    if step is not None:
        name = next(n for n in arrays if n.startswith(prefixes) and n.endswith(f"{step}.{key}") and n[:-len(f"{step}.{key}")].isalpha())
        arrays[name].flat[0] += delta
    return ok(arrays)


def results(reference, forward=None, update=None, regularize=None, update_fixed=None):
    """The four substitution runs; each argument is (step, key) where that part differs, or None.
    update_fixed (update with a correct apply_regularization) differs where update does unless said."""
    def run(prefixes, where):
        return substitution(reference, prefixes, *(where or (None, None)), delta=1.0)
    fixed = update if update_fixed is None else update_fixed or None
    return [run(("loss", "grad"), forward), run(("step",), update), run(("rgrad",), regularize), run(("step",), fixed),
            run(("loss", "grad"), forward)]


def blamed(reference, **where):
    return blame.explain_trajectory(Verdict(False, "diverged"), results(reference, **where), reference, STEPS, 1e-6, 1e-9)


def test_forward_at_fault_is_named_with_the_gradient_and_step(reference):
    v = blamed(reference, forward=(1, "b1"))
    assert v.culprits == (blame.FORWARD,)
    assert "The divergence comes from TwoLayerNet.forward's gradient of b1" in v.message
    assert "differs at step 2 of 3" in v.message
    assert "your update follows the reference for all 3 steps" in v.message


def test_update_at_fault_when_forward_agrees(reference):
    v = blamed(reference, update=(0, "W2"))
    assert v.culprits == (blame.UPDATE,)
    assert "The divergence comes from SGD.update" in v.message and "its updated W2 differs at step 1 of 3" in v.message
    assert "your forward gives the reference's loss and gradients for all 3 steps" in v.message


def test_apply_regularization_is_the_culprit_when_a_correct_one_fixes_update(reference):
    v = blamed(reference, update=(0, "W1"), regularize=(0, "W1"), update_fixed=False)
    assert v.culprits == (blame.REGULARIZE,)
    assert v.message.startswith("diverged. The divergence comes from SGD.apply_regularization, which SGD.update calls")
    assert "with a correct apply_regularization in its place, your update follows the reference" in v.message


def test_update_and_apply_regularization_both_blamed_when_a_correct_regularization_does_not_fix_update(reference):
    v = blamed(reference, update=(0, "W1"), regularize=(0, "W1"))
    assert v.culprits == (blame.UPDATE, blame.REGULARIZE)
    assert "The divergence comes from SGD.update, and SGD.apply_regularization is wrong too" in v.message


def test_update_that_skips_a_correct_regularization_is_blamed_alone(reference):
    v = blamed(reference, update=(1, "W2"))
    assert v.culprits == (blame.UPDATE,) and "apply_regularization" not in v.message


def test_both_parts_at_fault(reference):
    v = blamed(reference, forward=(0, "W1"), update=(2, "b2"))
    assert v.culprits == (blame.FORWARD, blame.UPDATE)
    assert "TwoLayerNet.forward, fed the reference's weights: its gradient of W1 differs at step 1 of 3" in v.message
    assert "Both parts are at fault" in v.message


def test_parts_right_alone_but_wrong_together_point_at_shared_state(reference):
    v = blamed(reference)
    assert set(v.culprits) == {blame.FORWARD, blame.UPDATE}
    assert "interfere through the state they share" in v.message


def test_a_substitution_run_that_crashes_is_the_finding(reference):
    runs = results(reference)
    runs[0] = CallResult("error", "raised ValueError: bad shapes (at two_layer_net.py line 40)", {}, {}, 0.0)
    v = blame.explain_trajectory(Verdict(False, "diverged"), runs, reference, STEPS, 1e-6, 1e-9)
    assert v.culprits == (blame.FORWARD,) and "it failed: raised ValueError" in v.message


def test_without_substitution_results_the_verdict_is_unchanged(reference):
    v = Verdict(False, "diverged")
    assert blame.explain_trajectory(v, [], reference, STEPS, 1e-6, 1e-9) is v


def test_substitution_probes_carry_the_reference_weights_before_each_step(reference):
    inputs = {f"w.{k}": np.zeros(s) for k, s in SHAPES.items()}
    inputs.update({f"X{t}": np.ones((2, 4)) for t in range(STEPS)} | {f"y{t}": np.zeros(2, np.int64) for t in range(STEPS)})
    probes = blame.trajectory_probes({"steps": STEPS, "helpers": "student"}, inputs, reference, STEPS)
    assert [p.probe for p in probes] == ["forward_along", "update_along", "regularize_along", "update_along", "forward_along"]
    assert probes[4].spec["fresh"] is True
    assert probes[3].spec["patch"] == ["apply_regularization"] and "patch" not in probes[1].spec
    data = probes[0].inputs
    assert np.array_equal(data["w0.W1"], inputs["w.W1"]) and np.array_equal(data["w2.b1"], reference.arrays["step1.b1"])
    assert np.array_equal(data["g1.W2"], reference.arrays["grad1.W2"]) and "X2" in data
    assert probes[0].spec["helpers"] == "provided"  # a helper's bug is not blamed on forward


def test_no_substitution_when_the_reference_failed():
    failed = CallResult("error", "boom", {}, {}, 0.0)
    assert blame.trajectory_probes({}, {}, failed, STEPS) == ()


def test_downstream_checks_get_a_note_only_when_substitution_found_a_culprit():
    traced = {blame.TRAJECTORY_ID: Verdict(False, "x", culprits=(blame.UPDATE,))}
    assert "traced the network's divergence from the reference to SGD.update" in blame.downstream_note(traced, "training")
    untraced = {blame.TRAJECTORY_ID: Verdict(False, "x")}
    assert blame.downstream_note(untraced, "training") == ""
    passed = {blame.TRAJECTORY_ID: Verdict(True, "ok")}
    assert blame.downstream_note(passed, "training") == ""


def test_a_substitution_run_gets_a_few_times_the_failed_runs_time_never_more_than_the_checks_timeout():
    runs = [CallResult("ok", "", {}, {}, 2.0), CallResult("ok", "", {}, {}, 1.0)]
    assert blame.time_limit(180.0, runs) == 16.0
    assert blame.time_limit(4.0, runs) == 4.0


def times(forward, update):
    return CallResult("ok", "", {}, {"forward": np.array(forward), "update": np.array(update)}, 0.0)


def test_a_slow_epoch_names_the_part_that_is_slow_on_its_own():
    verdict = blame.explain_speed(Verdict(False, "epoch time 9.1x the reference's"), [times(0.9, 0.02), times(0.02, 0.02)])
    assert verdict.culprits == (blame.FORWARD,) and "The slow part is TwoLayerNet.forward" in verdict.message
    assert "45.0x the reference's time" in verdict.message and verdict.hint.startswith("vectorize TwoLayerNet.forward")


def test_no_part_is_named_when_neither_is_slow_alone():
    verdict = blame.explain_speed(Verdict(False, "epoch time 3.2x"), [times(0.03, 0.02), times(0.02, 0.02)])
    assert verdict.culprits == () and "Neither part is slow on its own" in verdict.message


def test_times_that_are_not_numbers_explain_nothing():
    v = Verdict(False, "epoch time 3.2x")
    assert blame.explain_speed(v, [CallResult("ok", "", {}, {"forward": np.array(-1.0), "update": np.array(1.0)}, 0.0),
                                   times(0.02, 0.02)]) is v


def test_only_a_slow_epoch_is_timed_part_by_part():
    assert blame.slow(CallResult("error", "one epoch took more than 12x the reference's time", {}, {}, 0.0))
    assert not blame.slow(CallResult("error", "raised ValueError", {}, {}, 0.0))


def test_forward_that_keeps_state_between_calls_is_told_apart_by_a_fresh_network(reference):
    """Gradients accumulated with += agree at step 1 and on a fresh network, not on the reused one."""
    runs = results(reference, forward=(1, "W1"))
    runs[4] = substitution(reference, ("loss", "grad"))
    v = blame.explain_trajectory(Verdict(False, "diverged"), runs, reference, STEPS, 1e-6, 1e-9)
    assert v.culprits == (blame.FORWARD,) and "forward keeps state between calls" in v.message
    assert "keeps state" not in blamed(reference, forward=(1, "W1")).message
