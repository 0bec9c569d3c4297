"""Runs are cached by (config, dataset, source), saved as each finishes, and resumable."""

import shutil
import threading
import time

import pytest

from grader.experiments.cache import RunCache
from grader.experiments.identity import run_key, source_id
from grader.experiments.runs import (Cancelled, CachedRuns, RunFailure, RunResult, result_from_call, run_all)
from grader.experiments.sweeps import LR, sweep_configs
from grader.experiments.workspace import open_workspace
from grader.harness.train_config import TrainConfig
from grader.harness.training import EpochRecord
from grader.paths import REFERENCE_DIR
from grader.sandbox import CallResult

CONFIGS = sweep_configs(LR, epochs=1)  # four configs


def fake_result(config, accuracy=0.5):
    history = tuple(EpochRecord(e, 1.0, accuracy, 1.1, accuracy) for e in range(1, config.epochs + 1))
    return RunResult(config, accuracy, accuracy, accuracy, 0.01, history)


class CountingRunner:
    """run_one that records the configs it ran; optionally interrupted on its n-th call."""

    def __init__(self, interrupt_on=None):
        self.ran, self.interrupt_on = [], interrupt_on

    def __call__(self, config, on_epoch):
        if self.interrupt_on is not None and len(self.ran) + 1 == self.interrupt_on:
            raise KeyboardInterrupt
        self.ran.append(config)
        on_epoch({"epoch": 1})
        return fake_result(config, accuracy=config.learning_rate / 2)


def store(folder, source="src-1"):
    return CachedRuns(RunCache(folder), lambda config: run_key(config, "digits:abc", source))


def test_a_finished_sweep_is_answered_from_the_cache(tmp_path):
    first = CountingRunner()
    outcomes = run_all(CONFIGS, first, store(tmp_path))
    again = CountingRunner()
    cached = run_all(CONFIGS, again, store(tmp_path))
    assert first.ran == list(CONFIGS) and again.ran == []
    assert cached == outcomes


def test_a_config_listed_twice_runs_once(tmp_path):
    runner = CountingRunner()
    outcomes = run_all([CONFIGS[0], CONFIGS[1], CONFIGS[0]], runner, store(tmp_path))
    assert runner.ran == [CONFIGS[0], CONFIGS[1]] and list(outcomes) == [CONFIGS[0], CONFIGS[1]]


def test_changed_source_or_dataset_misses_the_cache(tmp_path):
    run_all(CONFIGS[:1], CountingRunner(), store(tmp_path, source="src-1"))
    runner = CountingRunner()
    run_all(CONFIGS[:1], runner, store(tmp_path, source="src-2"))
    assert runner.ran == [CONFIGS[0]]
    assert run_key(CONFIGS[0], "digits:abc", "s") != run_key(CONFIGS[0], "mnist:abc", "s")


def test_source_id_changes_when_a_module_or_the_harness_changes(tmp_path):
    code = tmp_path / "impl"
    shutil.copytree(REFERENCE_DIR, code)
    modules = {p.stem: p for p in code.glob("*.py") if p.stem != "__init__"}
    before = source_id(modules)
    assert source_id(modules) == before
    with open(modules["softmax"], "a") as f:
        f.write("\n# an edit\n")
    assert source_id(modules) != before
    harness = tmp_path / "harness"
    harness.mkdir()
    (harness / "probes.py").write_text("x = 1\n")
    assert source_id(modules, harness) != source_id(modules)
    assert source_id({k: v for k, v in modules.items() if k != "perceptron"}) != source_id(modules)


def test_an_interrupted_sweep_resumes_with_only_the_unfinished_runs(tmp_path):
    interrupted = CountingRunner(interrupt_on=2)
    with pytest.raises(KeyboardInterrupt):
        run_all(CONFIGS, interrupted, store(tmp_path))
    assert interrupted.ran == [CONFIGS[0]]
    assert len(list(tmp_path.glob("*.json"))) == 1 and not list(tmp_path.glob(".*"))  # no half-written file
    resumed = CountingRunner()
    outcomes = run_all(CONFIGS, resumed, store(tmp_path))
    assert resumed.ran == list(CONFIGS[1:])
    assert all(isinstance(o, RunResult) for o in outcomes.values())


