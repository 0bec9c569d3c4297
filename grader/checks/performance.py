"""The epoch-time benchmark: the submission's training epoch against the reference's."""

import statistics
from dataclasses import dataclass

import numpy as np

from .. import blame
from ..harness.train_config import TrainConfig
from .base import Probe, Verdict
from .common import add, rng_for

NEEDS = ("two_layer_net", "optimizer")


@dataclass(frozen=True)
class PerformanceParams:
    """Rubric parameters of the performance group."""
    subset: int = 12000  # training images per timed epoch
    repeats: int = 5  # interleaved student/reference epochs; the median is compared
    max_ratio: float = 3.0  # student epoch time / reference epoch time


class ReferenceUntimed(RuntimeError):
    """The reference's epoch could not be timed although the submission's could: the grader's fault,
    reported as such (judge_safely), never charged to the student."""


SLOW_HINT = "vectorize over the batch: no Python loop over samples, hidden units or pixels"


def untimed_hint(message):
    """The hint for an epoch that could not be credited: slowness, wrong results and crashes differ."""
    if "reference's time" in message:
        return SLOW_HINT
    if "differ from the reference's epoch" in message:
        return "the timed epoch must compute what the reference computes: make the trajectory and training checks pass first"
    return "the epoch failed before it could be timed, which is not about speed: fix the error (the training checks run the same code)"


def ratio_judge(max_ratio):
    def judge(student, reference, probes):
        s, r = student[0], reference[0]
        if s.status in ("too_slow", "timeout"):  # measured from its first batches, or stopped by the deadline
            return Verdict(False, s.message, hint=SLOW_HINT)
        if s.status == "not_run":  # the grade's time budget left it out
            return Verdict(False, s.message)
        if not s.ok:  # before the reference: the submission's failure can stop the reference's epochs too
            return Verdict(False, s.message if s.status == "import_error" else f"the epoch could not be timed: {s.message}",
                           hint=untimed_hint(s.message))
        if not r.ok:
            raise ReferenceUntimed(f"the reference's epoch could not be timed ({r.message})")
        times = s.arrays.get("times")
        if not isinstance(times, np.ndarray) or times.ndim != 1 or not times.size or not np.all(np.isfinite(times)):
            return Verdict(False, "the epoch could not be timed: no epoch time was measured")
        ours, theirs = statistics.median(times.tolist()), statistics.median(r.arrays["times"].tolist())
        ratio = ours / theirs
        by = s.meta.get("verified", {}).get("by")
        checked = f"; the epochs' results were checked against {by}" if by else ""
        text = f"epoch time {ratio:.2f}x the reference's (median of {len(s.arrays['times'])}; limit {max_ratio:g}x{checked})"
        if ratio > max_ratio:
            return Verdict(False, text + "; look for Python loops over samples, units or pixels and replace them with matrix products",
                           hint=SLOW_HINT)
        return Verdict(True, text)
    return judge


def texts(params):
    """{check id: display sentence} of the performance check, known without any data."""
    return {"performance/epoch-time": f"training epoch within {params.max_ratio:g}x the reference's time"}


def checks(rubric, dataset, data_dir):
    rule = rubric.rule("performance")
    subset = rule.params.subset
    config = TrainConfig()
    # Timed with correct sigmoid/softmax helpers patched in, so a bug there costs its own points only.
    spec = {"config": config.to_dict(), "data_dir": str(data_dir), "subset": subset, "repeats": rule.params.repeats,
            "helpers": "provided"}
    probes = (Probe("timed_epochs", spec),)
    max_ratio = rule.params.max_ratio
    id = "performance/epoch-time"
    rng = rng_for(rubric.seed, id)
    batch = {"X": rng.random((config.batch_size, dataset.X_train.shape[1])), "y": rng.integers(0, 10, config.batch_size)}
    return [add([], id, texts(rule.params)[id], probes, ratio_judge(max_ratio), SLOW_HINT,
                "one matrix product handles a whole batch; Python loops over samples are slow", needs=NEEDS,
                depends_on=("two_layer_net.TwoLayerNet.forward",), kind="performance", diagnose=blame.speed_diagnosis(config, batch))]
