"""Command-line entry point: parses arguments and dispatches. No logic lives here.

Only the chosen command's module is imported, so `grader --help` and `grader --version`
answer without loading NumPy or Matplotlib.
"""

import argparse
import contextlib
import importlib
import signal
import sys

from . import __version__, exits

DISTRIBUTION = "dl-assignment1-grader"  # the name in pyproject.toml

# (command, module under grader.commands, one-line help), in the order `grader --help` lists them.
COMMANDS = (
    ("grade", "grade", "grade one submission (a folder or .zip) against the reference"),
    ("check", "check", "student self-check: run the visible checks on assignment/"),
    ("experiments", "experiments", "run the writeup's sweeps and write tables and curves"),
    ("verify-report", "verify_report", "re-run the numbers a student reported and compare"),
    ("grade-class", "grade_class", "grade a class (a folder of submissions or a Gradescope export) into a gradebook"),
    ("gradebook", "gradebook", "merge the gradebooks of grade-class shards (gradebook merge DIR... --out DIR)"),
    ("selftest", "selftest", "grade the corpus of buggy, correct and hostile submissions"),
    ("data", "data", "download or inspect the MNIST data"),
    ("skeleton", "skeleton", "generate assignment/ from reference/, or check it has not drifted"),
    ("dist", "dist", "build the student kit (skeleton, README, self-check, ./dev) as a folder and a .zip"),
    ("package", "package", "zip a student's assignment folder for submission, refusing what does not belong"),
)


def version():
    """The installed package's version; grader.__version__ in a checkout that was never installed."""
    from importlib import metadata

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return __version__


class PrintVersion(argparse.Action):
    """--version: print `grader <version>` and exit 0 (the version is looked up only when asked)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, help="print the grader's version and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"grader {version()}")
        parser.exit(exits.OK)


def chosen(argv):
    """The command named by argv's first word, or None (`--help`, `--version`, a typo)."""
    names = {name for name, _, _ in COMMANDS}
    return argv[0] if argv and argv[0] in names else None


def build_parser(command=None):
    """The parser of every command; only `command`'s module is imported to add its options."""
    parser = argparse.ArgumentParser(
        prog="grader",
        description="Grade Assignment 1 submissions in isolated processes against reference/.",
        epilog="Run `grader COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action=PrintVersion)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module, help_text in COMMANDS:
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == command:
            loaded = importlib.import_module(f"grader.commands.{module}")
            loaded.add_arguments(p)
            p.set_defaults(run=loaded.main)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so that it unwinds exactly as on Ctrl-C."""


def _terminate(signum, frame):
    raise Terminated()


@contextlib.contextmanager
def sigterm_raises():
    """Within: SIGTERM raises Terminated (in the main thread; elsewhere it is left alone)."""
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(chosen(argv)).parse_args(argv)
    with sigterm_raises():
        try:
            return args.run(args)
        except Terminated:
            print("grader: terminated", file=sys.stderr)
            return exits.TERMINATED
        except KeyboardInterrupt:
            print("grader: interrupted", file=sys.stderr)
            return exits.INTERRUPTED
