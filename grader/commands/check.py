"""`grader check [PATH]`: the student's self-check. Visible checks only, nothing written."""

from pathlib import Path

from ..paths import ASSIGNMENT_DIR
from .grade import add_common, run


def add_arguments(parser):
    parser.add_argument("path", type=Path, nargs="?", default=ASSIGNMENT_DIR, help="your assignment folder (default: assignment/)")
    add_common(parser)
    parser.set_defaults(dataset="auto")


def main(args):
    status, _ = run(args, visible_only=True)
    return status
