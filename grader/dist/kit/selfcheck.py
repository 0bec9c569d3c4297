"""The self-check, in order:

1. find the student's modules in PATH (missing ones fail their own checks), and the helper modules that
   fail to import (preflight.py; they fail theirs too, and the network gets the kit's stand-ins for both);
2. read the kit's checks (checks.json, checks.npz: public inputs and the reference's values);
3. add the training and performance checks (data found on this machine);
4. run every probe in a subprocess (runner.py), as submitted and with recorded helpers where the grader does;
5. judge each check (judges.py) and note failed dependencies.
"""

import fnmatch
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import datasets, hints, judges, preflight, standins
from .contract import KEYS
from .data.errors import DataError
from .results import CallResult, CheckResult
from .runner import Call, find_modules, run_calls

KIT_DIR = Path(__file__).resolve().parent
MANIFEST, ARRAYS = KIT_DIR / "checks.json", KIT_DIR / "checks.npz"


@dataclass(frozen=True)
class KitCheck:
    """One check: the grader's id and name, the judge's kind and parameters, its probes, the expected results."""
    id: str  # the grader's stable check id
    name: str
    group: str
    hint: str
    advice: bool  # reported with its hint; worth only the points the rubric gives it
    kind: str  # key of judges.JUDGES
    params: dict
    needs: tuple  # the modules it calls
    depends_on: tuple  # groups whose failure may explain its failure
    points: float
    timeout: float
    probes: tuple  # of judges.Probe
    expected: tuple  # of CallResult, the reference's (may be empty)
    arrays: str  # the .npz holding its inputs
    prefixes: tuple  # the inputs' key prefix in that .npz, per probe
    kind_hints: dict = None  # failure kind -> hint, e.g. "nonfinite" (hints.py, as the grader picks it)
    requires: tuple = ()  # names of the checks that must pass for its pass to count, as in the grader (Check.requires)
    withheld: str = ""  # why its pass waits for them
    requires_any: bool = False  # any one of them passing is enough


def kit_hint(check, student, passed):
    """The check's hint, or the one for this kind of failure (a nan, a factor of N), picked as the grader picks it."""
    if passed or not check.hint:
        return check.hint
    kind = hints.failure_kind(student, list(check.expected), list(check.probes))
    if kind == hints.IMPORT:
        return hints.import_hint("concept", hints.unimported(student, check))
    generic = hints.GENERIC[kind][1] if kind in hints.GENERIC else check.hint
    return (check.kind_hints or {}).get(kind) or generic


def load_manifest(path=MANIFEST):
    return json.loads(Path(path).read_text())


def stored_checks(manifest, npz_path=ARRAYS):
    """The kit's unit checks, inputs and expected values read from the .npz."""
    out = []
    with np.load(npz_path, allow_pickle=False) as npz:
        keys = npz.files
        for i, c in enumerate(manifest["checks"]):
            probes, expected, prefixes = [], [], []
            for j, p in enumerate(c["probes"]):
                prefix = p.get("inputs_at") or f"c{i}.p{j}.in."  # shared with an earlier probe when equal
                inputs = {k[len(prefix):]: npz[k] for k in keys if k.startswith(prefix)}
                probes.append(judges.Probe(p["probe"], p["spec"], inputs))
                prefixes.append(prefix)
                if p.get("expected") is not None:
                    ref = p.get("expected_at") or f"c{i}.p{j}.ref."
                    expected.append(CallResult("ok", "", p["expected"], {k[len(ref):]: npz[k] for k in keys if k.startswith(ref)}))
            out.append(KitCheck(c["id"], c["name"], c["group"], c["hint"], c["advice"], c["kind"], c["params"], tuple(c["needs"]), tuple(c["depends_on"]),
                                c["points"], c["timeout"], tuple(probes), tuple(expected), str(npz_path), tuple(prefixes),
                                c.get("kind_hints") or {}, tuple(c.get("requires") or ()), c.get("withheld", ""),
                                bool(c.get("requires_any"))))
    return out


