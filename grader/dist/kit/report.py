"""The self-check's report: a terminal table, and Gradescope's results.json. Checks nothing."""

import json
import os
import textwrap
from pathlib import Path


def summary_line(report):
    missing = f"; missing: {', '.join(m + '.py' for m in report.missing)}" if report.missing else ""
    return (f"{report.path}: {report.score:g} / {report.max_score:g} points on the visible checks "
            f"(dataset: {report.dataset}{missing})")


def terminal_text(report, width=100):
    """One line per check (PASS or FAIL, points, name), and the feedback of failures indented below."""
    lines = []
    for r in report.results:
        mark = "PASS" if r.passed else ("ADVICE" if r.advice else "FAIL")
        lines.append(f"{mark:<4}  {r.score:>5g}/{r.max_score:<5g} {r.name}")
        if not r.passed or r.group in ("training", "performance"):
            text = r.feedback() if not r.passed else r.message
            lines.extend(textwrap.wrap(text, width, initial_indent="      ", subsequent_indent="      "))
    lines.append(summary_line(report))
    return "\n".join(lines)


def gradescope_dict(report):
    """results.json as the course grader writes it: score, execution_time, output, tests[] (visible checks only)."""
    tests = [{"name": r.name, "id": r.id, "score": r.score, "max_score": r.max_score, "status": "passed" if r.passed else "failed",
              "output": r.feedback(), "visibility": "visible", **({"advice": True} if r.advice else {})} for r in report.results]
    return {"score": report.score, "execution_time": round(report.seconds, 3), "output": summary_line(report),
            "tests": tests, "isolation": "process"}


def write_results(report, out_dir):
    """Write out_dir/results.json (through a temporary file and a rename). Returns its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "results.json"
    tmp = out_dir / f".results.json.{os.getpid()}"
    tmp.write_text(json.dumps(gradescope_dict(report), indent=2) + "\n")
    os.replace(tmp, path)
    return path
