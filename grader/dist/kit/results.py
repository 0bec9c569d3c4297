"""What the kit's checks produce: one frozen result per call and per check."""

from dataclasses import dataclass

from .compare import end_sentence


@dataclass(frozen=True)
class CallResult:
    """One call into the student's code, as the course grader records it."""
    status: str  # ok | error | timeout | crashed | missing
    message: str  # for feedback; empty when ok
    meta: dict  # what wire.flatten recorded about each output
    arrays: dict  # name -> ndarray
    seconds: float = 0.0

    @property
    def ok(self):
        return self.status == "ok"


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str
    with_helpers: bool = False  # passed only with the recorded (correct) helpers patched in


@dataclass(frozen=True)
class CheckResult:
    name: str  # "<module>.<function>: <what it checks>", as in the course grader
    group: str
    max_score: float
    passed: bool
    message: str  # what was called, expected and got
    hint: str
    note: str = ""  # e.g. a failed dependency
    seconds: float = 0.0
    id: str = ""  # the grader's stable check id
    advice: bool = False  # reported with its hint; worth only the points the rubric gives it

    @property
    def score(self):
        return self.max_score if self.passed else 0.0

    def feedback(self):
        text = self.message if self.passed else end_sentence(self.message) + (f" Hint: {end_sentence(self.hint)}" if self.hint else "")
        if self.advice and not self.passed:
            text = f"Advice ({'no points' if not self.max_score else f'{self.max_score:g} points'}): {text}"
        return f"{text} {self.note}".strip()
