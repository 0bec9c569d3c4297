"""`grader experiments`: the writeup's sweeps, tables, curves and theory figures.

Exit status: 0 when every run and theory call finished; 1 when some failed (the report
is still written and says why); 2 for a usage error (bad tuned file, missing submission
or dataset). Ctrl-C keeps the finished runs: the same command resumes.
"""

import argparse
import sys
from pathlib import Path

from grader import exits
from grader.data import DATASET_NAMES, DataError
from grader.experiments.pipeline import Options, run_experiments
from grader.experiments.sweeps import CHOICES, TUNED_FILE, parts
from grader.submission import SubmissionError


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_arguments(parser):
    parser.add_argument("--submission", type=Path, metavar="PATH",
                        help="folder or .zip whose modules to run (default: reference/)")
    parser.add_argument("--sweep", choices=CHOICES, default="all",
                        help="lr: learning rates 1, 0.1, 0.05, 0.01; reg: 1 ... 0.0001; tuned: the --tuned-config "
                             "run; theory: softmax Jacobian, perceptrons, XOR; all: everything (default)")
    parser.add_argument("--epochs", type=positive_int, metavar="N", help="train every run for N epochs (quick looks)")
    parser.add_argument("--jobs", type=positive_int, default=1, metavar="N",
                        help="runs in parallel, one process each (default: 1)")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="output folder (default: reports/experiments/<implementation name>/)")
    parser.add_argument("--dataset", choices=DATASET_NAMES, default="auto",
                        help="auto: MNIST if found, else the offline digits (default: auto)")
    parser.add_argument("--data-dir", type=Path, metavar="DIR", help="look here first for the MNIST files")
    parser.add_argument("--tuned-config", type=Path, default=TUNED_FILE, metavar="FILE",
                        help="TOML file of TrainConfig fields for the tuned run (default: grader/tuned.toml)")


def main(args):
    options = Options(submission=args.submission, parts=parts(args.sweep), epochs=args.epochs, jobs=args.jobs,
                      out=args.out, dataset=args.dataset, data_dir=args.data_dir, tuned_config=args.tuned_config)
    try:
        return run_experiments(options)
    except (ValueError, SubmissionError, DataError) as exc:
        print(f"grader experiments: error: {exc}", file=sys.stderr)
        return exits.USAGE
