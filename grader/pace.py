"""Projecting how long a training run will take from the first batches the grader saw end.

The student process announces batches 1, 2, 4, 8, ... of a run with 'batch' events
(grader.worker.PROTOCOL). The grader stamps each event with its own clock when it
reads it; only those stamps count, never a number the process reports about time.
A process that announces batches early only makes itself look fast, which gains
nothing: the hard deadline still stops it. A projection can only stop a run and
explain a failure; it never earns a point. Pure.
"""

from dataclasses import dataclass

from .budget import seconds_text

MIN_BATCHES = 3  # batches between the first and the last mark before a projection counts...
MIN_SPAN_S = 2.0  # ...unless they are this many seconds apart (a very slow run is known early)
Marks = tuple[tuple[float, int], ...]  # (arrival time on the grader's clock, batch number), in batch order
STOP_FACTOR = 1.2  # stop when the projected run exceeds what it may take by this factor (early batches run slower)


@dataclass(frozen=True)
class Pace:
    """What the grader knows about a run before it starts."""
    epochs: int
    per_epoch: int  # batches per epoch
    reference_epoch_s: float | None = None  # the reference's seconds per epoch, when known
    measure: int = 0  # when > 0: only measure, stopping once this many batches have ended (the reference's pace)

    @property
    def batches(self) -> int:
        return self.epochs * self.per_epoch


def add_mark(marks: Marks, at: float, batch: object, pace: Pace) -> Marks:
    """marks plus (at, batch) when batch is a plausible next batch number; marks unchanged otherwise."""
    if isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= pace.batches:
        return marks
    if marks and batch <= marks[-1][1]:
        return marks
    return marks + ((at, batch),)


def per_batch(marks: Marks, started: float) -> float | None:
    """Seconds per batch from the marks [(arrival time, batch number)], or None before enough is measured:
    between the first and the last mark when they are far enough apart, else from the start of the run."""
    if not marks:
        return None
    (t1, n1), (tk, nk) = marks[0], marks[-1]
    if nk - n1 >= MIN_BATCHES or (nk > n1 and tk - t1 >= MIN_SPAN_S):
        return (tk - t1) / (nk - n1)
    return None


def projected_seconds(pace: Pace, marks: Marks, started: float, per: float) -> float:
    """Seconds the whole run would take: what it took up to the last mark, plus the batches left."""
    tk, nk = marks[-1]
    return (tk - started) + (pace.batches - nk) * per


def should_stop(projected: float, allowed: float) -> bool:
    return projected > STOP_FACTOR * allowed


def rate_text(per: float) -> str:
    return f"{per:.2g} s" if per >= 0.1 else f"{per * 1000:.2g} ms"


def too_slow_message(pace: Pace, per: float, projected: float, allowed: float) -> str:
    """'2 epochs would take about 41 min at the measured 3.1 s per batch (the reference takes 0.6 s per epoch), ...'."""
    text = (f"{pace.epochs} epoch{'s' if pace.epochs != 1 else ''} would take about {seconds_text(projected)} "
            f"at the measured {rate_text(per)} per batch")
    if pace.reference_epoch_s:
        text += f" (the reference takes {pace.reference_epoch_s:.2g} s per epoch)"
    return text + f", more than the {seconds_text(allowed)} this run may take; it was stopped early"
