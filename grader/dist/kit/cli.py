"""The kit's `grader` command (`./dev check`, `./dev package`, or `python -m checker`): parses and dispatches."""

import argparse
import sys
from pathlib import Path

from . import package

KIT_DIR = Path(__file__).resolve().parent.parent
ASSIGNMENT = KIT_DIR / "assignment"


def build_parser():
    parser = argparse.ArgumentParser(prog="grader", description="Assignment 1 student kit: check your work, then package it.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    check = sub.add_parser("check", help="run the visible checks on your assignment folder",
                           description="Run the visible checks of the course grader on your code, with the kit's public inputs. "
                                       "Your code runs in a separate process, so a crash or a hang is reported, not fatal. "
                                       "Exits 0 whatever the checks found, unless --exit-code.")
    check.add_argument("path", type=Path, nargs="?", default=ASSIGNMENT, help="your assignment folder (default: the kit's assignment/)")
    check.add_argument("--only", metavar="PATTERN", help="run only checks whose name matches (glob, or a substring), e.g. 'softmax.*'")
    check.add_argument("--group", action="append", metavar="GROUP",
                       help="run only the checks of this rubric group, named exactly, e.g. softmax.softmax (repeatable)")
    check.add_argument("--dataset", default="auto", choices=("auto", "mnist", "digits"),
                       help="data of the training check: mnist, digits (needs scikit-learn), or auto (MNIST if found, else digits)")
    check.add_argument("--data-dir", help="folder holding the four MNIST .gz files (else $MNIST_DIR, ~/.cache/dl-grader/mnist, or mnist/ in the kit)")
    check.add_argument("--threads", type=int, default=1, help="BLAS threads of your code's process (default 1, as graded)")
    check.add_argument("--out", type=Path, metavar="DIR", help="also write DIR/results.json in Gradescope's format (visible checks only)")
    check.add_argument("--junit", type=Path, metavar="FILE", help="also write JUnit XML to FILE (one testcase per check)")
    check.add_argument("--exit-code", action="store_true", help="exit 1 when a check failed (for CI, e.g. GitHub Classroom)")
    check.add_argument("--quiet", action="store_true", help="print only the summary line")
    check.set_defaults(run=run_check)
    pack = sub.add_parser("package", help="zip your assignment for submission",
                          description="Zip your assignment folder for submission: the five modules (required), any other .py "
                                      "file, and README or notes files. Refuses symlinks, files over 1 MB and other files "
                                      "(exit 2, with every reason).")
    package.add_arguments(pack, ASSIGNMENT)
    pack.set_defaults(run=package.main)
    return parser


def run_check(args):
    from . import report, selfcheck
    from .data.errors import DataError
    if not Path(args.path).is_dir():
        print(f"grader check: error: {args.path} is not a folder", file=sys.stderr)
        return 2
    if args.threads < 1:
        print("grader check: error: --threads must be at least 1", file=sys.stderr)
        return 2
    progress = (lambda msg: None) if args.quiet else (lambda msg: print(f"grader: {msg} ...", file=sys.stderr, flush=True))
    try:
        result = selfcheck.run(args.path, selfcheck.Selection(args.only, tuple(args.group or ())), args.dataset, args.data_dir,
                               args.threads, progress)
    except DataError as exc:
        print(f"grader check: error: {exc}", file=sys.stderr)
        return 2
    if not result.results:
        print(f"grader check: error: no check matches {selection_text(args)}", file=sys.stderr)
        return 2
    print(report.summary_line(result) if args.quiet else report.terminal_text(result))
    for what, path, write in (("--out", args.out, report.write_results), ("--junit", args.junit, report.write_junit)):
        if path:
            try:
                print(f"wrote {write(result, path)}", file=sys.stderr)
            except OSError as exc:
                print(f"grader check: error: cannot write {what} {path}: {exc}", file=sys.stderr)
                return 2
    return 1 if args.exit_code and not all(r.passed for r in result.results) else 0


def selection_text(args):
    parts = ([f"--only {args.only!r}"] if args.only else []) + [f"--group {g!r}" for g in args.group or ()]
    return " and ".join(parts)


def main(argv=None):
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("grader: interrupted", file=sys.stderr)
        return 130
