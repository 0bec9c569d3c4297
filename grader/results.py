"""What grading produces: one frozen result per check, and their aggregate."""

from dataclasses import dataclass, field

from .checks.compare import end_sentence


@dataclass(frozen=True)
class CheckResult:
    name: str
    group: str
    area: str
    visibility: str  # visible | hidden | after_due_date | after_published
    max_score: float
    score: float
    passed: bool
    message: str  # full feedback (expected vs got); not shown for hidden checks
    hint: str  # generic advice, safe for hidden checks
    note: str = ""  # context safe for every check, e.g. a failed dependency
    seconds: float = 0.0  # wall time of the student calls, measured by the grader
    id: str = ""  # the check's stable id, e.g. "softmax.softmax/one-dim" (the rubric's key)
    advice: bool = False  # advice: reported with its hint, worth only the points the rubric gives it

    @property
    def hidden(self):
        return self.visibility == "hidden"

    def feedback(self):
        """What the student may see: hidden checks never reveal inputs or expected values."""
        hint = f" Hint: {end_sentence(self.hint)}" if self.hint else ""
        if self.hidden:
            text = "Passed." if self.passed else f"Failed (hidden check; inputs and expected values are not shown).{hint}"
        else:
            text = self.message if self.passed else f"{end_sentence(self.message)}{hint}"
        if self.advice and not self.passed:
            text = f"Advice ({'no points' if not self.max_score else f'{self.max_score:g} points'}): {text}"
        return f"{text} {self.note}".strip()


@dataclass(frozen=True)
class GradingResult:
    submission: str
    dataset: str  # which data the training checks used, said plainly
    results: tuple  # of CheckResult, in catalog order
    seconds: float
    grader_faults: tuple = field(default_factory=tuple)  # messages of the grader's own errors
    missing: tuple = field(default_factory=tuple)  # modules the submission lacks
    student_output: str = ""  # the tail of what the student's code printed (for instructors; never parsed)
    isolation: str = "process"  # bwrap | process: how the student's code was isolated
    budget_s: float = 0.0  # the grade's time budget in seconds (grader.budget); 0 when unknown
    not_run: int = 0  # checks the budget left out
    unseen_points: float = 0.0  # points of the checks left out because they are not visible (the self-check)
    layers: dict = field(default_factory=dict)  # the isolation layers in force in the submission's sandbox (Sandbox.layers_in_force)

    @property
    def score(self):
        return round(sum(r.score for r in self.results), 2)

    @property
    def max_score(self):
        return round(sum(r.max_score for r in self.results), 2)
