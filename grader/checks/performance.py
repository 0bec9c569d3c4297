"""The epoch-time benchmark: the submission's training epoch against the reference's."""

import statistics
from dataclasses import dataclass

from ..harness.train_config import TrainConfig
from .base import Probe, Verdict
from .common import add

NEEDS = ("two_layer_net", "optimizer")


@dataclass(frozen=True)
class PerformanceParams:
    """Rubric parameters of the performance group."""
    subset: int = 12000  # training images per timed epoch
    repeats: int = 5  # interleaved student/reference epochs; the median is compared
    max_ratio: float = 3.0  # student epoch time / reference epoch time


def ratio_judge(max_ratio):
    def judge(student, reference, probes):
        s, r = student[0], reference[0]
        if s.status in ("too_slow", "timeout", "not_run", "import_error"):
            return Verdict(False, s.message)  # measured from its first batches, or known before any epoch was timed
        if not r.ok:
            return Verdict(False, f"the reference's epoch could not be timed ({r.message}); this is a grader fault")
        if not s.ok:
            return Verdict(False, f"the epoch could not be timed: {s.message}")
        ours, theirs = statistics.median(s.arrays["times"].tolist()), statistics.median(r.arrays["times"].tolist())
        ratio = ours / theirs
        by = s.meta.get("verified", {}).get("by")
        checked = f"; the epochs' results were checked against {by}" if by else ""
        text = f"epoch time {ratio:.2f}x the reference's (median of {len(s.arrays['times'])}; limit {max_ratio:g}x{checked})"
        if ratio > max_ratio:
            return Verdict(False, text + "; look for Python loops over samples, units or pixels and replace them with matrix products")
        return Verdict(True, text)
    return judge


def checks(rubric, dataset, data_dir):
    rule = rubric.rule("performance")
    subset = rule.params.subset
    config = TrainConfig()
    # Timed with correct sigmoid/softmax helpers patched in, so a bug there costs its own points only.
    spec = {"config": config.to_dict(), "data_dir": str(data_dir), "subset": subset, "repeats": rule.params.repeats,
            "helpers": "provided"}
    probes = (Probe("timed_epochs", spec),)
    max_ratio = rule.params.max_ratio
    return [add([], "performance/epoch-time", f"training epoch within {max_ratio:g}x the reference's time", probes,
                ratio_judge(max_ratio), "vectorize over the batch: no Python loop over samples, hidden units or pixels",
                "one matrix product handles a whole batch; Python loops over samples are slow", needs=NEEDS,
                depends_on=("two_layer_net.TwoLayerNet.forward",), kind="performance")]
