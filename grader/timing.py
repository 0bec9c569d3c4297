"""Interleaved epoch timing of two implementations, measured and verified from the grader's side.

interleave: both processes load the data and build their model, announce 'ready' and
are frozen (SIGSTOP of every process of the sandbox). For each repeat the grader
draws the shuffle seed, thaws one sandbox, sends 'go SEED', and freezes it again
the moment 'epoch_done' arrives, carrying the epoch's weights; then the other. The
sandbox computes only inside its timed windows, cannot work ahead (the seed is
unknown until 'go'), and cannot finish later (the weights came with 'done').
verify: each timed epoch's weights must equal the reference's epoch for the same
seed, and the sandbox's CPU time outside the windows must stay small.
assemble: the CallResults the performance check judges.
"""

import time
from dataclasses import dataclass

import numpy as np

from .budget import seconds_text
from .contract import KEYS
from .harness import wire
from .inert import clean
from .pace import add_mark, per_batch, rate_text
from .sandbox import MIN_CALL_S, NOT_RUN_PLACEHOLDER, Call, CallResult, collect
from .worker import ProtocolViolation

ALLOWED = {"importing", "imported", "start", "ready", "batch", "epoch_done", "done", "finished"}
WEIGHT_RTOL, WEIGHT_ATOL = 1e-6, 1e-9  # the same epoch computed by two correct implementations
FIRST_BATCH_WAIT_S = 10.0  # after a too-slow epoch's allowance: how long to wait for its first batch, to measure it


class Timed:
    """One sandboxed process driven through ready / go / epoch_done, with its CPU accounting."""

    def __init__(self, box, call, imports, pace=None):
        self.worker = box.worker([call], broken=box.broken)
        self.import_timeout = box.limits.import_timeout
        self.error = None
        self.status = "error"  # of the CallResult when error is set: error | too_slow | not_run
        self.pace, self.marks = pace, ()  # the 'batch' events of the current timed epoch, stamped here
        self.times, self.finals = [], []
        self.cpu_inside, self.cpu_outside = 0.0, 0.0
        self.setup_done = False

    def _until(self, kind, deadline):
        """The next event of that kind before the deadline, or None with self.error set."""
        while True:
            try:
                event = self.worker.next(deadline)
                if event is not None and event.kind not in ALLOWED:
                    raise ProtocolViolation(f"sent {event.kind!r} during the timed epochs")
            except ProtocolViolation as exc:
                self.error = f"the process {exc}; the grading protocol was broken"
                return None
            if event is None:
                self.error = (f"did not get to '{kind}' in time" if self.worker.timed_out()
                              else f"the process {self.worker.ended()}")
                return None
            if event.kind == "imported" and event.get("error"):
                self.error = clean(f"{event.get('module')}.py failed to import: {event.get('error')}", 1000)
                return None
            if event.kind == "done":
                result = collect(event, 0.0)
                self.error = result.message or "the benchmark stopped early"
                return None
            if event.kind == "batch" and self.pace is not None:
                data = event.get("data") if isinstance(event.get("data"), dict) else {}
                self.marks = add_mark(self.marks, event.at, data.get("batch"), self.pace)
            if event.kind == kind:
                return event

    def ready(self, timeout, until=float("inf")):
        """Let the process set up its next epoch, then freeze it until 'go'. CPU used after the
        first setup counts as outside the timed windows."""
        cpu0 = self.worker.cpu_seconds()
        self.worker.thaw()
        deadline = min(time.monotonic() + timeout + (0 if self.setup_done else self.import_timeout), until)
        event = self._until("ready", deadline)
        self.worker.freeze()
        if self.setup_done:
            self.cpu_outside += max(self.worker.cpu_seconds() - cpu0, 0.0)
        self.setup_done = True
        return event is not None

    def timed_epoch(self, seed, budget, until=float("inf")):
        """Wall seconds from 'go' to 'epoch_done', measured here, and the epoch's weights; False on failure.
        An epoch that overruns its budget gets until its first batch has ended (at most FIRST_BATCH_WAIT_S
        more, and never past `until`), so that its speed is measured: self.marks."""
        cpu0 = self.worker.cpu_seconds()
        self.worker.thaw()
        t0 = self.go_at = time.monotonic()
        self.marks = ()
        if not self.worker.send(f"go {seed}"):
            self.error = f"the process {self.worker.ended()}"
            return False
        event = self._until("epoch_done", min(t0 + budget, until))
        if event is None and self.pace is not None and not self.marks and self.worker.timed_out():
            error = self.error
            self._until("batch", min(time.monotonic() + FIRST_BATCH_WAIT_S, until))
            self.error = error
        self.worker.freeze()
        self.cpu_inside += max(self.worker.cpu_seconds() - cpu0, 0.0)
        if event is None:
            return False
        try:
            arrays = wire.decode_arrays(event.payload)
        except wire.WireError as exc:
            self.error = f"the epoch's weights could not be read: {exc}"
            return False
        self.times.append(event.at - t0)
        self.finals.append({k: arrays.get(f"final.{k}") for k in KEYS})
        return True

    def close(self):
        self.worker.close()


@dataclass
class Interleaved:
    """What interleave() measured."""
    seeds: list
    student: Timed
    reference: Timed
    seconds: float = 0.0


