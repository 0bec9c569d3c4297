"""The grading pipeline, declared in order in grade(), one function per step:

1. open the submission (folder or .zip) and find its modules (open_submission);
2. validate the rubric and derive this submission's challenge seed (challenged);
3. load the secretly transformed dataset, when a picked check trains or times (load_data);
4. build the check catalog and pick checks (--only, visible-only) (catalog.build, select);
5. run every check's probes on the submission and on the reference, each in its own
   sandboxed processes, training, timing and blame by substitution included (run_all);
6. judge each check with its pure judge (judge);
7. allocate points and assemble a GradingResult (assemble); grader.report turns it into files.
"""

import fnmatch
import shutil
import tempfile
import threading
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass, replace

from . import blame, budget as budgets, challenge, preflight, scoring
from .checks import catalog, hints
from .checks.base import Verdict, display_name, with_requirements
from .pace import Pace, too_slow_message
from .contract import HELPER_MODULES, HELPER_USERS, MODULES
from .results import CheckResult, GradingResult
from .sandbox import Call, CallResult, Limits, Sandbox
from .stuck import HELPERS
from .submission import open_submission, cleanup
from .paths import PROJECT_DIR, REFERENCE_DIR
from .timing import time_interleaved


class GraderFault(RuntimeError):
    """The grader cannot grade here (the reference itself fails in the sandbox); no student result is written."""


@dataclass(frozen=True)
class Options:
    only: str | None = None  # glob or substring matched against check names
    visible_only: bool = False  # the student's self-check
    dataset: str = "auto"  # auto | mnist | digits
    data_dir: str | None = None  # --data-dir
    blas_threads: int = 1
    isolation: str = "process"  # bwrap | process: how student code is isolated (grader.isolation.choose)
    budget_s: float | None = None  # --budget: seconds the whole grade may take (None: the rubric's budget_s)
    rubric_file: str | None = None  # the rubric's file: process mode checks that student code cannot open it


def wanted(id, name, group, rubric, options):
    """Whether options pick the check (id, name, group): --only matches the id or the name (a glob or a
    substring), and the self-check keeps only visible checks."""
    if options.visible_only and rubric.visibility(id, group) != "visible":
        return False
    return not options.only or any(fnmatch.fnmatch(text, options.only) or options.only.lower() in text.lower() for text in (id, name))


def select(checks, rubric, options):
    """The checks to run: those the options pick (wanted), with the checks they require (Check.requires, by id)
    when those are visible to this run, so that a verdict never depends on what was selected."""
    chosen = {c.id for c in checks if wanted(c.id, c.name, c.group, rubric, options)}
    required = {r for c in checks if c.id in chosen for r in c.requires}
    return [c for c in checks
            if c.id in chosen or (c.id in required and wanted(c.id, c.name, c.group, rubric, replace(options, only=None)))]


def needs_data(rubric, options):
    """Whether a check that trains or times is picked, so the dataset must be loaded; the catalog names
    those checks without any data."""
    texts = catalog.data_check_texts(rubric, digits=options.dataset == "digits")
    return any(wanted(id, display_name(id, text), id.split("/", 1)[0], rubric, options) for id, text in texts.items())


def modules_with_stand_ins(submission):
    """The submission's module files; missing helper modules get the harness's correct stand-ins,
    so forward and training can still be checked (the missing module's own checks still fail)."""
    modules = dict(submission.modules)
    return modules, [m for m in HELPER_MODULES if m not in modules]


