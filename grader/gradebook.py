"""The class's gradebook and its report: one row per submission, whatever happened to it.

gradebook.csv has the columns `student`, `total`, `status`, one per area, then who the
student is (from Gradescope's metadata) and what happened. class.md and its figures are
built from the rows and the students' results.json. Everything here is pure except
read_gradebook, write_gradebook, load_results and draw_figures.
"""

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .corpus import AREAS, area_of, summarize
from .csv_cells import read_csv, write_csv
from .inert import inert_markdown
from .report import write_atomic

GRADED, UNREADABLE, TIMED_OUT, FAULT = "graded", "unreadable", "timed out", "grader fault"
STATUSES = (GRADED, UNREADABLE, TIMED_OUT, FAULT)
COLUMNS = ("student", "total", "status", *AREAS, "name", "email", "sid", "submission", "seconds", "detail")
NUMERIC = ("total", *AREAS, "seconds")  # columns of numbers the grader writes (never negative); the rest is text
FIGURES = "class_figures"  # DIR/class_figures/*.png, beside class.md
TOP = 10  # rows in the class report's "most common" and "slowest" tables


class GradebookError(ValueError):
    """A gradebook.csv that cannot be read or merged. The message names the file."""


@dataclass(frozen=True)
class Row:
    student: str
    status: str  # one of STATUSES
    total: str = ""  # the score as text ("" when there is none: timed out, grader fault)
    areas: dict = field(default_factory=dict)  # area -> score as text
    name: str = ""
    email: str = ""
    sid: str = ""
    submission: str = ""  # where it came from, inside SUBMISSIONS
    seconds: float = 0.0  # wall time of its grading
    detail: str = ""  # why it is not graded, or what the grader said

    def cells(self):
        """The row as {column: text}, in COLUMNS."""
        values = {"student": self.student, "total": self.total, "status": self.status, "name": self.name,
                  "email": self.email, "sid": self.sid, "submission": self.submission,
                  "seconds": f"{self.seconds:.1f}", "detail": self.detail}
        return {c: values.get(c, self.areas.get(c, "")) for c in COLUMNS}


def number(value):
    return f"{value:g}"


def classify(exit_code, results, timed_out, error_tail=""):
    """(status, detail) of one `grader grade` run from its exit code (None if killed), the parsed
    results.json (None if absent) and the last line of its error output."""
    if timed_out:
        return TIMED_OUT, "grading did not finish within --timeout; see grader.log"
    if exit_code == 0 and results is not None:
        return GRADED, ""
    if exit_code == 2:
        return FAULT, f"`grader grade` refused to run: {error_tail or 'exit status 2'}"
    why = f"exit status {exit_code}" if exit_code is not None and exit_code >= 0 else f"killed by signal {-(exit_code or 0)}"
    if results is None:
        return FAULT, f"`grader grade` ended with {why} and wrote no results.json: {error_tail or 'see grader.log'}"
    return FAULT, f"`grader grade` ended with {why}: {error_tail or 'see grader.log'}"


def make_row(entry, status, detail, results, seconds):
    """The gradebook row of one entry (a classroom.Entry)."""
    total, areas = "", {}
    if status == GRADED and results is not None:
        total = number(results.get("score", 0))
        areas = {a: number(r.score) for a, r in summarize(results).items() if a in AREAS}
    elif status == UNREADABLE:
        total = "0"
    return Row(entry.student, status, total, areas, entry.identity("name"), entry.identity("email"), entry.identity("sid"),
               entry.source, round(seconds, 1), detail)


def unreadable_results(detail):
    """results.json (Gradescope's format) for a submission that could not be read: 0 points, saying why."""
    return {"score": 0, "execution_time": 0, "tests": [],
            "output": f"Your submission could not be read, so nothing was graded: {detail}. "
                      "Resubmit a .zip or folder holding activations.py, softmax.py, perceptron.py, two_layer_net.py and optimizer.py."}


# -- gradebook.csv -----------------------------------------------------------------------


def gradebook_csv(rows):
    """The text of gradebook.csv: a header, then one row per submission, by student. Safe to open in a
    spreadsheet: no cell starts a formula, whatever the students typed (grader.csv_cells)."""
    return write_csv(COLUMNS, [row.cells() for row in sorted(rows, key=lambda r: r.student)], numeric=NUMERIC)


