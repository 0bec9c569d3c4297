"""What a check is, what it asks the student process, and what it concludes."""

from dataclasses import dataclass, field, replace
from collections.abc import Callable

HINT_LEVELS = ("full", "concept", "none")  # the rubric's `hints`: how much a hint gives away


@dataclass(frozen=True)
class Probe:
    """One call into an implementation: a probe of grader.harness.probes with its inputs."""
    probe: str  # key of harness.probes.PROBES
    spec: dict  # JSON-able parameters
    inputs: dict = field(default_factory=dict)  # name -> ndarray


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str  # feedback; for visible checks it shows expected vs got
    note: str = ""  # extra context that is safe even for hidden checks (e.g. a failed dependency)
    hint: str = ""  # replaces the check's hint when this failure needs another one (e.g. a crash, not slowness)
    culprits: tuple = ()  # groups found at fault by substitution, e.g. ("two_layer_net.TwoLayerNet.forward",)


@dataclass(frozen=True)
class Diagnosis:
    """Blame by substitution for a failed check: more runs of the submission with one part
    replaced by the reference's data (or a correct helper), built from the failed run's data.

    probes: (student results, reference results) -> tuple of Probe to run in the student's sandbox;
    explain: (verdict, results of those probes, student results, reference results) -> Verdict naming the culprit.
    Both are pure; the pipeline runs the probes only when the check failed."""
    probes: Callable
    explain: Callable
    reference_too: bool = False  # also run the probes on the reference; explain then gets student's + reference's results


def display_name(id, text):
    """'softmax.softmax: handles a 1-D input' for id 'softmax.softmax/one-dim' and its sentence."""
    return f"{id.split('/', 1)[0]}: {text}"


@dataclass(frozen=True)
class Check:
    """A check: its stable id, its display sentence, the modules it exercises, the probes it runs on
    both the submission and the reference, a pure judge of the two sets of results, and its hints."""
    id: str  # stable and short, "<group>/<slug>", e.g. "softmax.softmax/one-dim": the rubric's key
    text: str  # the display sentence, e.g. "handles a 1-D input"; may change freely
    needs: tuple  # modules that must be present, e.g. ("two_layer_net", "optimizer")
    probes: tuple  # of Probe, run in order on the submission and on the reference
    judge: Callable  # (student: list[CallResult], reference: list[CallResult]) -> Verdict
    hint: str  # the "full" hint: may name the fix
    concept: str  # the "concept" hint: explains the idea without handing over the solution
    depends_on: tuple = ()  # groups whose failure may explain this check's failure
    run_reference: bool = True  # False when the judge needs no reference results
    kind: str = "unit"  # unit | training | performance: how the pipeline schedules it
    requires: tuple = ()  # ids of checks that must pass for this check's pass to count (see requirements_failed)
    requires_any: bool = False  # its pass counts when any one of the checks it requires passed, not only all of them
    withheld: str = ""  # why its pass waits for them, said when it is withheld (default: VACUOUS)
    diagnose: Diagnosis | None = None  # blame by substitution when the check fails
    kind_hints: dict = field(default_factory=dict)  # failure kind -> (full, concept) hint, e.g. "nonfinite" (checks/hints.py)

    @property
    def group(self):
        """The rubric group: the id up to '/', e.g. 'softmax.softmax' or 'training'."""
        return self.id.split("/", 1)[0]

    @property
    def name(self):
        """The display name: '<group>: <sentence>'."""
        return display_name(self.id, self.text)

    @property
    def area(self):
        """The module area: 'softmax', 'two_layer_net', 'training', 'performance', ..."""
        return self.group.split(".", 1)[0]

    def hint_at(self, level):
        """The hint a report shows at the rubric's level: "full", "concept" or "none" (the empty string)."""
        return {"full": self.hint, "concept": self.concept, "none": ""}[level]


def first_failure(results, labels=None):
    """A message for the first probe result that did not complete, or None."""
    for i, r in enumerate(results):
        if not r.ok:
            label = f"{labels[i]} " if labels else ""
            return f"{label}{r.message}".strip()
    return None


VACUOUS = "code that computes nothing has this property too, so it counts once the values are right"


def requirements_failed(check, verdicts):
    """The ids of the checks this check requires that failed ({id: Verdict} of the checks run).

    A requirement keeps a verdict from meaning nothing:
    - a property (rows sum to 1, inputs unchanged, no warning, a second call alike) that code computing nothing
      has too counts only when the function's value check passed (common.property_of);
    - the test accuracy after training a network that does not follow the reference step for step (a wrong
      gradient, say) lands above or below the threshold by the seed of the run, so it counts only when the
      trajectory check passed."""
    ran = [name for name in check.requires if name in verdicts]
    failed = [name for name in ran if not verdicts[name].passed]
    return [] if check.requires_any and len(failed) < len(ran) else failed


def with_requirements(check, verdict, verdicts):
    """verdict, failed when it passed but a check it requires failed (saying which and why)."""
    failed = requirements_failed(check, verdicts)
    if not verdict.passed or not failed:
        return verdict
    blamed = tuple(dict.fromkeys(c for name in failed for c in verdicts[name].culprits))  # one root cause, said once
    note = " ".join(n for n in (verdict.note, *dict.fromkeys(verdicts[name].note for name in failed if verdicts[name].culprits)) if n)
    return replace(verdict, passed=False, message=f"{verdict.message}; not counted, because {'; '.join(failed)} failed: "
                   f"{check.withheld or VACUOUS}", note=note, culprits=blamed or verdict.culprits)