def run_unit_probes(box, checks, limits_timeout, on_event=None, hidden=lambda c: False, first=None, until=None, pace=None):
    """Run every probe of the given checks in `box`: one batch of calls (one worker process,
    while nothing crashes) per visibility, so a process that runs visible checks never sees a
    hidden check's inputs. Each call imports only the modules its check needs.

    on_event: optional callback for progress events (training epochs).
    first: an optional Call to run before all others, in the first batch; its result is out[None].
    until: the end of this stage of the time budget (grader.budget); pace: a Pace for training runs.
    Returns {(check name, probe position): CallResult}.
    """
    batches = defaultdict(list)
    for c in checks:
        for j, p in enumerate(c.probes):
            batches[hidden(c)].append((c, j, p))
    out, index = {}, 1  # index 0 is first's
    for n, items in enumerate(list(batches.values()) or [[]]):
        calls = [first] if first is not None and n == 0 else []
        for c, _, p in items:
            calls.append(Call(index, p.probe, p.spec, p.inputs, limits_timeout(c), tuple(c.needs), c.group, pace))
            index += 1
        results = box.run(calls, [], on_event, until) if calls else []
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
    missing = [r for r in student if r.status in ("missing", "import_error")]
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


@dataclass(frozen=True)
class Runs:
    """What running the probes gave, each keyed by check name: the submission's results, the reference's,
    the results of the blame-by-substitution runs, and the tail of what the submission printed."""
    student: dict  # name -> [CallResult]
    reference: dict  # name -> [CallResult]
    output: str
    substituted: dict  # name -> [CallResult]
    layers: dict  # the isolation layers in force in the submission's sandbox (Sandbox.layers_in_force)


def grade(path, rubric, options=Options(), progress=lambda msg: None):
    """Grade the submission at path, step by step: open it, plan the checks (with the challenge seed),
    load the data they need, run them, judge them, assemble the result. Never raises for anything the
    submission does. Raises SubmissionError (unusable path) and GraderFault (the sandbox fails the reference too).
    """
    t0 = time.monotonic()
    budget = budgets.Budget(float(options.budget_s or rubric.budget_s), t0)
    submission = open_submission(path)  # SubmissionError for unusable paths (usage error)
    data_dir = None
    try:
        rubric = challenged(rubric, submission)
        dataset, dataset_text, data_dir = load_data(rubric, options, progress)
        every_check = catalog.build(rubric, dataset, data_dir, fresh=challenge.fresh_rng())
        checks = select(every_check, rubric, options)
        runs = Runs(*run_all(submission, checks, rubric, options, data_dir, progress, budget, dataset))
        verdicts, faults = judge(checks, runs, budget)
        return assemble(submission, rubric, options, every_check, checks, runs, verdicts, faults, dataset_text, budget,
                        time.monotonic() - t0)
    finally:
        if data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
        cleanup(submission)


def challenged(rubric, submission, key=None):
    """The rubric, validated against the catalog, with its seed turned into this submission's challenge seed.
    A weak rubric seed (fewer than 128 bits, e.g. the public default's) also hashes this machine's secret key
    (key, else grader.machine_key's), so that no sandbox can compute its challenge from what it knows."""
    catalog.validate(rubric)
    if not rubric.strong_seed and key is None:
        from .machine_key import load_or_create
        key = load_or_create()
    seed = challenge.challenge_seed(rubric.seed, challenge.submission_digest(submission.modules),
                                    b"" if rubric.strong_seed else key)
    return replace(rubric, seed=seed)


def load_data(rubric, options, progress):
    """(dataset, a sentence naming it, the sandbox's folder for it), or Nones when no picked check trains or times."""
    if not needs_data(rubric, options):
        return None, "none (no training checks selected)", None
    return load_dataset(options, rubric.seed, progress)


def judge(checks, runs, budget):
    """({check id: Verdict}, [grader faults]): each check judged on its results (and explained by its
    substitution runs), a check the budget left out failed as not run, then the requirements applied."""
    verdicts, faults, not_run = {}, [], not_run_verdict(budget, checks, runs.student)
    for c in checks:
        verdict, fault = judge_safely(c, runs.student[c.name], runs.reference.get(c.name, []), runs.substituted.get(c.name, ()))
        if fault:
            faults.append(fault)
        if not verdict.passed and any(r.status == "not_run" for r in runs.student[c.name]):
            verdict = not_run
        verdicts[c.id] = verdict
    return {c.id: with_requirements(c, verdicts[c.id], verdicts) for c in checks}, faults


