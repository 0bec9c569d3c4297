"""`grader verify-report`: re-run the configs a student reported numbers for, and compare.

Exit status: 0 when the check completed (whatever it found; 1 with --fail-on-mismatch
when a claim is off by more than the tolerance or could not be re-run), 2 for a usage
error (unreadable claims or tuned file, missing submission or dataset).
The claims file formats are described in grader/experiments/claims.py.
"""

import argparse
import sys
from pathlib import Path

from grader import exits
from grader.data import DATASET_NAMES, DataError
from grader.experiments.claims import DEFAULT_TOLERANCE, claims_table, summary
from grader.experiments.sweeps import TUNED_FILE
from grader.experiments.verify import VerifyOptions, verify
from grader.submission import SubmissionError

from .experiments import positive_int


def tolerance(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {value}")
    return value


def add_arguments(parser):
    parser.add_argument("--submission", type=Path, required=True, metavar="PATH", help="folder or .zip to re-run")
    parser.add_argument("--claims", type=Path, required=True, metavar="FILE",
                        help="claimed numbers: .toml, .csv, or text lines like 'lr=1: train 0.9433, test 0.9507'")
    parser.add_argument("--tolerance", type=tolerance, default=DEFAULT_TOLERANCE, metavar="T",
                        help=f"largest absolute accuracy difference accepted (default: {DEFAULT_TOLERANCE})")
    parser.add_argument("--fail-on-mismatch", action="store_true",
                        help="exit 1 when a claim is not reproduced within the tolerance")
    parser.add_argument("--dataset", choices=DATASET_NAMES, default="auto",
                        help="auto: MNIST if found, else the offline digits (default: auto)")
    parser.add_argument("--data-dir", type=Path, metavar="DIR", help="look here first for the MNIST files")
    parser.add_argument("--tuned-config", type=Path, default=TUNED_FILE, metavar="FILE",
                        help="the tuned config that `tuned` claims refer to (default: grader/tuned.toml)")
    parser.add_argument("--jobs", type=positive_int, default=1, metavar="N", help="runs in parallel (default: 1)")
    parser.add_argument("--cache-dir", type=Path, metavar="DIR",
                        help="finished runs (default: reports/experiments/<name>/cache, shared with experiments)")
    parser.add_argument("--epochs", type=positive_int, metavar="N",
                        help="re-run with N epochs instead of each config's own "
                             "(a quick look: the claims are about full runs)")


def main(args):
    options = VerifyOptions(submission=args.submission, claims=args.claims, tolerance=args.tolerance,
                            dataset=args.dataset, data_dir=args.data_dir, tuned_config=args.tuned_config,
                            jobs=args.jobs, cache_dir=args.cache_dir, epochs=args.epochs)
    try:
        checks = verify(options)
    except (ValueError, SubmissionError, DataError) as exc:
        print(f"grader verify-report: error: {exc}", file=sys.stderr)
        return exits.USAGE
    print(claims_table(checks))
    print()
    print(summary(checks))
    if args.fail_on_mismatch and not all(c.within for c in checks):
        return exits.FAILED
    return exits.OK
