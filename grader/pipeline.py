"""The grading pipeline, declared in order:

1. open the submission (folder or .zip) and find its modules;
2. load the rubric and, when training checks are selected, the dataset;
3. build the check catalog and select checks (--only, visible-only);
4. run every check's probes on the submission and on the reference, each in
   its own sandboxed processes (grader.sandbox), training and timing included;
5. judge each check (pure functions in grader.checks), allocate points;
6. return a GradingResult; grader.report turns it into files and tables.
"""

import fnmatch
import shutil
import tempfile
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass, replace

from . import blame, challenge, preflight, scoring
from .checks import catalog
from .checks.base import Verdict
from .contract import HELPER_MODULES, MODULES
from .results import CheckResult, GradingResult
from .rubric import validate_against
from .sandbox import Call, CallResult, Limits, Sandbox
from .submission import open_submission, cleanup
from .paths import REFERENCE_DIR
from .timing import time_interleaved


class GraderFault(RuntimeError):
    """The grader cannot grade here (the reference itself fails in the sandbox); no student result is written."""


@dataclass(frozen=True)
class Options:
    only: str = None  # glob or substring matched against check names
    visible_only: bool = False  # the student's self-check
    dataset: str = "auto"  # auto | mnist | digits
    data_dir: str = None  # --data-dir
    blas_threads: int = 1
    isolation: str = "process"  # bwrap | process: how student code is isolated (grader.isolation.choose)


def select(checks, rubric, options):
    chosen = []
    for c in checks:
        if options.visible_only and rubric.visibility(c.name, c.group) != "visible":
            continue
        if options.only and not (fnmatch.fnmatch(c.name, options.only) or options.only.lower() in c.name.lower()):
            continue
        chosen.append(c)
    return chosen


def needs_data(rubric, options):
    """Whether a check that trains or times is selected, so the dataset must be loaded.

    The data checks' names are built on a tiny stand-in dataset just to match them.
    """
    import types
    import numpy as np
    stand_in = types.SimpleNamespace(name=options.dataset if options.dataset != "auto" else "mnist",
                                     X_train=np.zeros((64, 784), np.uint8), y_train=np.zeros(64, np.int64),
                                     X_test=np.zeros((1, 784), np.uint8), y_test=np.zeros(1, np.int64))
    return bool(select(catalog.data_checks(rubric, stand_in, "."), rubric, options))


def modules_with_stand_ins(submission):
    """The submission's module files; missing helper modules get the harness's correct stand-ins,
    so forward and training can still be checked (the missing module's own checks still fail)."""
    modules = dict(submission.modules)
    return modules, [m for m in HELPER_MODULES if m not in modules]


def run_unit_probes(box, checks, limits_timeout, on_event=None, hidden=lambda c: False, first=None):
    """Run every probe of the given checks in `box`: one batch of calls (one worker process,
    while nothing crashes) per visibility, so a process that runs visible checks never sees a
    hidden check's inputs. Each call imports only the modules its check needs.

    on_event: optional callback for progress events (training epochs).
    first: an optional Call to run before all others, in the first batch; its result is out[None].
    Returns {(check name, probe position): CallResult}.
    """
    batches = defaultdict(list)
    for c in checks:
        for j, p in enumerate(c.probes):
            batches[hidden(c)].append((c, j, p))
    out, index = {}, 1  # index 0 is first's
    for n, items in enumerate(list(batches.values()) or [[]]):
        calls = [first] if first is not None and n == 0 else []
        for c, j, p in items:
            calls.append(Call(index, p.probe, p.spec, p.inputs, limits_timeout(c), tuple(c.needs)))
            index += 1
        results = box.run(calls, [], on_event) if calls else []
        if first is not None and n == 0:
            out[None] = results.pop(0)
        for (c, j, _), r in zip(items, results):
            out[(c.name, j)] = r
    return out


def missing_result(module):
    return CallResult("missing", f"missing file: {module}.py was not found in the submission", {}, {}, 0.0)


def judge_safely(check, student, reference, substituted=()):
    """A missing file is the submission's failure; a judge's own exception is the grader's fault.
    substituted: the results of the check's blame-by-substitution runs, which explain a failure."""
    missing = [r for r in student if r.status == "missing"]
    if missing:
        return Verdict(False, missing[0].message), None
    try:
        return blame.explained(check, check.judge(student, reference), substituted, student, reference), None
    except Exception:
        fault = f"{check.name}: {traceback.format_exc(limit=3)}"
        return Verdict(False, "the grader failed while judging this check (not your fault; please report it)"), fault


