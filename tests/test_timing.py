"""The epoch-time benchmark and the accuracy check cannot be fooled by the student process.

The grader times each epoch between its own 'go' and the process's 'epoch_done',
keeps the process stopped outside those windows, sends the shuffle seed only
with 'go', and recomputes the epochs untimed in a fresh process. The accuracy
after training is recomputed from the returned weights.
"""

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

from grader.checks.base import Probe
from grader.checks.training import accuracy_judge
from grader.data import load_raw
from grader.harness.train_config import TrainConfig
from grader.paths import REFERENCE_DIR
from grader.sandbox import Call, Limits, Sandbox
from grader.submission import MODULES
from grader.timing import time_interleaved

NEEDS = ["two_layer_net", "optimizer"]
REFERENCE = {m: REFERENCE_DIR / f"{m}.py" for m in MODULES}

# Runs the provided epoch only when not being timed: stdin is a pipe only in the timed run.
FAKE_TIMING = '''
import os as _os, stat as _stat
if _stat.S_ISFIFO(_os.fstat(0).st_mode):
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


def timed(modules, data_dir, repeats=3):
    probe = Probe("timed_epochs", {"config": TrainConfig().to_dict(), "data_dir": str(data_dir), "repeats": repeats})
    with Sandbox(modules, Limits(), data_dir=data_dir) as student, Sandbox(REFERENCE, Limits(), data_dir=data_dir) as reference:
        return time_interleaved(student, reference, probe, NEEDS, 60, 3.0)


def test_the_reference_against_itself_gives_one_time_per_repeat_for_each(data_dir):
    student, reference = timed(REFERENCE, data_dir)
    assert student.ok and reference.ok, (student.message, reference.message)
    assert student.arrays["times"].shape == (3,) and reference.arrays["times"].shape == (3,)
    assert np.all(student.arrays["times"] > 0)


def test_skipping_the_work_while_timed_is_caught_by_the_untimed_recomputation(tmp_path, data_dir):
    student, reference = timed(submission(tmp_path, "two_layer_net", FAKE_TIMING), data_dir)
    assert reference.ok
    assert not student.ok and "recomputed untimed" in student.message


def test_skipping_the_work_in_every_process_is_caught_because_nothing_changed(tmp_path, data_dir):
    always = FAKE_TIMING.replace("if _stat.S_ISFIFO(_os.fstat(0).st_mode):", "if True:")
    student, _ = timed(submission(tmp_path, "two_layer_net", always), data_dir)
    assert not student.ok and "left the weights unchanged" in student.message


def test_a_correct_submission_is_verified_against_the_reference(data_dir):
    student, _ = timed(REFERENCE, data_dir, repeats=2)
    assert student.meta["verified"]["by"] == "the reference"


def test_an_epoch_far_slower_than_the_limit_is_stopped_and_says_how_much_slower(tmp_path, data_dir):
    student, _ = timed(submission(tmp_path, "two_layer_net", SLOW_FORWARD), data_dir, repeats=1)
    assert not student.ok and "x the reference's time" in student.message


def test_a_reported_accuracy_that_the_weights_do_not_give_fails(tmp_path, data_dir):
    raw = load_raw("digits")
    modules = submission(tmp_path, "optimizer", FAKE_ACCURACY)
    spec = {"config": TrainConfig(epochs=1).to_dict(), "data_dir": str(data_dir)}
    with Sandbox(modules, Limits(), data_dir=data_dir) as box:
        (result,) = box.run([Call(0, "train", spec, {}, 60)], NEEDS)
    assert result.ok and float(result.arrays["test_accuracy"]) == 0.99
    verdict = accuracy_judge(0.5, 1, "digits", raw.X_test, raw.y_test)([result], [], ())
    assert not verdict.passed and "reported test accuracy 0.9900, but its best weights give" in verdict.message


def test_an_honest_accuracy_is_confirmed_from_the_weights(data_dir):
    raw = load_raw("digits")
    spec = {"config": TrainConfig(epochs=1).to_dict(), "data_dir": str(data_dir)}
    with Sandbox(REFERENCE, Limits(), data_dir=data_dir) as box:
        (result,) = box.run([Call(0, "train", spec, {}, 60)], NEEDS)
    verdict = accuracy_judge(0.0, 1, "digits", raw.X_test, raw.y_test)([result], [], ())
    assert verdict.passed, verdict.message
