"""Benchmark: wall time of grading one submission, as a ratio to a baseline measured in the same run.

    python -m grader.bench_grade [PATH] [--repeats 3]

The baseline is one training epoch of the reference on 48,000 images, in this
process: on a shared machine the ratio moves less than the seconds do.
"""

import argparse
import statistics
import sys
import time

from tabulate import tabulate

from . import pipeline
from .data import load_dataset
from .harness.train_config import TrainConfig
from .harness.training import train_epoch
from .paths import REFERENCE_DIR, RUBRIC_FILE
from .rubric import load_rubric


def baseline_epoch_seconds(data):
    from reference.optimizer import SGD
    from reference.two_layer_net import TwoLayerNet
    config = TrainConfig()
    t0 = time.perf_counter()
    train_epoch(TwoLayerNet(), SGD(), data.X_train, data.y_train, config, 1)
    return time.perf_counter() - t0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grader.bench_grade", description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=str(REFERENCE_DIR), help="submission to grade (default: reference/)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dataset", default="mnist", choices=("mnist", "digits", "auto"))
    args = parser.parse_args(argv)
    rubric = load_rubric(RUBRIC_FILE)
    data = load_dataset(args.dataset)
    times, epochs = [], []
    for i in range(args.repeats):
        print(f"repeat {i + 1}/{args.repeats} ...", file=sys.stderr, flush=True)
        epochs.append(baseline_epoch_seconds(data))
        t0 = time.perf_counter()
        result = pipeline.grade(args.path, rubric, pipeline.Options(dataset=args.dataset))
        times.append(time.perf_counter() - t0)
    grade_s, epoch_s = statistics.median(times), statistics.median(epochs)
    print(tabulate([[result.submission, f"{result.score:g}/{result.max_score:g}", f"{grade_s:.2f}", f"{epoch_s:.3f}", f"{grade_s / epoch_s:.1f}"]],
                   headers=["submission", "score", "grading s (median)", "reference epoch s", "grading / epoch"], tablefmt="github"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
