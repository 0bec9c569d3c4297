"""Benchmark: throughput of `grader grade-class` on corpus cases, with --jobs 1 and then --jobs 2.

    python -m tools.bench_class [--cases 6] [--jobs 1,2] [--rubric tests/corpus/rubric.toml] [--only PATTERN]

The class is the first N cases of tests/corpus/bugs and alternatives (each the reference
overlaid with the case's files), graded from scratch (--force) once per --jobs value.
Reported: wall seconds, submissions per minute, and each run's speed-up over the first.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tabulate import tabulate

from grader import corpus
from grader.paths import PROJECT_DIR

CORPUS_RUBRIC = corpus.CORPUS_DIR / "rubric.toml"


def build_class(n, folder):
    """The first n non-hostile corpus cases as a class of submission folders under folder."""
    cases = corpus.load_cases(kinds=("bugs", "alternatives"))
    picked = cases[:: max(1, len(cases) // n)][:n]  # spread over the corpus, not n neighbours
    for case in picked:
        corpus.materialize(case, Path(folder) / case.name)
    return [c.name for c in picked]


def grade_class_seconds(klass, out, jobs, rubric, only):
    """Wall seconds of one `grader grade-class --force` run (a failure is an error)."""
    command = [sys.executable, "-m", "grader", "grade-class", str(klass), "--out", str(out), "--jobs", str(jobs),
               "--force", "--rubric", str(rubric)] + (["--only", only] if only else [])
    t0 = time.perf_counter()
    done = subprocess.run(command, cwd=PROJECT_DIR, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"bench_class: grade-class --jobs {jobs} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tools.bench_class", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=6, help="submissions in the class (default: %(default)s)")
    parser.add_argument("--jobs", default="1,2", help="--jobs values to compare (default: %(default)s)")
    parser.add_argument("--rubric", type=Path, default=CORPUS_RUBRIC, help="rubric (default: the corpus rubric, short time budgets)")
    parser.add_argument("--only", help="grade only matching checks (default: all)")
    args = parser.parse_args(argv)
    jobs = [int(j) for j in args.jobs.split(",") if j]
    with tempfile.TemporaryDirectory(prefix="bench-class-") as work:
        os.chmod(work, 0o755)  # the sandbox may run as an unprivileged uid
        names = build_class(args.cases, Path(work) / "class")
        print(f"class: {len(names)} corpus case(s): {', '.join(names)}", file=sys.stderr)
        rows, first = [], None
        for j in jobs:
            print(f"grading with --jobs {j} ...", file=sys.stderr, flush=True)
            seconds = grade_class_seconds(Path(work) / "class", Path(work) / f"out{j}", j, args.rubric, args.only)
            first = first or seconds
            rows.append([j, len(names), f"{seconds:.1f}", f"{60 * len(names) / seconds:.1f}", f"{first / seconds:.2f}"])
    print(tabulate(rows, headers=["jobs", "submissions", "wall s", "submissions / min", "speed-up"], tablefmt="github"))
    print(f"\n{os.cpu_count()} CPU(s) on this machine")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
