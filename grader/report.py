"""Turning a GradingResult into what people and tools read. Grades nothing."""

import json
import os
import secrets
from pathlib import Path
from xml.etree import ElementTree as ET

from tabulate import tabulate

from .budget import summary as budget_summary

TIMING_FIELDS = ("execution_time",)  # fields of results.json that depend on the clock


def summary_line(result):
    """'alice: 93 / 100 points (dataset: ...); graded in 187 s of a 240 s budget; 2 checks not run (budget)'."""
    line = f"{result.submission}: {result.score:g} / {result.max_score:g} points (dataset: {result.dataset})"
    if result.budget_s:
        line += "; " + budget_summary(result.seconds, result.budget_s, result.not_run)
    return line


def gradescope_dict(result):
    """Gradescope's results.json: score, execution_time, output, tests[]."""
    tests = [{
        "name": r.name,
        "id": r.id,  # stable; Gradescope ignores it
        "score": r.score,
        "max_score": r.max_score,
        "status": "passed" if r.passed else "failed",
        "output": r.feedback(),
        "visibility": r.visibility,
        **({"advice": True} if r.advice else {}),  # advice: worth only the points the rubric gives it
    } for r in result.results]
    output = summary_line(result)
    if result.missing:
        output += f"\nMissing files: {', '.join(m + '.py' for m in result.missing)}."
    if result.grader_faults:
        output += "\nThe grader itself failed; those failures are not your fault and will be reviewed."
    if result.isolation != "bwrap":
        output += f"\nIsolation: {result.isolation} (not bwrap's namespaces; see docs/threat-model.md)"
        output += f": {layers_phrase(result.layers)}." if result.layers.get("mode") == "process" else "."
    return {"score": result.score, "execution_time": round(result.seconds, 3), "output": output, "tests": tests,
            "isolation": result.isolation,
            "isolation_layers": dict(result.layers),
            "budget": {"seconds": result.budget_s, "used": round(result.seconds, 3), "not_run": result.not_run}}


def layers_phrase(layers):
    """What a process-mode sandbox had, from results.json's isolation_layers; claims nothing it lacked."""
    abi = layers.get("landlock_abi") or 0
    envelope = {"cgroup": "all its processes bounded by a cgroup", "watchdog": "all its processes bounded by a watchdog"}
    return ", ".join(["a uid of its own" if layers.get("uid_separation") else "the grader's own uid",
                      "a seccomp filter" if layers.get("seccomp") else "no seccomp filter",
                      f"Landlock file rules (ABI {abi})" if layers.get("landlock") else "no Landlock file rules",
                      *([envelope[layers["envelope"]]] if layers.get("envelope") in envelope else [])])


def junit_xml(result):
    """JUnit XML for CI systems: one testcase per check, a failure element when it failed."""
    suite = ET.Element("testsuite", name=f"grader.{result.submission}", tests=str(len(result.results)),
                       failures=str(sum(not r.passed and not r.advice for r in result.results)), time=f"{result.seconds:.3f}")
    for r in result.results:
        classname, _, name = r.name.partition(": ")
        case = ET.SubElement(suite, "testcase", classname=classname, name=name or classname, time=f"{r.seconds:.3f}")
        if not r.passed and not r.advice:
            failure = ET.SubElement(case, "failure", message=r.feedback()[:500])
            failure.text = r.feedback()
        properties = ET.SubElement(case, "properties")
        properties.append(ET.Element("property", name="points", value=f"{r.score:g}/{r.max_score:g}"))
        properties.append(ET.Element("property", name="id", value=r.id))
        if r.advice and not r.passed:
            ET.SubElement(case, "system-out").text = r.feedback()
    return ET.tostring(suite, encoding="unicode")


def wrap(text, width):
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return "\n".join(lines + [line])


def area_lines(result):
    """One line per area: 'softmax        19.5/22  2 of 12 checks failed', in catalog order."""
    areas = {}
    for r in result.results:
        areas.setdefault(r.area, []).append(r)
    width = max((len(a) for a in areas), default=0)
    lines = []
    for area, checks in areas.items():
        failed = sum(not r.passed and not r.advice for r in checks)
        advice = sum(not r.passed and r.advice for r in checks)
        score, top = round(sum(r.score for r in checks), 2), round(sum(r.max_score for r in checks), 2)
        if len(checks) == 1:
            state = "its check failed" if failed else "its check passed"
        else:
            state = f"{failed} of {len(checks)} checks failed" if failed else f"all {len(checks)} checks passed"
        state += f", {advice} advice (no points)" if advice else ""
        lines.append(f"{area:<{width}}  {f'{score:g}/{top:g}':>11}  {state}")
    return lines


def unseen_line(result):
    """'12 points are in checks you can't see' for the self-check, or ''."""
    if not result.unseen_points:
        return ""
    return f"{result.unseen_points:g} points are in checks you can't see (hidden); `grader check` runs only the visible ones."


def terminal_report(result, verbose=False, width=60):
    """What the terminal shows: by default the failed checks with their feedback and one line per
    area; verbose: every check. Then the unseen points (self-check) and the summary line."""
    shown = result.results if verbose else tuple(r for r in result.results if not r.passed)
    parts = [terminal_table(result, width, shown).rsplit("\n", 1)[0]] if shown else []
    parts += ["\n".join(area_lines(result)), unseen_line(result), summary_line(result)]
    return "\n".join(p for p in parts if p)


def terminal_table(result, width=60, checks=None):
    """The score table for the terminal, with feedback on failed checks (checks: which rows; default all)."""
    rows = []
    for r in (result.results if checks is None else checks):
        mark = "PASS" if r.passed else ("ADVICE" if r.advice else "FAIL")
        feedback = "" if r.passed and not r.hidden else r.feedback()
        if r.passed and r.name.startswith(("performance", "training")):
            feedback = r.message  # the measured figure is worth seeing even on a pass
        rows.append([mark, f"{r.score:g}/{r.max_score:g}", wrap(r.name, 48), wrap(feedback, width)])
    table = tabulate(rows, headers=["", "points", "check", "feedback"], tablefmt="simple_grid")
    return f"{table}\n{summary_line(result)}"


def write_atomic(path, text):
    """Write text to path through a temporary file and a rename, so no reader ever sees half a file.
    The file gets 0666 less the umask (0644 as usual), as any report: others may read it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def unwritable(folder):
    """Why the reports cannot be written into folder (created when missing), or "" when they can.
    Creates nothing, so that it can be asked before any work."""
    folder = Path(folder).absolute()
    for existing in (folder, *folder.parents):
        try:
            if existing.exists():
                break
        except OSError as exc:  # e.g. a parent folder we may not search
            return f"{existing}: {exc.strerror}"
    if not existing.is_dir():
        return f"{existing} is a file, not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{existing} is not writable"
    return ""


def write_results(result, out_dir, junit=None):
    """results.json in out_dir, the student's printed output (truncated) beside it,
    and JUnit XML where asked. Returns the paths written."""
    written = [Path(out_dir) / "results.json", Path(out_dir) / "student_output.txt"]
    write_atomic(written[0], json.dumps(gradescope_dict(result), indent=2) + "\n")
    write_atomic(written[1], result.student_output or "(the submission printed nothing)\n")
    if junit:
        write_atomic(junit, junit_xml(result))
        written.append(Path(junit))
    return written