def interleave(student_box, reference_box, probe, imports, setup_timeout, max_ratio, seeds, until=float("inf"), pace=None):
    """Time the epochs of both implementations, alternating, one seed per repeat, all before `until`
    (the end of the performance stage). pace: a grader.pace.Pace of one timed epoch, to measure a slow one."""
    call = Call(0, probe.probe, probe.spec, probe.inputs, setup_timeout, tuple(imports))
    t_start = time.monotonic()
    ref, stu = Timed(reference_box, call, imports), Timed(student_box, call, imports, pace)
    try:
        for _rep, seed in enumerate(seeds):
            if until - time.monotonic() < MIN_CALL_S:
                break
            if not (ref.ready(setup_timeout, until) and stu.ready(setup_timeout, until)) or not ref.timed_epoch(seed, setup_timeout, until):
                break
            budget = max(2.0, 4 * max_ratio * ref.times[-1])
            if not stu.timed_epoch(seed, budget, until):
                if stu.error and "in time" in stu.error and time.monotonic() < until:
                    stu.error = (f"one epoch took more than {budget / ref.times[-1]:.0f}x the reference's time "
                                 f"(stopped after {budget:.1f}s)")
                    too_slow(stu, ref.times[-1], max_ratio, budget)
                break
    finally:
        ref.close()
        stu.close()
    if time.monotonic() >= until - MIN_CALL_S and (ref.error or stu.error or not stu.times) and stu.status != "too_slow":
        stu.times, ref.times = stu.times[:len(ref.times)], ref.times[:len(stu.times)]  # the stage ended: keep whole pairs
        stu.finals, ref.finals = stu.finals[:len(stu.times)], ref.finals[:len(ref.times)]
        stu.error = ref.error = None
        if not stu.times:
            stu.error, stu.status = NOT_RUN_PLACEHOLDER, "not_run"
    return Interleaved(list(seeds), stu, ref, time.monotonic() - t_start)


def too_slow(stu, reference_epoch, max_ratio, budget):
    """When the student's overrunning epoch got through some batches: its projected time and ratio."""
    if not stu.marks:
        return
    at, n = stu.marks[-1]
    per = per_batch(stu.marks, stu.go_at) or (at - stu.go_at) / n
    epoch = per * stu.pace.per_epoch
    stu.status = "too_slow"
    stu.error = (f"epoch time about {epoch / reference_epoch:.0f}x the reference's (limit {max_ratio:g}x): one epoch would take "
                 f"about {seconds_text(epoch)} at the measured {rate_text(per)} per batch, the reference's {reference_epoch:.2g} s; "
                 f"it was stopped after {budget:.1f} s")


def first_difference(a, b):
    """None when two weight dicts agree; else the first weight that differs and by how much."""
    for k in KEYS:
        x, y = a.get(k), b.get(k)
        if x is None or y is None or x.shape != y.shape:
            return f"{k} is missing or has the wrong shape"
        if not np.all(np.isfinite(x)) or not np.allclose(x, y, rtol=WEIGHT_RTOL, atol=WEIGHT_ATOL):
            with np.errstate(all="ignore"):
                return f"{k} differs by up to {np.nanmax(np.abs(x - y)):.3g}"
    return None


def verify(run):
    """Why the student's times cannot be credited, or None. Pure."""
    stu, ref = run.student, run.reference
    if stu.error or ref.error or not stu.times:
        return None  # assemble reports the error
    for r, (mine, theirs) in enumerate(zip(stu.finals, ref.finals)):
        differs = first_difference(mine, theirs)
        if differs:
            return (f"the timed epoch's weights differ from the reference's epoch with the same shuffle (repeat {r + 1}: "
                    f"{differs}), so its time cannot be credited; the epoch must compute what the reference computes")
    limit = max(1.0, stu.cpu_inside)
    if stu.cpu_outside > limit:
        return (f"the sandbox used {stu.cpu_outside:.1f}s of CPU outside the timed windows "
                f"(limit {limit:.1f}s), so its epoch times cannot be trusted")
    return None


def assemble(run, problem):
    """(student CallResult, reference CallResult), each with arrays["times"] (repeats,)."""
    def result(timed, error):
        if error or not timed.times:
            return CallResult(timed.status if error else "error", error or "no epoch was timed", {}, {}, run.seconds)
        return CallResult("ok", "", {"times": {"type": "ndarray"}}, {"times": np.array(timed.times)}, run.seconds)
    student = result(run.student, run.student.error or problem)
    if student.ok:
        meta = {**student.meta, "verified": {"by": "the reference's epochs with the same shuffles"},
                "cpu": {"inside": run.student.cpu_inside, "outside": run.student.cpu_outside}}
        student = CallResult("ok", "", meta, student.arrays, run.seconds)
    return student, result(run.reference, run.reference.error)


def time_interleaved(student_box, reference_box, probe, imports, setup_timeout, max_ratio, seeds, until=float("inf"), pace=None):
    """Epoch times of both implementations, interleaved, the submission's verified. A failure already
    known (a module that does not import, a function that got stuck) fails at once, timing nothing."""
    call = Call(0, probe.probe, probe.spec, probe.inputs, setup_timeout, tuple(imports))
    known = student_box.known_failure(call, until)
    if known is not None:
        return known, CallResult("not_run", "the submission's epoch could not be timed, so the reference's was not", {}, {}, 0.0)
    run = interleave(student_box, reference_box, probe, imports, setup_timeout, max_ratio, seeds, until, pace)
    return assemble(run, verify(run))
