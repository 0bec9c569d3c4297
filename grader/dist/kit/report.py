"""The self-check's report: a terminal table, and Gradescope's results.json. Checks nothing."""

import json
import os
import textwrap
from pathlib import Path
from xml.etree import ElementTree as ET


def summary_line(report):
    missing = f"; missing: {', '.join(m + '.py' for m in report.missing)}" if report.missing else ""
    return (f"{report.path}: {report.score:g} / {report.max_score:g} points on the visible checks "
            f"(dataset: {report.dataset}{missing})")


def terminal_text(report, width=100):
    """One line per check (PASS or FAIL, points, name), and the feedback of failures indented below."""
    lines = []
    for r in report.results:
        lines.append(f"{'PASS' if r.passed else 'FAIL'}  {r.score:>5g}/{r.max_score:<5g} {r.name}")
        if not r.passed or r.group in ("training", "performance"):
            text = r.feedback() if not r.passed else r.message
            lines.extend(textwrap.wrap(text, width, initial_indent="      ", subsequent_indent="      "))
    lines.append(summary_line(report))
    return "\n".join(lines)


def gradescope_dict(report):
    """results.json as the course grader writes it: score, execution_time, output, tests[] (visible checks only)."""
    tests = [{"name": r.name, "score": r.score, "max_score": r.max_score, "status": "passed" if r.passed else "failed",
              "output": r.feedback(), "visibility": "visible"} for r in report.results]
    return {"score": report.score, "execution_time": round(report.seconds, 3), "output": summary_line(report),
            "tests": tests, "isolation": "process"}


def junit_xml(report):
    """JUnit XML: one testcase per check (classname: its rubric group), a failure element when it failed."""
    suite = ET.Element("testsuite", name="assignment1.visible-checks", tests=str(len(report.results)),
                       failures=str(sum(not r.passed for r in report.results)), time=f"{report.seconds:.3f}")
    for r in report.results:
        case = ET.SubElement(suite, "testcase", classname=r.group, name=r.name, time=f"{r.seconds:.3f}")
        if not r.passed:
            failure = ET.SubElement(case, "failure", message=r.feedback()[:500])
            failure.text = r.feedback()
        ET.SubElement(case, "properties").append(ET.Element("property", name="points", value=f"{r.score:g}/{r.max_score:g}"))
    return ET.tostring(suite, encoding="unicode") + "\n"


def write_atomic(path, text):
    """Write text to path (its folder created) through a temporary file and a rename. Returns path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return path


def write_junit(report, path):
    return write_atomic(path, junit_xml(report))


def write_results(report, out_dir):
    """Write out_dir/results.json (through a temporary file and a rename). Returns its path."""
    return write_atomic(Path(out_dir) / "results.json", json.dumps(gradescope_dict(report), indent=2) + "\n")
