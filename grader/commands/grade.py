"""`grader grade PATH`: grade one submission; writes results.json (Gradescope format)."""

import sys
import traceback
from pathlib import Path

from .. import confine, exits, isolation, pipeline, report
from ..checks import catalog
from ..data import DataError
from ..paths import REPORTS_DIR, RUBRIC_FILE
from ..rubric import MIN_BUDGET_S, RubricError, load_rubric
from ..results import GradingResult
from ..submission import SubmissionError, submission_name


def add_common(parser):
    parser.add_argument("--rubric", type=Path, default=RUBRIC_FILE, help="rubric TOML (default: grader/rubric.toml)")
    parser.add_argument("--only", metavar="PATTERN", help="run only checks whose name matches (glob, or a substring), e.g. 'softmax.*'")
    parser.add_argument("--dataset", default="auto", choices=("auto", "mnist", "digits"),
                        help="data for the training checks: mnist, digits (bundled, offline), or auto (MNIST if found, else digits)")
    parser.add_argument("--data-dir", help="folder holding the four MNIST .gz files (else $MNIST_DIR, else the user cache)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads in the student process (default 1)")
    parser.add_argument("--budget", type=float, metavar="S",
                        help="seconds the whole grade may take, however slow or stuck the code (default: the rubric's "
                             "budget_s, 240); checks the budget cannot fit fail as 'not run'")
    parser.add_argument("--quiet", action="store_true", help="print only the summary line")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show every check (not only the failed ones) and the progress lines")
    parser.add_argument("--isolation", choices=isolation.MODES, default="auto",
                        help="how student code is isolated: bwrap (Linux namespaces via bubblewrap), process (a plain "
                             "child process with audit hooks: weaker), or auto (bwrap when it works; default). "
                             "`grade` as root or under CI=true refuses to fall back to process unless asked explicitly")


def add_arguments(parser):
    parser.add_argument("path", type=Path, help="submission folder or .zip (modules at the top level or under assignment/)")
    parser.add_argument("--out", type=Path, help="where to write results.json (default: reports/<submission name>/)")
    parser.add_argument("--junit", type=Path, metavar="FILE", help="also write JUnit XML to FILE")
    parser.add_argument("--fail-under", type=float, metavar="POINTS", help="exit 1 when the score is below POINTS (for CI)")
    add_common(parser)


def choose_isolation(requested, visible_only):
    """The isolation mode; `process` is refused where its layers cannot confine student code (grader.confine),
    and announced with the layers it has, except to a student checking their own code."""
    chosen = isolation.choose(requested, strict=not visible_only and isolation.strict_by_default())
    if chosen.mode == "process" and not visible_only:
        layers = confine.available(isolation.can_drop_privileges(sys.executable))
        problem = confine.process_problem(layers)
        if problem:
            raise isolation.IsolationError(f"process isolation cannot confine student code here: {problem}")
        print(f"grader: WARNING: student code runs with process isolation ({chosen.reason}), not in namespaces: "
              f"{confine.describe(layers)}. Install bubblewrap where namespaces are allowed.", file=sys.stderr)
    return chosen


def run(args, visible_only):
    """Shared by `grade` and `check`. Returns (exit status, GradingResult or None)."""
    try:
        rubric = load_rubric(args.rubric)
        catalog.validate(rubric)  # exit 2 before any grading for a rubric naming what the grader lacks
        if args.threads < 1:
            raise RubricError("--threads must be at least 1")
        if args.budget is not None and not args.budget >= MIN_BUDGET_S:
            raise RubricError(f"--budget must be at least {MIN_BUDGET_S:g} s")
        chosen = choose_isolation(args.isolation, visible_only)
        options = pipeline.Options(only=args.only, visible_only=visible_only, dataset=args.dataset,
                                   data_dir=args.data_dir, blas_threads=args.threads, isolation=chosen.mode,
                                   budget_s=args.budget, rubric_file=str(Path(args.rubric).resolve()))
        progress = ((lambda msg: print(f"grader: {msg} ...", file=sys.stderr, flush=True)) if args.verbose and not args.quiet
                    else (lambda msg: None))
        result = pipeline.grade(args.path, rubric, options, progress)
    except (RubricError, SubmissionError, DataError, isolation.IsolationError) as exc:
        print(f"grader {'check' if visible_only else 'grade'}: error: {exc}", file=sys.stderr)
        return exits.USAGE, None
    except pipeline.GraderFault as exc:
        print(f"grader fault (not the submission's): {exc}", file=sys.stderr)
        return exits.FAULT, None
    except Exception:  # the grader's own bug: still leave a report that says so
        print("grader fault (not the submission's):\n" + traceback.format_exc(), file=sys.stderr)
        return exits.FAULT, GradingResult(submission_name(args.path), "unknown (the grader failed)", (), 0.0,
                                          ("the grader failed before any check could be judged; see its error output",))
    if not result.results and not result.grader_faults:
        print(f"grader: no check matches --only {args.only!r}", file=sys.stderr)
        return exits.USAGE, None
    print(report.summary_line(result) if args.quiet else report.terminal_report(result, args.verbose))
    for fault in result.grader_faults:
        print(f"grader fault: {fault}", file=sys.stderr)
    return (exits.FAULT if result.grader_faults else exits.OK), result


def out_dir(args):
    """--out, else reports/<submission name>/."""
    return args.out or REPORTS_DIR / submission_name(args.path)


def unwritable_outputs(args):
    """Why --out (or the default report folder) or --junit cannot be written, or ""."""
    out = out_dir(args)
    problem = report.unwritable(out)
    if problem:
        return f"cannot write the report to {out}: {problem}; choose another --out"
    if args.junit:
        problem = "it is a folder" if Path(args.junit).is_dir() else report.unwritable(Path(args.junit).absolute().parent)
        if problem:
            return f"cannot write --junit {args.junit}: {problem}; choose another file"
    return ""


def main(args):
    problem = unwritable_outputs(args)  # before grading: minutes of work must not end in a traceback
    if problem:
        print(f"grader grade: error: {problem}", file=sys.stderr)
        return exits.USAGE
    status, result = run(args, visible_only=False)
    if result is None:
        return status
    out = out_dir(args)
    try:
        written = report.write_results(result, out, args.junit)
    except OSError as exc:
        print(f"grader grade: error: cannot write the report to {out}: {exc}", file=sys.stderr)
        return exits.USAGE
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    if status == exits.OK and args.fail_under is not None and result.score < args.fail_under:
        print(f"grader: score {result.score:g} is under --fail-under {args.fail_under:g}", file=sys.stderr)
        return exits.FAILED
    return status
