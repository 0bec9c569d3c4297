"""Write reports/suite/timing.md from what `./dev test` recorded, for the test-suite figures of docs/figures.md.

    python -m tools.suite_report RECORD SECONDS STATUS

RECORD holds one JSON line per pytest run of `./dev test` (tests/conftest.py writes them when
$DEV_TEST_RECORD names the file); SECONDS is the whole command's wall time, set-up included, and
STATUS its exit status. `python -m tools.readme_sync` copies the result into docs/figures.md.
"""

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from grader.paths import PROJECT_DIR, REPORTS_DIR

OUT = REPORTS_DIR / "suite" / "timing.md"


def commit():
    """The short hash of HEAD, with "+changes" when the work tree differs from it; "unknown" outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_DIR, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_DIR,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+changes" if dirty else "")


def run_line(run, first):
    """One bullet: which tests, on which Python, and what they gave in how long."""
    what = "the whole suite" if first else "the fast tests again (`-m \"not slow\"`)"
    counts = [f"{run['passed']} passed"]
    counts += [f"{run['failed']} failed"] if run["failed"] else []
    counts += [f"{run['errors']} error" + ("s" if run["errors"] > 1 else "")] if run["errors"] else []
    skipped = f"{run['skipped']} skipped" + (f" ({run['mnist_skipped']} for want of MNIST)" if run["mnist_skipped"] else "")
    return f"- {what} on Python {run['python']}: {', '.join(counts)}, {skipped}, in {run['seconds']:.0f} s;"


def markdown(runs, seconds, status, environ=os.environ, today=None, revision=None):
    """The report's text: the command and its context, a line per pytest run, then the total."""
    ci = environ.get("CI", "") or "unset"
    lines = [f"`./dev test` on commit {revision or commit()}, {(today or date.today()).isoformat()}, with CI={ci} and "
             f"MNIST_DIR={environ.get('MNIST_DIR') or 'unset'}:"]
    lines += [run_line(run, i == 0) for i, run in enumerate(runs)]
    verdict = "passed" if status == 0 else f"FAILED (exit status {status})"
    lines.append(f"- **{seconds:.0f} s** of wall time in all, set-up included; the command {verdict}.")
    return "\n".join(lines) + "\n"


def main(argv=sys.argv[1:]):
    record, seconds, status = Path(argv[0]), float(argv[1]), int(argv[2])
    runs = [json.loads(line) for line in record.read_text().splitlines() if line.strip()] if record.exists() else []
    if not runs:
        print(f"suite_report: {record} holds no run; nothing written", file=sys.stderr)
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(markdown(runs, seconds, status))
    print(f"dev: wrote {OUT.relative_to(PROJECT_DIR)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
