"""`grader skeleton`: write assignment/ from reference/, or check that it has not drifted."""

import sys
from pathlib import Path

from .. import exits, skeleton
from ..paths import ASSIGNMENT_DIR, REFERENCE_DIR


def add_arguments(parser):
    parser.add_argument("--reference", type=Path, default=REFERENCE_DIR,
                        help="solution folder with BEGIN/END SOLUTION markers (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=ASSIGNMENT_DIR, help="where to write the skeleton (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if --out differs from what would be generated")


def main(args):
    try:
        if args.check:
            stale = skeleton.drift(args.reference, args.out)
            if stale:
                print(f"grader skeleton: {args.out} is out of date in: {', '.join(stale)}; run `grader skeleton`", file=sys.stderr)
                return exits.FAILED
            print(f"{args.out} matches {args.reference}")
            return exits.OK
        for path in skeleton.generate(args.reference, args.out):
            print(f"wrote {path}")
        return exits.OK
    except skeleton.MarkerError as exc:
        print(f"grader skeleton: {exc}", file=sys.stderr)
        return exits.USAGE