def assemble(submission, rubric, options, every_check, checks, runs, verdicts, faults, dataset_text, budget, seconds):
    """The GradingResult: each check's points, feedback, hint and note, and what the run left out."""
    points = scoring.allocate({g: r.points for g, r in rubric.groups.items()}, [(c.id, c.group) for c in every_check],
                              rubric.fixed_points())
    results = []
    for c in checks:
        v = verdicts[c.id]
        note = " ".join(n for n in (v.note, "" if v.passed or c.kind == "unit" else blame.downstream_note(verdicts, c.group)) if n)
        max_score = points[c.id]
        results.append(CheckResult(c.name, c.group, c.area, rubric.visibility(c.id, c.group), max_score,
                                   max_score if v.passed else 0.0, v.passed, v.message,
                                   hints.pick(v, c, rubric.hints, runs.student[c.name], runs.reference.get(c.name, [])), note,
                                   sum(r.seconds for r in runs.student[c.name]), c.id, rubric.advice(c.id)))
    skipped = sum(not verdicts[c.id].passed and any(r.status == "not_run" for r in runs.student[c.name]) for c in checks)
    chosen = {c.id for c in checks}
    unseen = sum(points[c.id] for c in select(every_check, rubric, replace(options, visible_only=False)) if c.id not in chosen)
    return GradingResult(submission.name, dataset_text, tuple(results), seconds, tuple(faults), submission.missing, runs.output,
                         options.isolation, budget.seconds, skipped, round(unseen, 2),
                         layers=runs.layers)


def not_run_verdict(budget, checks, student_results):
    """The verdict of every check the budget left out, naming the groups that used the budget."""
    spent = defaultdict(float)
    for c in checks:
        spent[c.group] += sum(r.seconds for r in student_results.get(c.name, []))
    return Verdict(False, budgets.not_run_message(budget.seconds, spent))


def helpers_could_explain(result):
    """Whether a failed training run may pass with correct helpers: wrong values or divergence, or a
    stuck helper known from its own checks; never a timeout, a projection, a crash or an import error."""
    if result.status in ("too_slow", "not_run", "crashed", "import_error"):
        return False
    if result.status == "timeout":
        return helper_stuck(result)
    return True


def helper_stuck(result):
    """A run that failed at once because a helper function (sigmoid, softmax, ...) was known to be stuck."""
    return bool(set(result.meta.get("known_stuck", ())) & set(HELPERS)) and result.seconds == 0.0


def train_as_submitted_then_with_helpers(box, check, timeout, on_event, hidden, until=None, pace=None, reference=list):
    """The training runs of a check: as submitted, then with correct helpers only when the first
    run failed in a way the helpers could explain (helpers_could_explain). reference(): the reference's
    results that the judge verifies a run with, asked for once the first run ended (it trains beside it)."""
    first = run_unit_probes(box, [replace(check, probes=check.probes[:1])], timeout, on_event, hidden, until=until,
                            pace=pace)[(check.name, 0)]
    if not helpers_could_explain(first) or check.judge([first], reference()).passed:
        return [first]
    second = run_unit_probes(box, [replace(check, probes=check.probes[1:2])], timeout, on_event, hidden, until=until,
                             pace=pace)[(check.name, 0)]
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