def parse_gradebook(text, where="gradebook.csv"):
    """Rows from the text of a gradebook.csv written by gradebook_csv (each cell as it was before quoting)."""
    header, lines = read_csv(text)
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise GradebookError(f"{where} lacks the column(s) {', '.join(missing)}: not a gradebook written by `grader grade-class`")
    rows = []
    for line in lines:
        if line["status"] not in STATUSES:
            raise GradebookError(f"{where}: student {line['student']!r} has unknown status {line['status']!r}")
        try:
            seconds = float(line["seconds"] or 0)
        except ValueError:
            raise GradebookError(f"{where}: student {line['student']!r} has seconds {line['seconds']!r}, not a number") from None
        rows.append(Row(line["student"], line["status"], line["total"], {a: line[a] for a in AREAS if line[a]}, line["name"],
                        line["email"], line["sid"], line["submission"], seconds, line["detail"]))
    return rows


def read_gradebook(path):
    path = Path(path)
    if not path.is_file():
        raise GradebookError(f"{path} does not exist; pass the --out folders of `grader grade-class` (each holds a gradebook.csv)")
    return parse_gradebook(path.read_text(encoding="utf-8"), str(path))


def write_gradebook(rows, out_dir):
    path = Path(out_dir) / "gradebook.csv"
    write_atomic(path, gradebook_csv(rows))
    return path


def merge_rows(gradebooks):
    """One list of rows from several shards' [(where, rows)]; a student in two of them is an error."""
    seen, merged = {}, []
    for where, rows in gradebooks:
        for row in rows:
            if row.student in seen:
                raise GradebookError(f"student {row.student!r} is in both {seen[row.student]} and {where}: were the same shard, "
                                     "or shards of different classes, passed twice?")
            seen[row.student] = where
            merged.append(row)
    return sorted(merged, key=lambda r: r.student)


def shard_problems(shards):
    """Why shard descriptions [(where, {"shard": [K, N], "class": digest})] do not make one whole class ("" when they do)."""
    if not shards:
        return ""
    classes = {s["class"] for _, s in shards}
    if len(classes) > 1:
        return "the folders hold shards of different classes (or of different SUBMISSIONS): " + \
               ", ".join(f"{w} ({s['class']})" for w, s in shards)
    sizes = {s["shard"][1] for _, s in shards}
    if len(sizes) > 1:
        return "the folders were graded with different N in --shard K/N: " + ", ".join(
            f"{w} ({s['shard'][0]}/{s['shard'][1]})" for w, s in shards)
    n = sizes.pop()
    ks = Counter(s["shard"][0] for _, s in shards)
    twice = sorted(k for k, c in ks.items() if c > 1)
    absent = [k for k in range(1, n + 1) if k not in ks]
    if twice:
        return f"shard(s) {', '.join(f'{k}/{n}' for k in twice)} passed more than once"
    if absent:
        return f"shard(s) {', '.join(f'{k}/{n}' for k in absent)} missing: grade them with --shard, then merge every folder"
    return ""


# -- the class report --------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """A row and its student's parsed results.json (None when there is none)."""
    row: Row
    results: dict | None = None


def failure_key(message):
    """A failure message reduced to what students share: its first sentence, numbers and arrays elided."""
    text = re.split(r"(?<=[.!?])\s|\n|: got ", message or "", maxsplit=1)[0]
    text = re.sub(r"\[[^\]]*\]?", "[...]", text)
    text = re.sub(r"-?\d+(\.\d+)?(e[-+]?\d+)?", "N", text)
    return text.strip()[:160]


def check_label(test):
    """How class reports name a check: its stable id (results.json since ids exist), else its name."""
    return str(test.get("id") or test.get("name"))


def item_analysis(records):
    """[(check id, passed, graded)] over the graded submissions, in the order checks first appear."""
    counts = {}
    for rec in records:
        if rec.row.status != GRADED or not rec.results:
            continue
        for test in rec.results.get("tests", []):
            passed, graded = counts.get(check_label(test), (0, 0))
            counts[check_label(test)] = (passed + (test.get("status") == "passed"), graded + 1)
    return [(name, p, g) for name, (p, g) in counts.items()]


