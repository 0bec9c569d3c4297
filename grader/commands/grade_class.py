"""`grader grade-class SUBMISSIONS --out DIR`: grade a whole class, each submission in its own `grader grade`.

Writes DIR/<student>/results.json (with grading.json, its resume key, beside it),
DIR/gradebook.csv with one row for every submission, and DIR/class.md with its figures.
A crash, hang or refusal of one submission's grading becomes that student's row, never
the batch's end. Ctrl-C or SIGTERM stops every child's process group and writes no
gradebook; rerunning resumes, reusing every grade whose key is unchanged.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from .. import __version__, classroom, exits, gradebook, isolation, report
from ..checks import catalog
from ..data import DataError
from ..data.locate import describe_search, find_mnist
from ..inert import clean
from ..rubric import RubricError, load_rubric
from ..submission import SubmissionError, cleanup, open_submission, shown
from .grade import add_common

KEY_FILE = "grading.json"  # beside each results.json: the resume key and what happened
REUSABLE = (gradebook.GRADED, gradebook.UNREADABLE)  # outcomes that depend only on the key (others are retried)
TIMEOUT = 1800.0  # seconds before one submission's grading is killed
GRACE = 10.0  # seconds a child gets to unwind after SIGTERM before its process group is killed


def add_arguments(parser):
    parser.add_argument("submissions", type=Path, metavar="SUBMISSIONS",
                        help="a folder of submissions (zips and folders), or a Gradescope export (.zip or its folder)")
    parser.add_argument("--out", type=Path, required=True, help="where to write gradebook.csv, class.md and one folder per student")
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded at the same time (default: %(default)s)")
    parser.add_argument("--shard", metavar="K/N", help="grade only the K-th of N slices of the class (merge with `grader gradebook merge`)")
    parser.add_argument("--force", action="store_true", help="regrade every submission, even those with a reusable result")
    parser.add_argument("--timeout", type=float, default=TIMEOUT,
                        help="seconds before one submission's grading is killed (default: %(default)s)")
    add_common(parser)


@dataclass(frozen=True)
class Settings:
    """What every submission is graded with."""
    grade_args: tuple  # the options passed through to `grader grade`
    key_parts: tuple  # (rubric digest, version, options) of the resume key
    timeout: float
    force: bool


def settings_from(args, mode):
    """The pass-through options and resume-key parts from the parsed arguments and the chosen isolation mode."""
    grade_args = ["--rubric", str(Path(args.rubric).resolve()), "--dataset", args.dataset, "--isolation", mode,
                  "--threads", str(args.threads)]
    if args.data_dir:
        grade_args += ["--data-dir", str(Path(args.data_dir).resolve())]
    if args.only:
        grade_args += ["--only", args.only]
    if args.budget is not None:
        grade_args += ["--budget", f"{args.budget:g}"]
    options = {"only": args.only, "dataset": args.dataset, "isolation": mode}
    if args.budget is not None:  # a budget can change a grade; without one, the rubric's (in its digest) holds
        options["budget"] = args.budget
    return Settings(tuple(grade_args), (classroom.file_digest(args.rubric), __version__, options), args.timeout, args.force)


def validate(args):
    """Why the batch cannot start (exit 2), or "". Also loads the rubric and the data location."""
    if args.jobs < 1:
        return "--jobs must be at least 1"
    if args.timeout <= 0:
        return "--timeout must be positive"
    if args.threads < 1:
        return "--threads must be at least 1"
    if args.budget is not None and not args.budget >= 1:
        return "--budget must be at least 1 s"
    if args.shard:
        classroom.parse_shard(args.shard)
    if not args.submissions.exists():
        return f"{args.submissions} does not exist; pass a folder of submissions or a Gradescope export"
    catalog.validate(load_rubric(args.rubric))  # a misspelled id or group: refused before anyone is graded
    if args.dataset == "mnist" and find_mnist(args.data_dir) is None:
        return "--dataset mnist: MNIST not found:\n" + describe_search(args.data_dir) + \
               "\nrun `grader data download`, or set MNIST_DIR"
    elif args.data_dir:
        find_mnist(args.data_dir)  # a --data-dir without the files is an error
    problem = report.unwritable(args.out)
    if problem:
        return f"cannot write to --out {args.out}: {problem}; choose another --out"
    return ""


# -- child processes ---------------------------------------------------------------------


class Stopped(Exception):
    """The batch is stopping: start nothing more, write nothing more."""


class Children:
    """Every running `grader grade`, each leading its own process group, so that all can be stopped at once."""

    def __init__(self, grace=GRACE):
        self.lock, self.running, self.stopping, self.grace = threading.Lock(), set(), False, grace

    def run(self, command, log, timeout):
        """Run command (stdout and stderr to log); returns (exit code, timed out). Raises Stopped."""
        with self.lock:
            if self.stopping:
                raise Stopped()
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
            self.running.add(proc)
        exited, expired = threading.Event(), threading.Event()
        timer = threading.Timer(timeout, expire, (proc.pid, exited, expired, self.grace))
        timer.start()
        try:
            os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)  # exited, not yet reaped: its pgid is still ours
            exited.set()
            kill_group(proc.pid, signal.SIGKILL)  # anything it left behind in its group
        finally:
            exited.set()
            timer.cancel()
            if timer.is_alive():
                timer.join()  # expire() returns at once now: no signal can reach a reaped pid
            code = proc.wait()
            with self.lock:
                self.running.discard(proc)
        timed_out = expired.is_set()
        if self.stopping:
            raise Stopped()
        return code, timed_out

    def stop(self):
        """SIGTERM every child's group, wait up to self.grace seconds, then SIGKILL what is left."""
        with self.lock:
            self.stopping = True
            procs = list(self.running)
        for p in procs:
            kill_group(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for p in procs:
            while p in self.running and time.monotonic() < deadline:
                time.sleep(0.05)
        for p in procs:
            kill_group(p.pid, signal.SIGKILL)


def expire(pgid, exited, expired, grace=GRACE):
    """A child's time is up: SIGTERM its group so that it unwinds (removing its temporary folders),
    then SIGKILL it unless it exited within grace seconds."""
    expired.set()
    kill_group(pgid, signal.SIGTERM)
    if not exited.wait(grace):
        kill_group(pgid, signal.SIGKILL)


def kill_group(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def tail(path, limit=300):
    """The last non-empty line of a log file (for the gradebook's detail)."""
    try:
        lines = [line.strip() for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return clean(lines[-1], limit) if lines else ""


# -- one submission ------------------------------------------------------------------------


def reusable(folder, key):
    """The stored outcome in folder when its key is `key`, its outcome reusable and results.json there; else None."""
    try:
        stored = json.loads((folder / KEY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("key") != key or stored.get("status") not in REUSABLE:
        return None
    return stored if (folder / "results.json").is_file() else None


def unreadable_problem(entry):
    """Why the submission cannot be opened (as `grader grade` would refuse it), or ""."""
    if entry.problem:
        return entry.problem
    try:
        cleanup(open_submission(entry.path))
    except SubmissionError as exc:
        return str(exc).replace(shown(entry.path), entry.source)  # the path inside SUBMISSIONS, not an unpacked copy's
    except OSError as exc:
        return f"{entry.source} cannot be read ({exc.strerror or exc})"
    return ""


def grade_one(entry, settings, out, children):
    """Grade one entry into out/<student>/ (or reuse its stored grade); returns its gradebook Row."""
    folder = Path(out) / entry.student
    folder.mkdir(parents=True, exist_ok=True)
    try:
        content = classroom.content_digest(entry.path) if entry.path.exists() else "absent"
    except (OSError, SubmissionError) as exc:  # unreadable_problem says why, as `grader grade` would
        content = f"unreadable: {exc}"
    key = classroom.resume_key(content, *settings.key_parts)
    stored = None if settings.force else reusable(folder, key)
    if stored is not None:
        return gradebook.make_row(entry, stored["status"], stored.get("detail", ""), gradebook.load_results(folder),
                                  stored.get("seconds", 0))
    (folder / KEY_FILE).unlink(missing_ok=True)  # the key is written last: a results.json without it is never reused
    (folder / "results.json").unlink(missing_ok=True)
    t0 = time.monotonic()
    problem = unreadable_problem(entry)
    if problem:
        status, detail, results = gradebook.UNREADABLE, problem, gradebook.unreadable_results(problem)
        report.write_atomic(folder / "results.json", json.dumps(results, indent=2) + "\n")
    else:
        command = [sys.executable, "-m", "grader", "grade", str(entry.path.resolve()), "--out", str(folder.resolve()),
                   "--quiet", *settings.grade_args]
        with open(folder / "grader.log", "wb") as log:
            code, timed_out = children.run(command, log, settings.timeout)
        results = gradebook.load_results(folder)
        status, detail = gradebook.classify(code, results, timed_out, tail(folder / "grader.log"))
    seconds = time.monotonic() - t0
    stored = {"key": key, "status": status, "detail": detail, "seconds": round(seconds, 1), "submission": entry.source,
              "content": content, "rubric": settings.key_parts[0], "version": settings.key_parts[1], "options": settings.key_parts[2]}
    report.write_atomic(folder / KEY_FILE, json.dumps(stored, indent=2) + "\n")
    return gradebook.make_row(entry, status, detail, results, seconds)


def grade_or_fault(entry, settings, out, children):
    """grade_one, with a bug of the grader's own on this entry turned into its grader-fault row."""
    try:
        return grade_one(entry, settings, out, children)
    except Stopped:
        raise
    except Exception as exc:  # never the batch's end: the row says so, and the next run retries it
        detail = f"grade-class failed on this submission: {type(exc).__name__}: {exc}"
        return gradebook.make_row(entry, gradebook.FAULT, detail, None, 0.0)


def grade_all(entries, settings, out, jobs, on_done=lambda row: None):
    """Grade entries, jobs at a time; returns their rows in entry order. On any exception (Ctrl-C,
    SIGTERM) every child's process group is stopped before it propagates."""
    children = Children()
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grade-class")
    rows = {}
    try:
        futures = {pool.submit(grade_or_fault, e, settings, out, children): e for e in entries}
        for future in as_completed(futures):
            rows[futures[future].student] = row = future.result()
            on_done(row)
    except BaseException:
        children.stop()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return [rows[e.student] for e in entries]


def progress_bar(total, quiet=False):
    """One bar on stderr: done/total, rate and ETA (none under --quiet)."""
    from tqdm import tqdm
    return tqdm(total=total, unit="submission", desc="grading", file=sys.stderr, dynamic_ncols=True, smoothing=0.1, disable=quiet)


def main(args):
    try:
        problem = validate(args)
    except (ValueError, RubricError, DataError) as exc:
        problem = str(exc)
    if problem:
        print(f"grader grade-class: error: {problem}", file=sys.stderr)
        return exits.USAGE
    try:
        mode = isolation.choose(args.isolation, strict=isolation.strict_by_default()).mode
    except isolation.IsolationError as exc:
        print(f"grader grade-class: error: {exc}", file=sys.stderr)
        return exits.USAGE
    settings = settings_from(args, mode)
    workdir = Path(tempfile.mkdtemp(prefix="grader-class-"))
    os.chmod(workdir, 0o755)  # the sandbox may run as an unprivileged uid: it must traverse an unpacked export
    try:
        try:
            entries = classroom.discover(args.submissions, workdir)
        except classroom.ClassError as exc:
            print(f"grader grade-class: error: {exc}", file=sys.stderr)
            return exits.USAGE
        if not entries:
            print(f"grader grade-class: error: {args.submissions} holds no submission", file=sys.stderr)
            return exits.USAGE
        k, n = classroom.parse_shard(args.shard) if args.shard else (1, 1)
        mine = classroom.shard(entries, k, n)
        out = args.out
        out.mkdir(parents=True, exist_ok=True)
        print(f"grader grade-class: {len(mine)} of {len(entries)} submission(s) (shard {k}/{n}), {args.jobs} at a time, "
              f"isolation {mode}", file=sys.stderr, flush=True)
        bar = progress_bar(len(mine), args.quiet)
        try:
            rows = grade_all(mine, settings, out, args.jobs, on_done=lambda row: bar.update())
        finally:
            bar.close()
        report.write_atomic(out / "shard.json", json.dumps({"shard": [k, n], "class": classroom.class_digest(entries),
                                                            "students": len(entries)}) + "\n")
        written = [gradebook.write_gradebook(rows, out), gradebook.write_class_report(rows, out)]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    counts = {s: sum(r.status == s for r in rows) for s in gradebook.STATUSES}
    print(", ".join(f"{c} {s}" for s, c in counts.items()))
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    for row in rows:
        if row.status == gradebook.FAULT:
            print(f"grader fault on {row.student}: {row.detail}", file=sys.stderr)
    return exits.FAULT if counts[gradebook.FAULT] else exits.OK