def training_check(manifest, dataset, folder):
    """The accuracy check on this machine's data: the rubric's epochs and threshold for that dataset."""
    t = manifest["training"]
    which = t[dataset.name]
    path = datasets.write_npz(dataset.arrays, Path(folder) / "dataset.npz")
    config = {**t["config"], "epochs": which["epochs"]}
    params = {"threshold": which["threshold"], "epochs": which["epochs"], "dataset": dataset.source,
              "X_test": dataset.arrays["X_test"], "y_test": dataset.arrays["y_test"]}
    probe = judges.Probe("train", {"config": config}, {})
    return KitCheck(t["id"], which["name"], "training", t["hint"], False, "accuracy", params, tuple(t["needs"]), tuple(t["depends_on"]),
                    t["points"], t["timeout"], (probe,), (), str(path), ("",))


def performance_check(manifest, folder, npz_path=ARRAYS):
    """The epoch-speed check: synthetic images (timing does not depend on their values), the timing
    stand-ins, and the reference's weights after the same epoch at sampled entries."""
    p = manifest["performance"]
    X, y = standins.timing_data(manifest["kit_seed"], p["subset"])
    with np.load(npz_path, allow_pickle=False) as npz:
        idx = {k: npz[f"perf.idx.{k}"] for k in KEYS}
        expected = {k: npz[f"perf.ref.{k}"] for k in KEYS}
    path = datasets.write_npz({"X": X, "y": y, **{f"idx.{k}": v for k, v in idx.items()}}, Path(folder) / "timing.npz")
    spec = {"config": p["config"], "repeats": p["repeats"], "helpers": "timing", "matmul_size": p["matmul_size"], "matmul_repeats": p["matmul_repeats"]}
    params = {"flops": p["flops"], "max_ratio_to_bound": p["max_ratio_to_bound"], "expected": expected}
    return KitCheck(p["id"], p["name"], "performance", p["hint"], False, "epoch_speed", params, tuple(p["needs"]), tuple(p["depends_on"]),
                    p["points"], p["timeout"], (judges.Probe("timed_epochs", spec, {}),), (), str(path), ("",))


@dataclass(frozen=True)
class Selection:
    """Which checks to run: --only PATTERN (a glob, or a substring of the id or name) and --group GROUP (exact, any of)."""
    only: str | None = None
    groups: tuple = ()

    def picks(self, name, group, id=""):
        """Whether the check (name, group, id) is selected; everything is, by an empty selection."""
        by_name = not self.only or any(fnmatch.fnmatch(text, self.only) or self.only.lower() in text.lower()
                                       for text in (name, id) if text)
        return by_name and (not self.groups or group in self.groups)


@dataclass(frozen=True)
class Report:
    path: str
    dataset: str
    results: tuple  # of CheckResult
    missing: tuple  # module names
    seconds: float

    @property
    def score(self):
        return round(sum(r.score for r in self.results), 2)

    @property
    def max_score(self):
        return round(sum(r.max_score for r in self.results), 2)


def run(path, selection=Selection(), dataset_choice="auto", data_dir=None, threads=1, progress=lambda msg: None):
    """Check the modules in path. Raises DataError when the dataset chosen (mnist or digits) is not there;
    with dataset_choice "auto" and no data at all, the training check fails saying so and the rest still run."""
    t0 = time.monotonic()
    manifest = load_manifest()
    modules, missing = find_modules(path)
    with tempfile.TemporaryDirectory(prefix="kit-data-") as folder:
        training = manifest.get("training", {})
        trains = any(selection.picks(training[d]["name"], "training", training.get("id", "")) for d in ("mnist", "digits") if d in training)
        required = {training.get("trajectory")} if trains else set()  # the accuracy counts only if the trajectory passes
        stored = stored_checks(manifest)
        required |= {r for c in stored if selection.picks(c.name, c.group, c.id) for r in c.requires}  # and a property its values
        checks = [c for c in stored if selection.picks(c.name, c.group, c.id) or c.name in required]
        dataset_text, no_data = "none (no training check selected)", None
        if trains:
            progress("loading the data for the training check")
            try:
                dataset = datasets.load(dataset_choice, data_dir)
                dataset_text = dataset.source
                checks.append(training_check(manifest, dataset, folder))
            except DataError as exc:
                if dataset_choice != "auto":
                    raise
                dataset_text, no_data = "none found", no_data_result(training, str(exc))
        if "performance" in manifest and selection.picks(manifest["performance"]["name"], "performance"):
            checks.append(performance_check(manifest, folder))
        results = judge_all(checks, modules, missing, threads, progress, training)
    if no_data:
        at = next((i for i, r in enumerate(results) if r.group == "performance"), len(results))
        results.insert(at, no_data)
    return Report(str(path), dataset_text, tuple(results), missing, time.monotonic() - t0)


