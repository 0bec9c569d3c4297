"""Training runs: one config = one sandboxed run of the provided loop, cached and resumable.

run_all() takes the configs, answers what it can from the cache, and runs the rest
`jobs` at a time, each in its own Sandbox process driven by a thread. Every finished
run is saved the moment it finishes, so an interrupt loses only the runs in flight;
on KeyboardInterrupt the runs in flight are stopped at their next epoch.
"""

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from grader.harness.train_config import TrainConfig
from grader.harness.training import EpochRecord
from grader.sandbox import Call, Limits, Sandbox

from .sweeps import canonical

HISTORY_KEYS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy")
SECONDS_PER_EPOCH = 600.0  # wall-time allowance of one epoch in the sandbox (MNIST 64x128: ~2 s)
STARTUP_SECONDS = 120.0  # loading the data and importing the implementation


@dataclass(frozen=True)
class RunResult:
    config: TrainConfig
    train_accuracy: float  # mean over the last epoch's batches
    val_accuracy: float  # of the best epoch
    test_accuracy: float  # of the best-validation weights
    seconds: float  # wall time of the sandboxed run, as measured when it ran
    history: tuple  # of EpochRecord, one per epoch

    def accuracy(self, metric):
        """metric: "train", "val" or "test"."""
        return getattr(self, f"{metric}_accuracy")

    def to_dict(self):
        """The results.json entry; non-finite numbers become null."""
        return {
            "config": canonical(self.config).to_dict(),
            "train_accuracy": _json_number(self.train_accuracy),
            "val_accuracy": _json_number(self.val_accuracy),
            "test_accuracy": _json_number(self.test_accuracy),
            "seconds": _json_number(self.seconds),
            "history": [{"epoch": r.epoch, **{k: _json_number(getattr(r, k)) for k in HISTORY_KEYS}}
                        for r in self.history],
        }

    @classmethod
    def from_dict(cls, doc):
        """Inverse of to_dict (null -> nan). Raises KeyError/TypeError/ValueError on a malformed doc."""
        history = tuple(EpochRecord(int(h["epoch"]), *(_number(h[k]) for k in HISTORY_KEYS)) for h in doc["history"])
        return cls(canonical(TrainConfig.from_dict(doc["config"])), _number(doc["train_accuracy"]),
                   _number(doc["val_accuracy"]), _number(doc["test_accuracy"]), _number(doc["seconds"]), history)


@dataclass(frozen=True)
class RunFailure:
    config: TrainConfig
    message: str  # why there is no result, e.g. "raised NotImplementedError (at two_layer_net.py line 40)"
    seconds: float = 0.0


class Cancelled(Exception):
    """Raised from the epoch callback to stop a run in flight (the sandbox then kills its process)."""


def _json_number(value):
    return float(value) if value is not None and math.isfinite(value) else None


def _number(value):
    return math.nan if value is None else float(value)


def train_timeout(config):
    """Seconds a run of config may take in the sandbox."""
    return STARTUP_SECONDS + SECONDS_PER_EPOCH * config.epochs


def result_from_call(config, call_result):
    """RunResult from the `train` probe's CallResult, or RunFailure saying what is wrong."""
    if not call_result.ok:
        return RunFailure(config, call_result.message or call_result.status, call_result.seconds)
    arrays = call_result.arrays
    missing = [k for k in ("train_accuracy", "val_accuracy", "test_accuracy", *(f"history.{k}" for k in HISTORY_KEYS))
               if k not in arrays]
    if missing:
        return RunFailure(config, f"the run returned no {', '.join(missing)}", call_result.seconds)
    curves = [arrays[f"history.{k}"].astype(float).ravel() for k in HISTORY_KEYS]  # each (epochs,)
    if any(len(c) != config.epochs for c in curves):
        return RunFailure(config, f"the run returned {len(curves[0])} epochs of history, expected {config.epochs}",
                          call_result.seconds)
    history = tuple(EpochRecord(e + 1, *(float(c[e]) for c in curves)) for e in range(config.epochs))
    return RunResult(config, float(arrays["train_accuracy"]), float(arrays["val_accuracy"]),
                     float(arrays["test_accuracy"]), call_result.seconds, history)


@dataclass(frozen=True)
class SandboxRunner:
    """run_one(config, on_epoch) for run_all: the `train` probe in a fresh Sandbox."""

    modules: dict  # module name -> Path, as Submission.modules
    data_dir: str  # folder of X_train.npy ... y_test.npy, readable by the sandbox
    limits: Limits = Limits(blas_threads=1)

    def __call__(self, config, on_epoch):
        spec = {"config": canonical(config).to_dict(), "data_dir": str(self.data_dir)}
        call = Call(0, "train", spec, timeout=train_timeout(config))
        with Sandbox(self.modules, self.limits, data_dir=self.data_dir, relaxed=True) as box:  # no secret: the writeup's own runs
            [result] = box.run([call], imports=list(self.modules), on_event=lambda event: on_epoch(event.get("data")))
        return result_from_call(config, result)


@dataclass(frozen=True)
class CachedRuns:
    """Where finished runs are stored, and the identity their keys include."""

    cache: object  # a RunCache
    key_of: object  # config -> run key (see identity.run_key)

    def get(self, config):
        doc = self.cache.get(self.key_of(config))
        try:
            return RunResult.from_dict(doc["run"]) if doc else None
        except (KeyError, TypeError, ValueError):
            return None

    def put(self, result):
        self.cache.put(self.key_of(result.config), {"run": result.to_dict()})


def run_all(configs, run_one, store, jobs=1, progress=None):
    """Run each distinct config once, reusing stored results; config -> RunResult | RunFailure.

    run_one(config, on_epoch) -> RunResult | RunFailure, where on_epoch(record dict) is
    called per epoch and may raise Cancelled. store: a CachedRuns. Results are stored as
    each run finishes; failures are not stored. A KeyboardInterrupt (here or from run_one)
    cancels the queued runs, stops those in flight at their next epoch, and propagates.
    """
    unique = list(dict.fromkeys(canonical(c) for c in configs))
    total, outcomes, todo = len(unique), {}, []
    for i, config in enumerate(unique, 1):
        cached = store.get(config)
        if cached is not None:
            outcomes[config] = cached
            if progress:
                progress.cached(i, total, config)
        else:
            todo.append((i, config))
    stop = threading.Event()

    def work(i, config):
        start = time.monotonic()

        def on_epoch(record):
            if stop.is_set():
                raise Cancelled()
            if progress and isinstance(record, dict):
                progress.epoch(i, total, config, record, time.monotonic() - start)

        if progress:
            progress.started(i, total, config)
        outcome = run_one(config, on_epoch)
        if isinstance(outcome, RunResult):
            store.put(outcome)
        if progress:
            progress.finished(i, total, config, outcome, time.monotonic() - start)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(work, i, config): config for i, config in todo}
        try:
            for future in as_completed(futures):
                outcomes[futures[future]] = future.result()
        except BaseException:
            stop.set()
            for future in futures:
                future.cancel()
            raise
    return {config: outcomes[config] for config in unique}
