"""The total time budget of one grade, split into the shares of its stages.

Grading runs in three stages, in order: the unit checks (the trajectory included),
the training runs, and the timed epochs. Each stage may use what is left of the
budget minus the shares reserved for the stages after it, and minus a closing
share for judging and stopping processes. The shares are sized for a correct
submission first: the reference needs under 5% of the default 240 s in every
stage, so a submission as fast as the reference always completes every check.

A stage that runs out stops its calls; each check not yet run fails with
not_run_message(), which names what used the budget. Pure, except `Budget.start`,
a time.monotonic() reading taken by the caller.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass

STAGES = ("units", "training", "performance")
SHARES = {"units": 0.0, "training": 0.35, "performance": 0.15}  # fractions of the budget reserved for each stage
CLOSING = 0.03  # fraction of the budget kept for judging and stopping processes (at least CLOSING_MIN_S)
CLOSING_MIN_S = 2.0
MARGIN_S = 15.0  # beyond the budget: starting Python, writing the reports. A grade ends within budget + MARGIN_S
MIN_CALL_S = 0.5  # a call is not started with less than this left in its stage
NOT_RUN = "not run"  # the first words of every message of a check the budget left out


@dataclass(frozen=True)
class Budget:
    seconds: float  # the whole budget, e.g. 240.0
    start: float  # time.monotonic() when grading began

    @property
    def deadline(self) -> float:
        return self.start + self.seconds

    @property
    def closing(self) -> float:
        return max(CLOSING * self.seconds, min(CLOSING_MIN_S, 0.1 * self.seconds))

    def until(self, stage: str, present: Collection[str] = STAGES) -> float:
        """The absolute time by which `stage` must end: the deadline, less the closing share and
        the shares of the stages after it that will run (present: the stages that have checks)."""
        later = STAGES[STAGES.index(stage) + 1:]
        reserved = sum(SHARES[s] for s in later if s in present) * self.seconds
        return self.deadline - self.closing - reserved


def seconds_text(seconds: float) -> str:
    """A duration for a sentence: '41 min', '150 s', '2.5 h'."""
    if seconds < 300:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def used_up_by(seconds_by_group: Mapping[str, float], top: int = 2) -> str:
    """Who used the budget, largest first: 'the training checks (150 s) and the
    two_layer_net.TwoLayerNet.forward checks (61 s)'. seconds_by_group: {check group: seconds}."""
    spent = sorted(((s, g) for g, s in seconds_by_group.items() if s >= 0.05), key=lambda x: (-x[0], x[1]))
    if not spent:
        return "the grader's own work"
    named = [f"the {g} checks ({seconds_text(s)})" for s, g in spent[:top]]
    rest = spent[top:]
    if rest:
        named.append(f"{len(rest)} other group{'s' if len(rest) > 1 else ''} ({seconds_text(sum(s for s, _ in rest))})")
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]


def not_run_message(budget_seconds: float, seconds_by_group: Mapping[str, float]) -> str:
    """The feedback of a check the budget left out."""
    return f"{NOT_RUN}: the grading time budget ({budget_seconds:g} s) was used up by {used_up_by(seconds_by_group)}"


def summary(used_seconds: float, budget_seconds: float, not_run: int) -> str:
    """'graded in 187 s of a 240 s budget; 2 checks not run (budget)'."""
    text = f"graded in {used_seconds:.0f} s of a {budget_seconds:g} s budget"
    if not_run:
        text += f"; {not_run} check{'s' if not_run > 1 else ''} not run (budget)"
    return text