def training_pace(check, train_size):
    """The Pace of a training check's run: its epochs and batches per epoch."""
    config = check.probes[0].spec["config"]
    return Pace(config["epochs"], -(-train_size // config["batch_size"]))


REFERENCE_BATCHES = 64  # batches of the reference's run timed to compare with a run stopped as too slow


def with_reference_pace(result, ref_box, check, pace, timeout, until=None):
    """A too_slow training result whose message also says how long the reference takes per epoch,
    measured now by the grader over the reference's first REFERENCE_BATCHES batches of the same run."""
    figures = result.meta.get("pace") if result.status == "too_slow" else None
    if not figures:
        return result
    measure = replace(pace, epochs=max(pace.epochs, -(-REFERENCE_BATCHES // pace.per_epoch)), measure=REFERENCE_BATCHES)
    ref = run_unit_probes(ref_box, [replace(check, probes=check.probes[:1])], timeout, until=until, pace=measure)[(check.name, 0)]
    per = (ref.meta.get("pace") or {}).get("per_batch") if ref.status == "too_slow" else None
    if not per:
        return result
    text = too_slow_message(replace(pace, reference_epoch_s=per * pace.per_epoch), figures["per_batch"], figures["projected"],
                            figures["allowed"])
    return replace(result, message=text)


def verifying_run(check):
    """The check with one probe: the reference's run of its first training probe's epochs, weights only
    (harness.probes.train_weights), which the judge verifies the submission's runs against."""
    first = check.probes[0]
    return replace(check, probes=(replace(first, probe="train_weights", spec={**first.spec, "helpers": "student"}),))


class concurrently:
    """`with concurrently(work) as w:` runs work() in a thread beside the block; after it, w.result is its value
    (a grading thread's own exception is raised again). The reference trains on the second core this way,
    while the submission trains on the first, so verifying a training run costs little wall time."""

    def __init__(self, work):
        self.work, self.result, self.error = work, None, None
        self.thread = threading.Thread(target=self._run, name="grader-reference-run", daemon=True)

    def _run(self):
        try:
            self.result = self.work()
        except BaseException as exc:  # raised again in the grading thread
            self.error = exc

    def __enter__(self):
        self.thread.start()
        return self

    def wait(self):
        """work()'s value, once it has returned (its exception, raised here)."""
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.result

    def __exit__(self, *exc):
        self.thread.join()
        if self.error is not None and exc[0] is None:
            raise self.error
        return False


def run_all(submission, checks, rubric, options, data_dir, progress, budget=None, dataset=None):
    """Run the probes of all checks. Returns ({name: [CallResult]}, {name: [CallResult]}, student output,
    {name: [CallResult] of its substitution runs}).

    budget: the grade's Budget; each stage (units, training, performance) ends by its share (grader.budget)."""
    limits = Limits(memory_mb=rubric.memory_mb, blas_threads=options.blas_threads, import_timeout=rubric.import_timeout,
                    output_mb=rubric.output_mb, sandbox_memory_mb=rubric.sandbox_memory_mb,
                    max_processes=rubric.max_processes, disk_mb=rubric.disk_mb)
    modules, stand_ins = modules_with_stand_ins(submission)
    # Helpers that fail to import get stand-ins too; asked only when a picked check imports them from another module.
    uses_helpers = any(m in HELPER_USERS for c in checks for m in c.needs)
    relaxed = options.visible_only  # the student's self-check: no secret to keep from the student's own code
    guarded = lambda ref_box: () if relaxed else secret_paths(ref_box, options.rubric_file)  # noqa: E731
    broken = preflight.find_broken(modules, limits, options.isolation, guarded(None)) if uses_helpers else {}
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
    hidden = lambda c: rubric.visibility(c.id, c.group) != "visible"
    units = [c for c in present if c.kind == "unit"]
    trainings = [c for c in present if c.kind == "training"]
    perfs = [c for c in present if c.kind == "performance"]
    stages = [s for s, cs in zip(budgets.STAGES, (units, trainings, perfs)) if cs]
    until = (lambda stage: budget.until(stage, stages)) if budget else (lambda stage: None)
    train_size = dataset.X_train.shape[0] if dataset is not None else 0
    with Sandbox(reference_modules, limits, data_dir=data_dir, isolation_mode=options.isolation, relaxed=relaxed,
                 reference=True) as ref_box:
        # the reference's process may see hidden inputs: one batch for all its checks, one process less
        want = run_unit_probes(ref_box, [c for c in units if c.run_reference], timeout, first=CANARY)
        canary(ref_box, want.pop(None))  # before any student code runs
        with Sandbox(modules, limits, data_dir=data_dir, stand_ins=stand_ins, isolation_mode=options.isolation,
                     guarded=guarded(ref_box), relaxed=relaxed) as box:  # probes the guarded paths first
            progress(f"running {len(units)} checks on {submission.name}")

            def epoch_line(event):
                data = event.get("data") if isinstance(event.get("data"), dict) else {}
                epoch, acc = data.get("epoch"), data.get("val_accuracy")
                if isinstance(epoch, int) and isinstance(acc, float):
                    progress(f"training: epoch {epoch} done, validation accuracy {acc:.4f}")
            got = run_unit_probes(box, units, timeout, epoch_line, hidden, until=until("units"))
            for c in units:
                student[c.name] = [got[(c.name, j)] for j in range(len(c.probes))]
                if c.run_reference:
                    reference[c.name] = [want[(c.name, j)] for j in range(len(c.probes))]
            for c in trainings:
                pace = training_pace(c, train_size)
                with concurrently(lambda: run_unit_probes(ref_box, [verifying_run(c)], timeout,  # noqa: B023  waited for in this iteration
                                                          until=until("training"))[(c.name, 0)]) as verifying:  # noqa: B023
                    runs = train_as_submitted_then_with_helpers(box, c, timeout, epoch_line, hidden, until("training"), pace,
                                                                lambda: [verifying.wait()])
                reference[c.name] = [verifying.wait()]  # the same run in the reference's sandbox: it verifies the weights
                student[c.name] = [with_reference_pace(runs[0], ref_box, c, pace, timeout, until("training")), *runs[1:]]
            for c in perfs:
                progress("timing training epochs against the reference")
                rule = rubric.rule(c.group)
                spec = c.probes[0].spec
                seeds = challenge.fresh_timing_seeds(spec["repeats"])  # never derived from what the sandbox knows
                pace = Pace(1, -(-min(spec["subset"], train_size or spec["subset"]) // spec["config"]["batch_size"]))
                s, r = time_interleaved(box, ref_box, c.probes[0], list(c.needs), rule.timeout,
                                        rule.params.max_ratio, seeds, until("performance") or float("inf"), pace)
                student[c.name], reference[c.name] = [s], [r]
            substituted = run_substitutions(box, ref_box, [c for c in units + trainings + perfs if c.name in student], student, reference,
                                            timeout, hidden, until("performance") if budget else None)
            student_output.append(box.output_tail())
            layers = box.layers_in_force()
    return student, reference, "".join(student_output), substituted, layers


def secret_paths(ref_box, rubric_file):
    """What no student process may open: the repository's reference/, its .git (the solution's history) and tests/
    (the corpus holds working modules), the rubric's file, the machine key (a weak seed's secret), and the
    reference's sandbox when it is open (its folder, its modules and every input batch written so far)."""
    from .machine_key import key_path
    paths = [REFERENCE_DIR, *sorted(REFERENCE_DIR.glob("*.py")), key_path()]
    paths += [PROJECT_DIR / ".git", PROJECT_DIR / "tests"] if (PROJECT_DIR / "pyproject.toml").exists() else []  # a checkout
    paths += [rubric_file] if rubric_file else []
    if ref_box is not None and ref_box.root is not None:
        paths += [ref_box.root, *sorted(p for p in ref_box.root.rglob("*") if not p.is_relative_to(ref_box.root / "logs"))]
    return tuple(str(p) for p in paths)


def run_substitutions(box, ref_box, checks, student, reference, timeout, hidden, until=None):
    """Blame by substitution (grader.blame): for each failed check with a Diagnosis, its extra runs,
    fed from the reference's data, after every other student call (and on the reference too when the
    diagnosis compares with it), within the time budget (until). Returns {name: [CallResult], student's then reference's}."""
    wanted = blame.wanted(checks, student, reference)
    if not wanted:
        return {}
    runs = [replace(c, probes=wanted[c.name]) for c in checks if c.name in wanted]
    limit = lambda c: blame.time_limit(timeout(c), student[c.name])  # noqa: E731
    got = run_unit_probes(box, runs, limit, hidden=hidden, until=until)
    out = {c.name: [got[(c.name, j)] for j in range(len(c.probes))] for c in runs}
    both = [c for c in runs if c.diagnose.reference_too]
    if both:
        want = run_unit_probes(ref_box, both, timeout, until=until)
        for c in both:
            out[c.name] += [want[(c.name, j)] for j in range(len(c.probes))]
    return out
