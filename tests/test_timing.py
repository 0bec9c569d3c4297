"""The epoch-time benchmark and the accuracy check cannot be fooled by the student process.

The grader times each epoch between its own 'go' and the process's 'epoch_done',
freezes the whole sandbox outside those windows, sends the shuffle seed only with
'go', and takes the epoch's weights with 'epoch_done': they must equal the
reference's epoch for the same seed. The accuracy after training is computed by
the grader from the returned weights.
"""

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from grader.checks.base import Probe
from grader.checks.performance import ratio_judge
from grader.checks.training import accuracy_judge
from grader.data import load_raw
from grader.harness.train_config import TrainConfig
from grader.pace import Pace
from grader.paths import REFERENCE_DIR
from grader.pipeline import helpers_could_explain
from grader.rubric import GroupRule
from grader.sandbox import Call, CallResult, Limits, Sandbox
from grader.submission import MODULES
from grader.timing import time_interleaved

NEEDS = ["two_layer_net", "optimizer"]
REFERENCE = {m: REFERENCE_DIR / f"{m}.py" for m in MODULES}
RULE = GroupRule(points=12)  # the training group's tolerances: rtol 1e-6, atol 1e-9

# Returns from the timed epoch at once and does the real work in a thread, after 'epoch_done'.
DEFERRED_WORK = '''
import threading as _threading
import harness.probes as _probes
_real_epoch = _probes.train_epoch
def _later(*args, **kwargs):
    _threading.Thread(target=_real_epoch, args=args, kwargs=kwargs, daemon=True).start()
    return 0.0, 0.0
_probes.train_epoch = _later
'''

# Skips the work in every process: the weights come back unchanged.
NO_WORK = '''
import harness.probes as _probes
_probes.train_epoch = lambda *args, **kwargs: (0.0, 0.0)
'''

FAKE_ACCURACY = '''
import harness.probes as _probes
_real = _probes.train_run
def _bragging(*args, **kwargs):
    out = _real(*args, **kwargs)
    out["test_accuracy"] = 0.99
    return out
_probes.PROBES["train"] = _bragging
'''

SLOW_FORWARD = '''
import time as _time
_fast = TwoLayerNet.forward
def _slow(self, X, y, mode="train"):
    _time.sleep(0.15)  # 19 batches of digits: about 3 s, past the 2 s floor of the budget
    return _fast(self, X, y, mode)
TwoLayerNet.forward = _slow
'''


@pytest.fixture(scope="module")
def data_dir():
    folder = Path(tempfile.mkdtemp(prefix="grader-test-data-"))
    load_raw("digits").save_npy(folder)
    folder.chmod(0o755)
    for f in folder.iterdir():
        f.chmod(0o644)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def submission(tmp_path, module, appended):
    folder = tmp_path / "sub"
    folder.mkdir()
    for m, path in REFERENCE.items():
        shutil.copyfile(path, folder / f"{m}.py")
    with open(folder / f"{module}.py", "a") as f:
        f.write(appended)
    return {m: folder / f"{m}.py" for m in MODULES}


def timed(modules, data_dir, repeats=3, seeds=None, pace=None, until=float("inf")):
    probe = Probe("timed_epochs", {"config": TrainConfig().to_dict(), "data_dir": str(data_dir), "repeats": repeats})
    seeds = seeds or [11 + r for r in range(repeats)]
    with Sandbox(modules, Limits(), data_dir=data_dir) as student, Sandbox(REFERENCE, Limits(), data_dir=data_dir) as reference:
        return time_interleaved(student, reference, probe, NEEDS, 60, 3.0, seeds, until, pace)


def test_the_reference_against_itself_gives_one_time_per_repeat_for_each(data_dir):
    student, reference = timed(REFERENCE, data_dir)
    assert student.ok and reference.ok, (student.message, reference.message)
    assert student.arrays["times"].shape == (3,) and reference.arrays["times"].shape == (3,)
    assert np.all(student.arrays["times"] > 0)


def test_a_correct_submission_is_verified_against_the_reference_and_its_cpu_is_accounted(data_dir):
    student, _ = timed(REFERENCE, data_dir)
    assert student.meta["verified"]["by"].startswith("the reference's epochs")
    cpu = student.meta["cpu"]
    assert cpu["inside"] > 0 and cpu["outside"] <= max(1.0, cpu["inside"])


def test_work_deferred_past_epoch_done_gives_the_wrong_weights_and_fails(tmp_path, data_dir):
    """The weights travel with 'epoch_done', so an epoch finished later is an epoch not done."""
    student, _ = timed(submission(tmp_path, "two_layer_net", DEFERRED_WORK), data_dir)
    assert not student.ok
    # (its deferred thread still reports batches: their events may cut into the weights' bytes, which then cannot be read)
    assert any(words in student.message for words in ("differ from the reference's epoch with the same shuffle",
                                                      "outside the timed", "weights could not be read")), student.message


def test_skipping_the_work_in_every_process_fails(tmp_path, data_dir):
    student, _ = timed(submission(tmp_path, "two_layer_net", NO_WORK), data_dir)
    assert not student.ok and "differ from the reference's epoch" in student.message


@pytest.mark.slow  # waits on the OS or trains: the full suite runs it, the inner loop does not
def test_an_epoch_far_slower_than_the_limit_is_stopped_and_says_how_much_slower(tmp_path, data_dir):
    student, _ = timed(submission(tmp_path, "two_layer_net", SLOW_FORWARD), data_dir, repeats=1)
    assert not student.ok and "x the reference's time" in student.message


