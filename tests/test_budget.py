"""The time budget of a grade (grader.budget), the projection of a run from its first batches
(grader.pace) and what a timed-out call teaches about the submission's functions (grader.stuck).
All pure: the clock is passed in."""

import pytest

from grader.budget import CLOSING, MARGIN_S, SHARES, STAGES, Budget, not_run_message, seconds_text, summary, used_up_by
from grader.pace import Pace, add_mark, per_batch, projected_seconds, should_stop, too_slow_message
from grader.stuck import FORWARD, HELPERS, UPDATE, Stuck, display, functions_of

# -- the budget's split ---------------------------------------------------------


def test_each_stage_ends_before_the_shares_of_the_stages_after_it():
    budget = Budget(240.0, start=1000.0)
    assert budget.deadline == 1240.0
    closing = CLOSING * 240
    assert budget.until("performance") == pytest.approx(1240 - closing)
    assert budget.until("training") == pytest.approx(1240 - closing - SHARES["performance"] * 240)
    assert budget.until("units") == pytest.approx(1240 - closing - (SHARES["performance"] + SHARES["training"]) * 240)


def test_a_stage_that_will_not_run_reserves_nothing():
    """--only softmax: no training, no timing, so the unit checks may use the whole budget."""
    budget = Budget(240.0, start=0.0)
    assert budget.until("units", present=("units",)) == budget.until("performance")


def test_the_reference_fits_every_stage_of_the_default_budget_many_times_over():
    """The reference needs a few seconds per stage (README "Time budget"); each stage is guaranteed far more."""
    budget = Budget(240.0, start=0.0)
    guaranteed = {"units": budget.until("units"), "training": budget.until("training") - budget.until("units"),
                  "performance": budget.until("performance") - budget.until("training")}
    assert set(guaranteed) == set(STAGES)
    assert min(guaranteed.values()) >= 30  # the reference: about 3 s each


def test_a_small_budget_keeps_a_closing_share():
    assert 0 < Budget(5.0, 0.0).closing < 5.0
    assert Budget(240.0, 0.0).closing == pytest.approx(7.2)


# -- what the report says ------------------------------------------------------------


def test_the_not_run_message_names_the_budget_and_who_used_it_largest_first():
    message = not_run_message(240, {"training": 150.0, "two_layer_net.TwoLayerNet.forward": 61.2, "softmax.softmax": 0.01})
    assert message == ("not run: the grading time budget (240 s) was used up by the training checks (150 s) and the "
                       "two_layer_net.TwoLayerNet.forward checks (61 s)")


def test_many_consumers_are_summed_after_the_first_two():
    text = used_up_by({"a": 30.0, "b": 20.0, "c": 5.0, "d": 5.0})
    assert text == "the a checks (30 s), the b checks (20 s) and 2 other groups (10 s)"


def test_nothing_measured_is_the_graders_own_work():
    assert used_up_by({}) == "the grader's own work"


def test_the_summary_line_counts_the_checks_not_run():
    assert summary(187.4, 240, 2) == "graded in 187 s of a 240 s budget; 2 checks not run (budget)"
    assert summary(6.6, 240, 0) == "graded in 7 s of a 240 s budget"
    assert summary(6.6, 240, 1).endswith("; 1 check not run (budget)")


@pytest.mark.parametrize("seconds, text", [(3.14, "3.1 s"), (95, "95 s"), (41 * 60, "41 min"), (3 * 3600, "3.0 h")])
def test_durations_read_naturally(seconds, text):
    assert seconds_text(seconds) == text


def test_the_margin_is_small_and_fixed():
    assert 0 < MARGIN_S <= 20


# -- projecting a run ------------------------------------------------------------------

PACE = Pace(epochs=2, per_epoch=750)


def marks_at(per, batches=(1, 2, 4, 8), started=100.0, setup=0.5):
    """Marks of a run that takes `per` seconds per batch after `setup` seconds."""
    marks = ()
    for n in batches:
        marks = add_mark(marks, started + setup + n * per, n, PACE)
    return marks


def test_the_pace_is_measured_between_the_first_and_the_last_mark_not_from_the_start():
    marks = marks_at(3.1, setup=5.0)
    assert per_batch(marks, 100.0) == pytest.approx(3.1)


def test_no_projection_before_enough_batches():
    assert per_batch(marks_at(0.01, batches=(1, 2)), 100.0) is None