def no_data_result(training, why):
    """The training check, failed because this machine has no data to train on (the reason says what to do)."""
    return CheckResult(training["mnist"]["name"], "training", training["points"], False, f"not run: {why}", training["hint"])


def judge_all(checks, modules, missing, threads, progress, training=None):
    """Run the probes of every check whose modules are present, then judge every check.

    training: the manifest's training entry (its helper groups and trajectory check name), for the
    grader's rule on helper bugs (judges.as_the_grader_retrains).
    """
    # As in the grader: helper modules that fail to import are found first, and replaced like missing ones.
    broken = preflight.find_broken(modules, threads) if any(preflight.uses_helpers(c.needs) for c in checks) else {}
    modules = {m: p for m, p in modules.items() if m not in broken}
    stand_ins = preflight.stood_in(missing, broken)
    calls, owner = [], []
    student = {}
    for c in checks:
        gone = [m for m in c.needs if m in missing or m in broken]
        if gone:
            student[c.name] = [preflight.broken_result(gone[0], broken[gone[0]]) if gone[0] in broken else
                               preflight.missing_result(gone[0]) for _ in c.probes]
            continue
        for j, p in enumerate(c.probes):
            calls.append(Call(p.probe, p.spec, c.arrays, c.prefixes[j], c.needs, c.timeout))
            owner.append(c.name)
    progress(f"running {len(checks)} checks")
    got = run_calls(modules, calls, threads, stand_ins=stand_ins)
    for name, result in zip(owner, got):
        student.setdefault(name, []).append(result)
    verdicts = {c.name: judges.judge(c.kind, c.params, list(c.probes), student[c.name], list(c.expected)) for c in checks}
    failed_groups = {c.group for c in checks if not verdicts[c.name].passed and not c.advice}
    training = training or {}
    for c in checks:
        if c.kind == "accuracy":
            helpers_failed = [g for g in training.get("helper_groups", ()) if g in failed_groups and g.split(".")[0] not in stand_ins]
            helpers_failed += [f"{m}.py" for m in stand_ins]  # missing or failing to import: its checks failed too
            trajectory = verdicts.get(training.get("trajectory"))
            verdicts[c.name] = judges.requiring_trajectory(
                judges.as_the_grader_retrains(verdicts[c.name], student[c.name][0], helpers_failed, trajectory), trajectory)
    for c in checks:  # as the grader: a property that code computing nothing has too counts once the values are right
        ran = [r for r in c.requires if r in verdicts]
        failed = [r for r in ran if not verdicts[r].passed]
        verdicts[c.name] = judges.with_requirements(verdicts[c.name], [] if c.requires_any and len(failed) < len(ran) else failed,
                                                    c.withheld)
    # No note from a fixed list of dependencies: only the grader's substitution runs may blame another part.
    note = stand_in_note(stand_ins, broken)
    return [CheckResult(c.name, c.group, c.points, verdicts[c.name].passed, verdicts[c.name].message,
                        kit_hint(c, student[c.name], verdicts[c.name].passed),
                        note if preflight.uses_helpers(c.needs) and c.name in owner else "",
                        sum(r.seconds for r in student[c.name]), c.id, c.advice) for c in checks]


def stand_in_note(stand_ins, broken):
    """The note on the checks run with stand-ins for helper modules missing or failing to import ("" when none)."""
    if not stand_ins:
        return ""
    why = ", ".join(f"{m}.py {'fails to import' if m in broken else 'is missing'}" for m in stand_ins)
    return (f"({why}: this check ran with the kit's stand-in helpers in its place, as the grader runs it with correct "
            "ones; fix that first to check your network with your own helpers.)")