def test_a_reported_accuracy_that_the_weights_do_not_give_counts_for_nothing(tmp_path, data_dir):
    raw = load_raw("digits")
    modules = submission(tmp_path, "optimizer", FAKE_ACCURACY)
    spec = {"config": TrainConfig(epochs=1).to_dict(), "data_dir": str(data_dir)}
    with Sandbox(modules, Limits(), data_dir=data_dir) as box:
        (result,) = box.run([Call(0, "train", spec, {}, 60)], NEEDS)
    with Sandbox(REFERENCE, Limits(), data_dir=data_dir) as box:
        (reference,) = box.run([Call(0, "train_weights", spec, {}, 60)], NEEDS)
    assert result.ok and float(result.arrays["test_accuracy"]) == 0.99
    verdict = accuracy_judge(0.5, 1, "digits", raw, RULE)([result], [reference], ())
    assert not verdict.passed and "computed by the grader" in verdict.message
    grade, explanation = verdict.message.split("Your own forward measured")  # the forged figure only explains
    assert "0.99" not in grade and explanation.startswith(" 0.9900")


@pytest.mark.slow  # trains 30 epochs on the digits, twice: the full suite runs it, the inner loop does not
def test_an_honest_accuracy_is_confirmed_from_the_weights(data_dir):
    raw = load_raw("digits")
    spec = {"config": TrainConfig(epochs=30).to_dict(), "data_dir": str(data_dir)}
    with Sandbox(REFERENCE, Limits(), data_dir=data_dir) as box:
        result, weights_only = box.run([Call(0, "train", spec, {}, 120), Call(1, "train_weights", spec, {}, 120)], NEEDS)
    verdict = accuracy_judge(0.5, 30, "digits", raw, RULE)([result], [weights_only], ())  # the loop's epochs, alone, agree
    assert verdict.passed, verdict.message
    assert f"{float(result.arrays['test_accuracy']):.4f}" in verdict.message


DIGITS_BATCHES = 19  # 1,200 training images of the digits set in batches of 64


@pytest.mark.slow
def test_a_too_slow_epoch_still_learns_its_ratio_from_the_batches_the_grader_timed(tmp_path, data_dir):
    """The epoch is stopped at its allowance; the 'batch' events it sent on the way, stamped by the grader,
    give its projected time and ratio. A projection only ever fails the check."""
    student, _ = timed(submission(tmp_path, "two_layer_net", SLOW_FORWARD), data_dir, repeats=1, pace=Pace(1, DIGITS_BATCHES))
    assert student.status == "too_slow", student.message
    assert student.message.startswith("epoch time about ") and "x the reference's (limit 3x)" in student.message
    assert "at the measured 0.1" in student.message  # 0.15 s of sleep per batch, plus the work
    verdict = ratio_judge(3.0)([student], [CallResult("ok", "", {}, {"times": np.array([0.05])}, 0.1)], ())
    assert not verdict.passed and verdict.message == student.message


def test_timing_that_the_budget_leaves_no_time_for_is_not_run(data_dir):
    t0 = time.monotonic()
    student, reference = timed(REFERENCE, data_dir, until=time.monotonic() + 0.2)
    assert student.status == "not_run" and time.monotonic() - t0 < 5


def test_timing_fails_at_once_when_forward_is_already_known_stuck(data_dir):
    probe = Probe("timed_epochs", {"config": TrainConfig().to_dict(), "data_dir": str(data_dir), "repeats": 1})
    with Sandbox(REFERENCE, Limits(), data_dir=data_dir) as student, Sandbox(REFERENCE, Limits(), data_dir=data_dir) as reference:
        student.stuck.record(("two_layer_net.TwoLayerNet.forward",), 20, "two_layer_net.TwoLayerNet.forward")
        t0 = time.monotonic()
        s, r = time_interleaved(student, reference, probe, NEEDS, 60, 3.0, [1])
    assert time.monotonic() - t0 < 5  # no process was started: waiting for forward would take its 20 s again
    assert s.status == "timeout" and s.message.startswith("TwoLayerNet.forward did not return within 20 s in an earlier check")
    assert ratio_judge(3.0)([s], [r], ()).message == s.message


def test_a_training_run_far_too_slow_is_stopped_after_its_first_batches_with_the_projection(tmp_path, data_dir):
    spec = {"config": TrainConfig(epochs=50).to_dict(), "data_dir": str(data_dir), "helpers": "provided"}
    modules = submission(tmp_path, "two_layer_net", SLOW_FORWARD)
    with Sandbox(modules, Limits(), data_dir=data_dir) as box:
        t0 = time.monotonic()
        (result,) = box.run([Call(0, "train", spec, {}, 60, pace=Pace(50, DIGITS_BATCHES))], NEEDS)
    assert time.monotonic() - t0 < 15, "stopped by its projection, long before its 60 s timeout"
    assert result.status == "too_slow", result.message
    assert result.message.startswith("50 epochs would take about ") and "more than the 60 s this run may take" in result.message
    assert not box.stuck.known, "a slow run is not a stuck function"


@pytest.mark.parametrize("status, rerun", [("error", True), ("timeout", False), ("too_slow", False), ("not_run", False),
                                           ("crashed", False), ("import_error", False)])
def test_training_is_rerun_with_the_provided_helpers_only_after_a_failure_they_could_explain(status, rerun):
    assert helpers_could_explain(CallResult(status, "failed", {}, {}, 3.0)) is rerun


def test_a_run_that_failed_at_once_on_a_stuck_helper_is_rerun_with_the_provided_helpers():
    failed_fast = CallResult("timeout", "softmax did not return", {"known_stuck": ["softmax.softmax", "optimizer.SGD.update"]}, {}, 0.0)
    assert helpers_could_explain(failed_fast)
    waited = CallResult("timeout", "did not return", {}, {}, 90.0)
    assert not helpers_could_explain(waited)
