"""The training run that earns the accuracy is verified against the reference's run, trained beside it
(grader/pipeline.py: concurrently, train_as_submitted_then_with_helpers; grader/checks/training.py)."""

import threading
import types

import numpy as np
import pytest

from grader.checks.base import Check, Probe
from grader.checks.training import accuracy_judge
from grader.pipeline import concurrently, train_as_submitted_then_with_helpers
from grader.rubric import GroupRule
from grader.sandbox import CallResult

WEIGHTS = {"W1": 20 * np.eye(2), "b1": np.zeros(2), "W2": np.eye(2), "b2": np.zeros(2)}
X = np.tile(np.array([[255, 0], [0, 255]], dtype=np.uint8), (50, 1))  # (100, 2)
Y = np.tile(np.array([0, 1]), 50)  # (100,): these weights classify all of it right
DATA = types.SimpleNamespace(X_val=X, y_val=Y, X_test=X, y_test=Y)


def run_of(weights):
    return CallResult("ok", "", {}, {f"epoch_weights.1.{k}": v for k, v in weights.items()}, 1.0)


class FakeBox:
    """A sandbox whose every call returns `result`; it counts the calls (one per training run)."""

    def __init__(self, result):
        self.result, self.calls = result, 0

    def run(self, calls, imports, on_event=None, until=None):
        self.calls += len(calls)
        return [self.result for _ in calls]


def accuracy_check():
    probes = tuple(Probe("train", {"helpers": h}) for h in ("student", "provided"))
    judge = accuracy_judge(0.85, 1, "mnist", DATA, GroupRule(points=12))
    return Check("training/accuracy", "accuracy", ("two_layer_net",), probes, lambda s, r: judge(s, r, probes), "", "",
                 kind="training")


def test_a_run_that_the_reference_verifies_is_not_run_again_with_the_provided_helpers():
    """One training run for an honest submission: the judge of the first run gets the reference's run."""
    box = FakeBox(run_of(WEIGHTS))
    runs = train_as_submitted_then_with_helpers(box, accuracy_check(), lambda c: 60, None, lambda c: False,
                                                reference=lambda: [run_of(WEIGHTS)])
    assert len(runs) == 1 and box.calls == 1


def test_a_run_that_does_not_follow_the_reference_is_run_again_with_the_provided_helpers():
    other = {**WEIGHTS, "W2": np.eye(2)[::-1]}
    box = FakeBox(run_of(other))
    runs = train_as_submitted_then_with_helpers(box, accuracy_check(), lambda c: 60, None, lambda c: False,
                                                reference=lambda: [run_of(WEIGHTS)])
    assert len(runs) == 2 and box.calls == 2


def test_a_stopped_run_does_not_wait_for_the_reference():
    """A run the helpers cannot explain (too slow) is final: the reference's result is not even asked for."""
    box = FakeBox(CallResult("too_slow", "one epoch would take 900 s", {}, {}, 5.0))

    def never():
        raise AssertionError("the reference's run was waited for")
    runs = train_as_submitted_then_with_helpers(box, accuracy_check(), lambda c: 60, None, lambda c: False, reference=never)
    assert len(runs) == 1


def test_concurrently_runs_beside_the_block_and_gives_back_its_value():
    started, release = threading.Event(), threading.Event()

    def work():
        started.set()
        release.wait(5)
        return 42
    with concurrently(work) as w:
        assert started.wait(5)  # it runs while the block does
        release.set()
    assert w.result == 42 and w.wait() == 42


def test_concurrently_raises_the_works_own_exception_in_the_grading_thread():
    def work():
        raise ValueError("the reference's sandbox failed")
    with pytest.raises(ValueError, match="reference's sandbox failed"):
        with concurrently(work):
            pass
