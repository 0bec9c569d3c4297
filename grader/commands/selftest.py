"""`grader selftest`: grade every corpus case and check the grader gave the grade it must.

Each case (and first the reference, whose report supplies the known check
names) is materialized into its own temporary folder and graded by a separate
`python -m grader grade` with TMPDIR inside that folder, so every process the
submission starts carries the folder's path (in its command line, working
directory or environment). After grading, any such process, or any carrying
the case's tag, is a stray: it is reported, then stopped and killed. A case
with `listen = PORT` is graded while a TCP server on 127.0.0.1:PORT records
every connection that arrives (Listener).
"""

import json
import fnmatch
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from pathlib import Path

from tabulate import tabulate

from .. import corpus, exits, isolation
from ..paths import PROJECT_DIR, REPORTS_DIR

DEFAULT_OUT = REPORTS_DIR / "selftest"
GRADE_TIMEOUT = 900.0  # seconds before a hung `grader grade` is killed (hostile cases: 3x their bound, if smaller)
GRACE = 1.0  # seconds to wait after grading before looking for strays, so escaped helpers can act
SCAN_SECONDS = 0.5  # how long to keep scanning /proc for the case's processes
KIND_CHOICES = ("bugs", "alternatives", "hostile", "all")


def add_arguments(parser):
    parser.add_argument("--jobs", type=int, default=2, help="cases graded at the same time (default: %(default)s)")
    parser.add_argument("--kind", choices=KIND_CHOICES, default="all", help="which part of the corpus (default: all)")
    parser.add_argument("--case", action="append", metavar="NAME", help="grade only this case (repeatable)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="where to write corpus.md, corpus.json and each case's report (default: %(default)s)")
    parser.add_argument("--corpus", type=Path, default=corpus.CORPUS_DIR, help="corpus folder (default: %(default)s)")
    parser.add_argument("--rubric", type=Path, default=CORPUS_RUBRIC,
                        help="rubric the cases are graded with (default: the corpus rubric, the default one with shorter time budgets)")
    parser.add_argument("--timeout", type=float, default=GRADE_TIMEOUT,
                        help="seconds before a hung grading is killed (default: %(default)s)")
    parser.add_argument("--isolation", choices=isolation.MODES, default="auto",
                        help="passed to every `grader grade`: grade the cases under bwrap, in process mode, or as grade "
                             "chooses (default: %(default)s); each outcome says which mode graded it")
    parser.add_argument("--focus", action="store_true",
                        help="grade a hostile case that changes only a module no other module imports (perceptron.py) on "
                             "that module's checks alone (--only), the only processes its code runs in: containment is "
                             "judged as fully, in a fraction of the time (bugs and alternatives keep whole grades)")


def main(args):
    if args.jobs < 1:
        print("grader selftest: --jobs must be at least 1", file=sys.stderr)
        return exits.USAGE
    try:
        cases = select(corpus.load_cases(args.corpus), args.kind, args.case)
    except (corpus.CaseError, ValueError) as exc:
        print(f"grader selftest: {exc}", file=sys.stderr)
        return exits.USAGE
    print(f"grading the reference, then {len(cases)} case(s), {args.jobs} at a time, --isolation {args.isolation}", flush=True)
    run = run_corpus(cases, args.jobs, args.out, timeout=args.timeout, progress=lambda line: print(line, flush=True), rubric=args.rubric,
                     isolation_mode=args.isolation, focus=args.focus)
    if run is None:
        return exits.USAGE  # the reference could not be graded (a bad --rubric, say): nothing was judged
    print()
    print(tabulate(table_rows(run.outcomes, wrap=True), headers=HEADERS, tablefmt="simple"))
    print()
    for line in run.figures.lines() + [f"total wall time: {run.seconds:.0f} s"]:
        print(line)
    for path in write_reports(run, args.out):
        print(f"wrote {path}")
    return exits.OK if run.ok else exits.FAILED


def select(cases, kind="all", names=None):
    """The cases of one kind (or all), narrowed to names when given. An unknown name is an error."""
    chosen = [c for c in cases if kind == "all" or c.kind == kind]
    if names:
        known = {c.name for c in chosen}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(f"no case named {', '.join(unknown)}" + ("" if kind == "all" else f" among {kind}"))
        chosen = [c for c in chosen if c.name in names]
    return chosen


# -- running -------------------------------------------------------------------


@dataclass(frozen=True)
class CorpusRun:
    reference: corpus.Outcome
    outcomes: list  # of corpus.Outcome, in corpus order
    figures: corpus.Figures
    seconds: float

    @property
    def ok(self):
        return self.reference.ok and all(o.ok for o in self.outcomes)


CORPUS_RUBRIC = corpus.CORPUS_DIR / "rubric.toml"


def run_corpus(cases, jobs, out_dir, timeout=GRADE_TIMEOUT, progress=print, rubric=CORPUS_RUBRIC, isolation_mode="auto",
               focus=False):
    """Grade the reference, then every case (jobs at a time), each with `grader grade --isolation isolation_mode`
    (and, with focus, `--only corpus.focus_of(case)` where there is one). None when the reference cannot be graded.

    A case holds one of the jobs only while it is graded: the watch for its strays afterwards
    (mostly waiting, see settle) runs beside the next case's grading."""
    t0 = time.monotonic()
    out_dir = Path(out_dir)
    evidence = grade_case(corpus.REFERENCE_CASE, out_dir, timeout, rubric, isolation_mode)
    if evidence.results is None:
        progress(f"the reference could not be graded: {evidence.error}")
        return None
    known = [t.get("name") for t in evidence.results.get("tests", [])]
    reference = corpus.evaluate(corpus.REFERENCE_CASE, evidence, known)
    progress(line(0, len(cases), corpus.REFERENCE_CASE, reference))
    outcomes = {}
    with ThreadPoolExecutor(max_workers=jobs) as graders, ThreadPoolExecutor(max_workers=jobs) as watchers:
        only = {c.name: corpus.focus_of(c) if focus and c.kind == "hostile" else None for c in cases}  # see --focus
        grading = {graders.submit(start_case, case, out_dir, timeout, rubric, isolation_mode, only[case.name]): case
                   for case in cases}
        settling, pending = {}, set(grading)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                if future in grading:
                    watch = watchers.submit(settle, future.result())
                    settling[watch] = grading[future]
                    pending.add(watch)
                    continue
                case = settling[future]
                glob = only[case.name]
                outcomes[case.name] = (corpus.evaluate(corpus.focused(case), future.result(),
                                                       [n for n in known if fnmatch.fnmatch(str(n), glob)])
                                       if glob else corpus.evaluate(case, future.result(), known))
                progress(line(len(outcomes), len(cases), case, outcomes[case.name]))
    ordered = [outcomes[c.name] for c in cases]
    return CorpusRun(reference, ordered, corpus.figures(ordered), time.monotonic() - t0)


def line(done, total, case, outcome):
    verdict = "ok" if outcome.ok else "MISMATCH: " + "; ".join(outcome.problems)
    return f"[{done}/{total}] {case.label} ({outcome.isolation}): {outcome.actual} -- {verdict}"


@dataclass
class Started:
    """A case just graded, not yet watched for strays: what settle needs (the listener still open)."""
    case: corpus.Case
    work: Path  # the case's temporary folder: removed by settle
    out: Path  # where its results.json was written
    timeout: float
    before: dict  # snapshot of the files it must leave untouched
    heard: "Listener"
    exit_code: int | None
    seconds: float
    budget: float | None  # the time budget it was graded with
    isolation: str = "auto"  # the --isolation it was graded with


def grade_case(case, out_dir, timeout=GRADE_TIMEOUT, rubric=CORPUS_RUBRIC, isolation_mode="auto"):
    """Grade one case in a fresh `python -m grader grade`; returns what was observed."""
    return settle(start_case(case, out_dir, timeout, rubric, isolation_mode))


def start_case(case, out_dir, timeout=GRADE_TIMEOUT, rubric=CORPUS_RUBRIC, isolation_mode="auto", only=None):
    """Materialize the case and grade it (only: an --only glob), with its listener open; the Started case, for settle."""
    work = Path(tempfile.mkdtemp(prefix=f"corpus-{case.name}-"))
    heard = None
    try:
        submission, tmp = prepare(case, work)
        out = Path(out_dir).resolve() / "cases" / case.name
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.json").unlink(missing_ok=True)
        if case.max_seconds:
            timeout = min(timeout, 3 * case.max_seconds)
        before = snapshot(case.untouched)
        heard = Listener(case.listen).__enter__()
        exit_code, seconds = run_grader(submission, out, tmp, timeout, rubric, case.budget_s, isolation_mode, only)
        return Started(case, work, out, timeout, before, heard, exit_code, seconds, case.budget_s or rubric_budget(rubric),
                       isolation_mode)
    except BaseException:
        if heard is not None:
            heard.__exit__(None, None, None)
        shutil.rmtree(work, ignore_errors=True)
        raise


def settle(started):
    """What grading a case left behind, then the Evidence: a hostile case gets GRACE seconds for escaped
    helpers to act and a SCAN_SECONDS watch of /proc; honest code one scan, which checks that the grader
    itself left no process behind. Strays are stopped, the listener closed and the case's folder removed."""
    case = started.case
    try:
        watch = case.kind == "hostile"
        if watch:
            time.sleep(GRACE)
        needles = [str(started.work), case.tag]
        strays = find_strays(needles, SCAN_SECONDS if watch else 0.0)
        stop(strays, needles)
    finally:
        started.heard.__exit__(None, None, None)
        shutil.rmtree(started.work, ignore_errors=True)
    results, error = read_results(started.out / "results.json")
    if results is None and started.exit_code is None:
        error = f"`grader grade` did not finish within {started.timeout:g} s"
    return corpus.Evidence(results, error, started.seconds, tuple(s.text for s in strays),
                           changed(started.before, snapshot(case.untouched)), started.exit_code,
                           tuple(started.heard.connections), started.heard.error, started.budget, started.isolation)


def prepare(case, work):
    """The submission folder and a TMPDIR for the grader, both inside work. Returns (submission, tmp)."""
    os.chmod(work, 0o755)  # the sandbox may run as an unprivileged uid: it must traverse this folder
    tmp = work / "tmp"
    tmp.mkdir()
    os.chmod(tmp, 0o1777)
    return corpus.materialize(case, work / "submission"), tmp


def rubric_budget(rubric):
    """The rubric's budget_s, or None when it cannot be read (the grader then says why)."""
    from ..rubric import RubricError, load_rubric
    try:
        return load_rubric(rubric).budget_s
    except RubricError:
        return None


def run_grader(submission, out, tmp, timeout, rubric=CORPUS_RUBRIC, budget_s=None, isolation_mode="auto", only=None):
    """`python -m grader grade submission --out out --rubric rubric --isolation MODE [--budget S] [--only GLOB]` with
    TMPDIR=tmp. Returns (exit code or None if killed, seconds)."""
    command = [sys.executable, "-m", "grader", "grade", str(submission), "--out", str(out), "--rubric", str(rubric),
               "--isolation", isolation_mode] + (["--only", only] if only else [])
    if budget_s is not None:
        command += ["--budget", f"{budget_s:g}"]
    t0 = time.monotonic()
    with open(out / "grader.log", "wb") as log:
        proc = subprocess.Popen(command, cwd=PROJECT_DIR, env=dict(os.environ, TMPDIR=str(tmp)), stdin=subprocess.DEVNULL,
                                stdout=log, stderr=log, start_new_session=True)
        try:
            exit_code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(proc.pid)
            proc.wait()
            exit_code = None
    return exit_code, time.monotonic() - t0


def read_results(path):
    """(the parsed results.json, "") or (None, why not)."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        return None, f"{path} was not written"
    except (OSError, ValueError) as exc:
        return None, f"{path} is not readable JSON ({exc})"
    if not isinstance(doc, dict):
        return None, f"{path} does not hold a JSON object"
    return doc, ""


class Listener:
    """A TCP server on 127.0.0.1:port for the length of one grading (nothing when port is None).
    It accepts every connection, reads what arrives (at most MAX_HEARD bytes, briefly) and records
    it in .connections, one line each; .error says why it could not listen ("" when it could)."""

    MAX_HEARD = 1 << 16

    def __init__(self, port):
        self.port, self.connections, self.error = port, [], ""
        self._server, self._thread, self._stop = None, None, threading.Event()

    def __enter__(self):
        if self.port is None:
            return self
        try:
            self._server = socket.create_server(("127.0.0.1", self.port))
        except OSError as exc:
            self.error = f"{type(exc).__name__}: {exc.strerror or exc}"
            return self
        self._server.settimeout(0.2)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, (host, port) = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(0.5)
                data = b""
                try:
                    while len(data) < self.MAX_HEARD:
                        chunk = conn.recv(self.MAX_HEARD - len(data))
                        if not chunk:
                            break
                        data += chunk
                except OSError:
                    pass
            start = f", starting {data[:40]!r}" if data else ""
            self.connections.append(f"from {host}:{port}, {len(data)} byte(s){start}")

    def __exit__(self, *exc):
        if self._server is not None:
            self._stop.set()
            self._thread.join(timeout=5)
            self._server.close()


# -- what grading leaves behind ------------------------------------------------------


def snapshot(paths):
    """{path: (size, mtime) or None} for files that must stay untouched."""
    state = {}
    for path in paths:
        try:
            st = os.stat(path)
            state[path] = (st.st_size, st.st_mtime_ns)
        except OSError:
            state[path] = None
    return state


def changed(before, after):
    return tuple(p for p in before if before[p] != after.get(p))


@dataclass(frozen=True)
class Stray:
    pid: int
    pgid: int
    text: str  # "pid 123: python -c ..." for the report


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def find_strays(needles, seconds=SCAN_SECONDS):
    """Processes whose command line, environment or working directory contains one of needles,
    one per process group. /proc is scanned again and again for `seconds`, newest pid first, so that
    a child which changes its pid every few milliseconds is still seen."""
    wanted = [n.encode() for n in needles]
    mine = {os.getpid(), os.getppid()}
    found = {}  # pgid -> Stray
    deadline = time.monotonic() + seconds
    while True:
        for pid in sorted((int(e) for e in os.listdir("/proc") if e.isdigit()), reverse=True):
            if pid in mine:
                continue
            stray = _match(pid, wanted)
            if stray is not None:
                found.setdefault(stray.pgid, stray)
        if time.monotonic() >= deadline:
            return list(found.values())


def _match(pid, wanted):
    base = f"/proc/{pid}"
    cmdline = _read(f"{base}/cmdline")
    try:
        cwd = os.readlink(f"{base}/cwd").encode()
    except OSError:
        cwd = b""
    if not any(n in blob for n in wanted for blob in (cmdline, cwd, _read(f"{base}/environ"))):
        return None
    stat = _read(f"{base}/stat").rsplit(b")", 1)[-1].split()  # state ppid pgrp ...
    if len(stat) < 3 or stat[0] == b"Z":
        return None  # gone, or a zombie: it holds nothing and its parent reaps it
    return Stray(pid, int(stat[2]), f"pid {pid}: {describe(cmdline)}")


def describe(cmdline, width=24):
    """A command line in one short line: each argument cut to width characters."""
    args = [a.decode("utf-8", "replace").replace("\n", " ") for a in cmdline.split(b"\0") if a]
    args[:1] = [os.path.basename(a) for a in args[:1]]
    return " ".join(a if len(a) <= width else a[:width - 3] + "..." for a in args)


def kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def stop(strays, needles, rounds=20):
    """Freeze, then kill, the strays and their process groups; look again until none is left."""
    own_group = os.getpgid(0)
    for _ in range(rounds):
        if not strays:
            return
        for s in strays:
            for sig in (signal.SIGSTOP, signal.SIGKILL):
                try:
                    os.kill(s.pid, sig)
                except (ProcessLookupError, PermissionError):
                    pass
            if s.pgid > 1 and s.pgid != own_group:
                kill_group(s.pgid)  # catches a child that changed its pid meanwhile
        time.sleep(0.05)
        strays = find_strays(needles)


# -- reports -------------------------------------------------------------------------

HEADERS = ("case", "kind", "isolation", "expected", "outcome")


def outcome_text(outcome):
    return f"ok: {outcome.actual}" if outcome.ok else f"MISMATCH: {outcome.actual}: " + "; ".join(outcome.problems)


def table_rows(outcomes, wrap=False):
    def cut(text, width=70):
        if not wrap or len(text) <= width:
            return text
        words, lines, current = text.split(), [], ""
        for w in words:
            if current and len(current) + 1 + len(w) > width:
                lines.append(current)
                current = w
            else:
                current = f"{current} {w}".strip()
        return "\n".join(lines + [current])
    return [(o.case, o.kind, o.isolation, cut(o.expected, 40), cut(outcome_text(o))) for o in outcomes]


def markdown(run):
    escape = lambda s: s.replace("|", "\\|")  # noqa: E731
    rows = [tuple(escape(c) for c in row) for row in table_rows([run.reference] + run.outcomes)]
    lines = ["# Grader self-test: the submission corpus", "",
             "Each case is the reference overlaid with a few changed modules (tests/corpus/), graded by",
             "`python -m grader grade` in its own process. Expected: which areas must lose points, which must keep",
             "every point, and for hostile cases a time bound, no surviving process and no forged report.", "",
             tabulate(rows, headers=HEADERS, tablefmt="github"), ""]
    lines += [f"- {text}" for text in run.figures.lines() + [f"total wall time: {run.seconds:.0f} s"]]
    return "\n".join(lines) + "\n"


def write_reports(run, out_dir):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    md, js = out_dir / "corpus.md", out_dir / "corpus.json"
    md.write_text(markdown(run))
    js.write_text(json.dumps({"reference": asdict(run.reference), "outcomes": [asdict(o) for o in run.outcomes],
                              "figures": asdict(run.figures), "seconds": run.seconds}, indent=1))
    return [md, js]