def load_dataset(options, seed, progress):
    """(the secretly transformed dataset, a sentence naming it, the sandbox's folder for it)."""
    from .data import load_raw, write_for_sandbox
    progress(f"loading the {options.dataset} dataset")
    raw = load_raw(options.dataset, options.data_dir)
    dataset = challenge.transformed(raw, challenge.transform_for(seed, raw.X_train.shape[1], 10))
    text = f"{raw.name}: {raw.source} (pixels and classes secretly permuted for this grade)"
    folder = tempfile.mkdtemp(prefix="grader-data-")
    return dataset, text, write_for_sandbox(dataset, folder)


def grade(path, rubric, options=Options(), progress=lambda msg: None):
    """Grade the submission at path. Never raises for anything the submission does.

    Raises SubmissionError (unusable path) and GraderFault (the sandbox fails the reference too).
    """
    t0 = time.monotonic()
    submission = open_submission(path)  # SubmissionError for unusable paths (usage error)
    data_dir = None
    faults = []
    try:
        validate_against(rubric, catalog.group_names(rubric))
        rubric = replace(rubric, seed=challenge.challenge_seed(rubric.seed, challenge.submission_digest(submission.modules)))
        dataset, dataset_text = None, "none (no training checks selected)"
        if needs_data(rubric, options):
            dataset, dataset_text, data_dir = load_dataset(options, rubric.seed, progress)
        every_check = catalog.build(rubric, dataset, data_dir)
        checks = select(every_check, rubric, options)
        points = scoring.allocate({g: r.points for g, r in rubric.groups.items()}, [(c.name, c.group) for c in every_check])
        student_results, reference_results, student_output, substituted = run_all(submission, checks, rubric, options, data_dir, progress)
        results, verdicts = [], {}
        for c in checks:
            verdict, fault = judge_safely(c, student_results[c.name], reference_results.get(c.name, []), substituted.get(c.name, ()))
            if fault:
                faults.append(fault)
            verdicts[c.name] = verdict
        for c in checks:
            v = verdicts[c.name]
            note = " ".join(n for n in (v.note, "" if v.passed or c.kind == "unit" else blame.downstream_note(verdicts, c.group)) if n)
            seconds = sum(r.seconds for r in student_results[c.name])
            max_score = points[c.name]
            results.append(CheckResult(c.name, c.group, c.area, rubric.visibility(c.name, c.group), max_score,
                                       max_score if v.passed else 0.0, v.passed, v.message, v.hint or c.hint, note, seconds))
        chosen = {c.name for c in checks}
        unseen = sum(points[c.name] for c in select(every_check, rubric, replace(options, visible_only=False)) if c.name not in chosen)
        return GradingResult(submission.name, dataset_text, tuple(results), time.monotonic() - t0, tuple(faults),
                             submission.missing, student_output, options.isolation, round(unseen, 2))
    finally:
        if data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
        cleanup(submission)


def train_as_submitted_then_with_helpers(box, check, timeout, on_event, hidden):
    """The training runs of a check: as submitted, then with correct helpers only when the first
    run failed in a way the helpers could explain (wrong values, not a timeout, crash or import error)."""
    first = run_unit_probes(box, [replace(check, probes=check.probes[:1])], timeout, on_event, hidden)[(check.name, 0)]
    if check.judge([first], []).passed or first.status in ("timeout", "crashed", "import_error"):
        return [first]
    second = run_unit_probes(box, [replace(check, probes=check.probes[1:2])], timeout, on_event, hidden)[(check.name, 0)]
    return [first, second]


CANARY = Call(0, "call", {"module": "activations", "function": "sigmoid", "args": [{"value": 0.0}], "kwargs": {}}, {}, 30.0,
              ("activations",))  # the reference's sigmoid(0): 0.5


def canary(box, result=None):
    """Raise GraderFault unless the reference imports and computes one value in this sandbox
    (result: the CANARY call's result when it already ran, first in the reference's batch)."""
    if result is None:
        (result,) = box.run([CANARY], ["activations"])
    value = result.arrays.get("result")
    if result.ok and value is not None and float(value) == 0.5:
        return
    raise GraderFault(f"the sandbox cannot run the reference solution ({result.message or 'wrong value'}); "
                      f"{sandbox_diagnosis(box)}. Nothing was graded and no result was written.")


def sandbox_diagnosis(box):
    """The likeliest cause of a sandbox that fails the reference: an unreachable folder, else its output."""
    from .sandbox import unreachable_by_others
    if box.uid is not None:
        for folder in (box.root, box.data_dir):
            blocked = unreachable_by_others(folder) if folder else None
            if blocked:
                return (f"the sandbox user cannot read {folder}: {blocked} is mode {blocked.stat().st_mode & 0o777:o} "
                        "(for TMPDIR, use a folder others may traverse, e.g. TMPDIR=/tmp)")
    tail = box.output_tail(per_file=600, limit=1200).strip()
    return "its output: " + tail if tail else "it printed nothing"


