"""Benchmark: wall time of grading one submission in each isolation mode, as ratios measured in the same run.

    python -m grader.bench_grade [PATH] [--repeats 3] [--modes process,bwrap]

Each repeat grades the submission once per mode, interleaved, so load on the
machine falls on both alike. Reported: the median grading time per mode, each
as a ratio to one training epoch of the reference (48,000 images, in this
process), and the ratio of bwrap to process isolation.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # before NumPy loads: one BLAS
    os.environ.setdefault(_var, "1")  # thread, as in the sandbox, so the baseline epoch is comparable and stable

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from tabulate import tabulate  # noqa: E402

from . import isolation, pipeline
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
    parser.add_argument("--modes", default="process,bwrap", help="isolation modes to compare (default: %(default)s)")
    args = parser.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    if "bwrap" in modes and isolation.bwrap_problem(sys.executable):
        print(f"bench_grade: leaving out bwrap: {isolation.bwrap_problem(sys.executable)}", file=sys.stderr)
        modes.remove("bwrap")
    rubric = load_rubric(RUBRIC_FILE)
    data = load_dataset(args.dataset)
    times, epochs, results = {m: [] for m in modes}, [], {}
    for i in range(args.repeats):
        epochs.append(baseline_epoch_seconds(data))
        for mode in modes:
            print(f"repeat {i + 1}/{args.repeats}: grading with {mode} isolation ...", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            results[mode] = pipeline.grade(args.path, rubric, pipeline.Options(dataset=args.dataset, isolation=mode))
            times[mode].append(time.perf_counter() - t0)
    epoch_s = statistics.median(epochs)
    rows = [[results[m].submission, m, f"{results[m].score:g}/{results[m].max_score:g}", f"{statistics.median(times[m]):.2f}",
             f"{epoch_s:.3f}", f"{statistics.median(times[m]) / epoch_s:.1f}"] for m in modes]
    print(tabulate(rows, headers=["submission", "isolation", "score", "grading s (median)", "reference epoch s", "grading / epoch"],
                   tablefmt="github"))
    if set(modes) >= {"process", "bwrap"}:
        print(f"\nbwrap / process grading time: {statistics.median(times['bwrap']) / statistics.median(times['process']):.2f} "
              f"(median of {args.repeats}; the issue's bound: 1.3)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
