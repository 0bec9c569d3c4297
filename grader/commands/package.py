"""`grader package [PATH] [--out FILE]`: zip a student's work for submission (the kit's `./dev package`)."""

from .. import exits
from ..paths import ASSIGNMENT_DIR
from ..dist.kit import package


def add_arguments(parser):
    parser.description = (
        "Zip an assignment folder for submission: the five modules (all required), any other .py file, and README or "
        "notes files, under assignment/ in the zip. Refuses, listing every reason (exit 2), a missing module, a symlink "
        "or special file, a file over 1 MB, and any other kind of file. __pycache__ is left out. Prints what it packed.")
    package.add_arguments(parser, ASSIGNMENT_DIR)


def main(args):
    status = package.main(args)
    return exits.OK if status == 0 else exits.USAGE