def test_a_very_slow_run_is_projected_after_two_batches():
    assert per_batch(marks_at(3.1, batches=(1, 2)), 100.0) == pytest.approx(3.1)


def test_a_run_far_too_slow_is_stopped_and_a_run_that_fits_is_not():
    slow, fast = marks_at(3.1), marks_at(0.001)
    assert should_stop(projected_seconds(PACE, slow, 100.0, per_batch(slow, 100.0)), allowed=170)
    assert not should_stop(projected_seconds(PACE, fast, 100.0, per_batch(fast, 100.0)), allowed=170)


def test_the_stop_message_says_what_the_run_would_take_and_the_references_time():
    marks = marks_at(3.1)
    per = per_batch(marks, 100.0)
    text = too_slow_message(Pace(2, 750, reference_epoch_s=0.6), per, projected_seconds(PACE, marks, 100.0, per), 170)
    assert text.startswith("2 epochs would take about 78 min at the measured 3.1 s per batch (the reference takes 0.6 s per epoch)")
    assert "more than the 170 s this run may take" in text


@pytest.mark.parametrize("batch", [0, -1, 1501, 2.5, True, None, "4"])
def test_implausible_batch_numbers_from_the_process_are_ignored(batch):
    assert add_mark((), 1.0, batch, PACE) == ()


def test_batch_numbers_must_grow():
    marks = add_mark((), 1.0, 4, PACE)
    assert add_mark(marks, 2.0, 2, PACE) == marks and add_mark(marks, 2.0, 4, PACE) == marks


# -- functions that did not return ------------------------------------------------------


def test_a_probe_names_the_functions_it_calls():
    assert functions_of("call", {"module": "softmax", "function": "softmax"}) == ("softmax.softmax",)
    assert functions_of("sgd_steps", {}) == (UPDATE,)
    assert functions_of("train", {"helpers": "provided"}) == (FORWARD, UPDATE)
    assert set(functions_of("net_forward", {"helpers": "student"})) == {FORWARD, *HELPERS}


def test_a_function_that_did_not_return_fails_later_calls_that_need_it_with_the_first_reason():
    stuck = Stuck()
    first = stuck.record((UPDATE,), 10, "optimizer.SGD.update")
    assert first == "SGD.update did not return within 10 s (an infinite loop, or far too slow?)"
    assert stuck.reason(functions_of("trajectory", {"helpers": "provided"})) == (
        "SGD.update did not return within 10 s in an earlier check (optimizer.SGD.update), so this check did not wait for it again")
    assert stuck.reason(functions_of("sgd_regularize", {})) is None


def test_only_the_functions_not_yet_seen_returning_are_suspected():
    """forward with the student's helpers hangs after every helper returned in its own checks: forward is stuck,
    so forward with the provided helpers fails at once too."""
    stuck = Stuck()
    stuck.returned_from(HELPERS)
    stuck.record(functions_of("net_forward", {"helpers": "student"}), 20, "two_layer_net.TwoLayerNet.forward")
    assert stuck.reason(functions_of("net_forward", {"helpers": "provided"})).startswith("TwoLayerNet.forward did not return")


def test_a_stuck_helper_does_not_block_forward_with_the_provided_helpers():
    stuck = Stuck()
    stuck.record(("softmax.softmax",), 10, "softmax.softmax")
    assert stuck.reason(functions_of("net_forward", {"helpers": "student"})) is not None
    assert stuck.reason(functions_of("net_forward", {"helpers": "provided"})) is None


def test_two_functions_that_only_hang_together_block_only_calls_needing_both():
    stuck = Stuck()
    stuck.returned_from((FORWARD, UPDATE))
    stuck.record((FORWARD, UPDATE), 180, "training")
    assert stuck.reason((FORWARD, UPDATE)) is not None
    assert stuck.reason((FORWARD,)) is None and stuck.reason((UPDATE,)) is None


def test_names_are_shown_as_students_wrote_them():
    assert display({FORWARD, UPDATE}) == "SGD.update or TwoLayerNet.forward"
    assert display({"activations.sigmoid"}) == "sigmoid"


def test_every_probe_that_calls_the_submission_declares_the_functions_it_calls():
    """Fail-fast knows a stuck function only through this map: a probe missing here (a new substitution run,
    say) would wait out its own timeout on a function already known to hang."""
    from grader.harness.probes import PROBES
    from grader.stuck import PROBE_FUNCTIONS
    assert set(PROBES) - {"call", "imports"} == set(PROBE_FUNCTIONS)