def common_failures(records, top=TOP):
    """[(check id, message, count, example students)]: the most common failures, most frequent first."""
    found = {}
    for rec in records:
        if rec.row.status != GRADED or not rec.results:
            continue
        for test in rec.results.get("tests", []):
            if test.get("status") == "passed":
                continue
            key = (check_label(test), failure_key(str(test.get("output", ""))))
            found.setdefault(key, []).append(rec.row.student)
    ranked = sorted(found.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return [(name, message, len(students), tuple(students[:3])) for (name, message), students in ranked[:top]]


def training_or_timing_failures(records):
    """[(student, check name, first line of its message)] for each failed training or performance check."""
    found = []
    for rec in records:
        if rec.row.status != GRADED or not rec.results:
            continue
        for test in rec.results.get("tests", []):
            if test.get("status") != "passed" and area_of(str(test.get("name", ""))) in ("training", "performance"):
                found.append((rec.row.student, str(test.get("name")), str(test.get("output", "")).split("\n")[0][:200]))
    return found


def totals(records):
    return [float(r.row.total) for r in records if r.row.status == GRADED and r.row.total]


def md(text):
    """text safe in a Markdown table cell: one line, no cell break, no link, image or HTML (inert_markdown)."""
    return inert_markdown(str(text).replace("\n", " "))


def table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    return lines + ["| " + " | ".join(md(c) for c in row) + " |" for row in rows]


def class_markdown(records, figures=()):
    """class.md: counts by status, the score distribution, item analysis, common failures, the slowest
    submissions, training or timing failures, and every submission that was not graded."""
    rows = [r.row for r in records]
    counts = Counter(r.status for r in rows)
    scores = totals(records)
    lines = ["# Class report", "",
             f"{len(rows)} submission(s): " + ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES) + ".", ""]
    if scores:
        lines += [f"Scores of the graded: mean {statistics.mean(scores):.1f}, median {statistics.median(scores):g}, "
                  f"min {min(scores):g}, max {max(scores):g}.", ""]
    if "histogram" in figures:
        lines += [f"![score histogram]({FIGURES}/histogram.png)", ""]
    items = item_analysis(records)
    lines += ["## Item analysis: pass rate of every check", ""]
    if items:
        if "items" in figures:
            lines += [f"![pass rate of every check]({FIGURES}/items.png)", ""]
        lines += table(("check", "pass rate", "passed / graded"), [(n, f"{p / g:.0%}", f"{p} / {g}") for n, p, g in items])
    else:
        lines += ["No submission was graded."]
    lines += ["", f"## The {TOP} most common failures", ""]
    failures = common_failures(records)
    lines += table(("check", "message (numbers elided)", "students", "for example"),
                   [(n, m, c, ", ".join(s)) for n, m, c, s in failures]) if failures else ["No check failed."]
    lines += ["", f"## The {TOP} slowest submissions", ""]
    slowest = sorted(rows, key=lambda r: (-r.seconds, r.student))[:TOP]
    lines += table(("student", "seconds", "status"), [(r.student, f"{r.seconds:.1f}", r.status) for r in slowest]) if slowest else ["None."]
    lines += ["", "## Training or timing failed", ""]
    tt = training_or_timing_failures(records)
    lines += table(("student", "check", "message"), tt) if tt else ["No training or performance check failed."]
    lines += ["", "## Not graded", ""]
    ungraded = [r for r in rows if r.status != GRADED]
    lines += table(("student", "status", "submission", "why"), [(r.student, r.status, r.submission, r.detail) for r in ungraded]) \
        if ungraded else ["Every submission was graded."]
    return "\n".join(lines) + "\n"


def load_results(folder):
    """The parsed results.json in folder, or None."""
    import json
    try:
        doc = json.loads((Path(folder) / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def draw_figures(records, out_dir):
    """The PNGs of class.md under out_dir/class_figures/; returns the names drawn ("histogram", "items")."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = Path(out_dir) / FIGURES
    folder.mkdir(parents=True, exist_ok=True)
    drawn = []
    scores = totals(records)
    if scores:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.hist(scores, bins=min(20, max(5, len(scores))), color="tab:blue", edgecolor="white")
        ax.set(xlabel="total score", ylabel="submissions", title=f"Scores of {len(scores)} graded submission(s)")
        save(fig, folder / "histogram.png")
        drawn.append("histogram")
    items = item_analysis(records)
    if items:
        fig, ax = plt.subplots(figsize=(8, 0.25 * len(items) + 1.2))
        ax.barh(range(len(items)), [p / g for _, p, g in items], color="tab:green")
        ax.set_yticks(range(len(items)), [n if len(n) <= 70 else n[:67] + "..." for n, _, _ in items], fontsize=6)
        ax.invert_yaxis()
        ax.set(xlim=(0, 1), xlabel="pass rate", title="Pass rate of every check")
        save(fig, folder / "items.png")
        drawn.append("items")
    return drawn


def save(fig, path):
    """Save a figure through a temporary file and a rename; close it."""
    import matplotlib.pyplot as plt
    tmp = path.with_name(f".{path.name}.tmp.png")
    try:
        fig.tight_layout()
        fig.savefig(tmp, dpi=110)
        tmp.replace(path)
    finally:
        plt.close(fig)
        tmp.unlink(missing_ok=True)


def write_class_report(rows, out_dir, results_dir=None):
    """class.md and its figures in out_dir, reading each student's results.json from results_dir (default out_dir)."""
    results_dir = Path(results_dir or out_dir)
    records = [Record(r, load_results(results_dir / r.student)) for r in sorted(rows, key=lambda r: r.student)]
    figures = draw_figures(records, out_dir)
    path = Path(out_dir) / "class.md"
    write_atomic(path, class_markdown(records, figures))
    return path
