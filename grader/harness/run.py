"""Launcher copied into the sandbox: `python -I -S SANDBOX/harness/run.py REQUEST.json`."""
import os
import sys

sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the sandbox root holds harness/
from harness.worker import main  # noqa: E402

main(sys.argv[1])