def run_all(submission, checks, rubric, options, data_dir, progress):
    """Run the probes of all checks. Returns ({name: [CallResult]}, {name: [CallResult]}, student output,
    {name: [CallResult] of its substitution runs})."""
    limits = Limits(memory_mb=rubric.memory_mb, blas_threads=options.blas_threads, import_timeout=rubric.import_timeout)
    modules, stand_ins = modules_with_stand_ins(submission)
    broken = preflight.find_broken(modules, limits, options.isolation)  # helpers that fail to import get stand-ins too
    modules, stand_ins = {m: p for m, p in modules.items() if m not in broken}, stand_ins + list(broken)
    reference_modules = {m: REFERENCE_DIR / f"{m}.py" for m in MODULES}
    student, reference, student_output = {}, {}, []
    for c in checks:
        gone = [m for m in c.needs if m in submission.missing or m in broken]
        if gone:
            student[c.name] = [missing_result(gone[0]) if gone[0] not in broken else preflight.broken_result(gone[0], broken[gone[0]])
                               for _ in c.probes]
    present = [c for c in checks if c.name not in student]
    timeout = lambda c: rubric.rule(c.group).timeout
    hidden = lambda c: rubric.visibility(c.name, c.group) != "visible"
    units = [c for c in present if c.kind == "unit"]
    trainings = [c for c in present if c.kind == "training"]
    perfs = [c for c in present if c.kind == "performance"]
    with Sandbox(reference_modules, limits, data_dir=data_dir, isolation_mode=options.isolation) as ref_box:
        want = run_unit_probes(ref_box, [c for c in units if c.run_reference], timeout, hidden=hidden, first=CANARY)
        canary(ref_box, want.pop(None))  # before any student code runs
        with Sandbox(modules, limits, data_dir=data_dir, stand_ins=stand_ins, isolation_mode=options.isolation) as box:
            progress(f"running {len(units)} checks on {submission.name}")

            def epoch_line(event):
                data = event.get("data") if isinstance(event.get("data"), dict) else {}
                epoch, acc = data.get("epoch"), data.get("val_accuracy")
                if isinstance(epoch, int) and isinstance(acc, float):
                    progress(f"training: epoch {epoch} done, validation accuracy {acc:.4f}")
            got = run_unit_probes(box, units, timeout, epoch_line, hidden)
            for c in units:
                student[c.name] = [got[(c.name, j)] for j in range(len(c.probes))]
                if c.run_reference:
                    reference[c.name] = [want[(c.name, j)] for j in range(len(c.probes))]
            for c in trainings:
                student[c.name] = train_as_submitted_then_with_helpers(box, c, timeout, epoch_line, hidden)
            for c in perfs:
                progress("timing training epochs against the reference")
                rule = rubric.rule(c.group)
                seeds = challenge.timing_seeds(rubric.seed, c.probes[0].spec["repeats"])
                s, r = time_interleaved(box, ref_box, c.probes[0], list(c.needs), rule.timeout,
                                        float(rule.param("max_ratio", 3.0)), seeds)
                student[c.name], reference[c.name] = [s], [r]
            substituted = run_substitutions(box, ref_box, [c for c in units + perfs if c.name in student], student, reference,
                                            timeout, hidden)
            student_output.append(box.output_tail())
    return student, reference, "".join(student_output), substituted


def run_substitutions(box, ref_box, checks, student, reference, timeout, hidden):
    """Blame by substitution (grader.blame): for each failed check with a Diagnosis, its extra runs,
    fed from the reference's data, after every other student call (and on the reference too when the
    diagnosis compares with it). Returns {name: [CallResult], student's then reference's}."""
    wanted = blame.wanted(checks, student, reference)
    if not wanted:
        return {}
    runs = [replace(c, probes=wanted[c.name]) for c in checks if c.name in wanted]
    limit = lambda c: blame.time_limit(timeout(c), student[c.name])  # noqa: E731
    got = run_unit_probes(box, runs, limit, hidden=hidden)
    out = {c.name: [got[(c.name, j)] for j in range(len(c.probes))] for c in runs}
    both = [c for c in runs if c.diagnose.reference_too]
    if both:
        want = run_unit_probes(ref_box, both, timeout)
        for c in both:
            out[c.name] += [want[(c.name, j)] for j in range(len(c.probes))]
    return out