def test_an_interrupt_stops_runs_in_flight_at_their_next_epoch(tmp_path):
    """With two jobs, the second run still training gets Cancelled from its epoch callback."""
    seen = {}
    started = threading.Event()

    def run_one(config, on_epoch):
        if config == CONFIGS[0]:
            started.wait(5)
            raise KeyboardInterrupt
        started.set()
        try:
            for epoch in range(1, 500):
                on_epoch({"epoch": epoch})
                time.sleep(0.01)
        except Cancelled:
            seen["cancelled_at"] = epoch
            raise
        return fake_result(config)

    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        run_all(CONFIGS[:2], run_one, store(tmp_path), jobs=2)
    assert "cancelled_at" in seen and time.monotonic() - t0 < 3
    assert not list(tmp_path.glob("*.json"))


def test_failed_runs_are_reported_but_not_cached(tmp_path):
    def failing(config, on_epoch):
        return RunFailure(config, "raised NotImplementedError")
    outcomes = run_all(CONFIGS[:1], failing, store(tmp_path))
    assert outcomes[CONFIGS[0]].message == "raised NotImplementedError"
    assert not list(tmp_path.glob("*.json"))


def test_an_unreadable_cache_file_is_a_miss(tmp_path):
    s = store(tmp_path)
    s.cache.path(s.key_of(CONFIGS[0])).write_text("{not json")
    runner = CountingRunner()
    run_all(CONFIGS[:1], runner, s)
    assert runner.ran == [CONFIGS[0]]


def test_a_result_survives_the_json_round_trip_with_nan_as_null():
    result = fake_result(TrainConfig(epochs=2), accuracy=float("nan"))
    doc = result.to_dict()
    assert doc["train_accuracy"] is None and doc["history"][0]["epoch"] == 1
    back = RunResult.from_dict(doc)
    assert back.config == result.config and back.history[1].epoch == 2 and back.test_accuracy != back.test_accuracy


def test_a_failed_or_malformed_train_call_becomes_a_failure_with_a_message():
    config = TrainConfig(epochs=2)
    crashed = CallResult("error", "raised NotImplementedError (at two_layer_net.py line 40)", {}, {}, 0.1)
    assert result_from_call(config, crashed).message.startswith("raised NotImplementedError")
    empty = CallResult("ok", "", {}, {}, 0.1)
    assert "returned no train_accuracy" in result_from_call(config, empty).message


@pytest.fixture
def reference_copy(tmp_path):
    code = tmp_path / "mine"
    shutil.copytree(REFERENCE_DIR, code)
    return code


def test_real_runs_hit_the_cache_until_the_source_changes(reference_copy, tmp_path):
    """End to end in the sandbox, on digits for one epoch: run, re-use, edit, re-run."""
    config = TrainConfig(epochs=1)

    def counted(ws):
        calls = []
        runner = ws.runner()

        def run_one(c, on_epoch):
            calls.append(c)
            return runner(c, on_epoch)
        return run_one, calls

    cache_dir = tmp_path / "cache"
    with open_workspace(reference_copy, "digits") as ws:
        run_one, calls = counted(ws)
        first = run_all([config], run_one, ws.store(cache_dir))[config]
        assert isinstance(first, RunResult) and len(first.history) == 1 and calls == [config]
        run_one, calls = counted(ws)
        assert run_all([config], run_one, ws.store(cache_dir))[config] == first and calls == []
    with open(reference_copy / "optimizer.py", "a") as f:
        f.write("\n# changed\n")
    with open_workspace(reference_copy, "digits") as ws:
        run_one, calls = counted(ws)
        run_all([config], run_one, ws.store(cache_dir))
        assert calls == [config]
