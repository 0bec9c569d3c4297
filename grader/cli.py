"""Command-line entry point: parses arguments and dispatches. No logic lives here."""

import argparse
import importlib
import sys

# (command, module under grader.commands, one-line help), in the order `grader --help` lists them.
COMMANDS = (
    ("grade", "grade", "grade one submission (a folder or .zip) against the reference"),
    ("check", "check", "student self-check: run the visible checks on assignment/"),
    ("experiments", "experiments", "run the writeup's sweeps and write tables and curves"),
    ("verify-report", "verify_report", "re-run the numbers a student reported and compare"),
    ("selftest", "selftest", "grade the corpus of buggy, correct and hostile submissions"),
    ("data", "data", "download or inspect the MNIST data"),
    ("skeleton", "skeleton", "generate assignment/ from reference/, or check it has not drifted"),
)


def build_parser(available):
    parser = argparse.ArgumentParser(
        prog="grader",
        description="Grade Assignment 1 submissions in isolated processes against reference/.",
        epilog="Run `grader COMMAND --help` for a command's options.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module, help_text in COMMANDS:
        p = sub.add_parser(name, help=help_text, description=help_text)
        available[module].add_arguments(p)
        p.set_defaults(run=available[module].main)
    return parser


def load_commands():
    return {module: importlib.import_module(f"grader.commands.{module}") for _, module, _ in COMMANDS}


def main(argv=None):
    args = build_parser(load_commands()).parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("grader: interrupted", file=sys.stderr)
        return 130
