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

from .contract import KEYS
from .harness import wire
from .inert import clean
from .sandbox import Call, CallResult, collect
from .worker import ProtocolViolation

ALLOWED = {"importing", "imported", "start", "ready", "epoch_done", "done", "finished"}
WEIGHT_RTOL, WEIGHT_ATOL = 1e-6, 1e-9  # the same epoch computed by two correct implementations


class Timed:
    """One sandboxed process driven through ready / go / epoch_done, with its CPU accounting."""

    def __init__(self, box, call, imports):
        self.worker = box.worker([call])
        self.import_timeout = box.limits.import_timeout
        self.error = None
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
            if event.kind == kind:
                return event

    def ready(self, timeout):
        """Let the process set up its next epoch, then freeze it until 'go'. CPU used after the
        first setup counts as outside the timed windows."""
        cpu0 = self.worker.cpu_seconds()
        self.worker.thaw()
        deadline = time.monotonic() + timeout + (0 if self.setup_done else self.import_timeout)
        event = self._until("ready", deadline)
        self.worker.freeze()
        if self.setup_done:
            self.cpu_outside += max(self.worker.cpu_seconds() - cpu0, 0.0)
        self.setup_done = True
        return event is not None

    def timed_epoch(self, seed, budget):
        """Wall seconds from 'go' to 'epoch_done', measured here, and the epoch's weights; False on failure."""
        cpu0 = self.worker.cpu_seconds()
        self.worker.thaw()
        t0 = time.monotonic()
        if not self.worker.send(f"go {seed}"):
            self.error = f"the process {self.worker.ended()}"
            return False
        event = self._until("epoch_done", t0 + budget)
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


def interleave(student_box, reference_box, probe, imports, setup_timeout, max_ratio, seeds):
    """Time the epochs of both implementations, alternating, one seed per repeat."""
    call = Call(0, probe.probe, probe.spec, probe.inputs, setup_timeout, tuple(imports))
    t_start = time.monotonic()
    ref, stu = Timed(reference_box, call, imports), Timed(student_box, call, imports)
    try:
        for rep, seed in enumerate(seeds):
            if not (ref.ready(setup_timeout) and stu.ready(setup_timeout)):
                break
            if not ref.timed_epoch(seed, setup_timeout):
                break
            budget = max(2.0, 4 * max_ratio * ref.times[-1])
            if not stu.timed_epoch(seed, budget):
                if stu.error and "in time" in stu.error:
                    stu.error = (f"one epoch took more than {budget / ref.times[-1]:.0f}x the reference's time "
                                 f"(stopped after {budget:.1f}s)")
                break
    finally:
        ref.close()
        stu.close()
    return Interleaved(list(seeds), stu, ref, time.monotonic() - t_start)


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
    if stu.error or ref.error or len(stu.times) < len(run.seeds):
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
            return CallResult("error", error or "no epoch was timed", {}, {}, run.seconds)
        return CallResult("ok", "", {"times": {"type": "ndarray"}}, {"times": np.array(timed.times)}, run.seconds)
    student = result(run.student, run.student.error or problem)
    if student.ok:
        meta = {**student.meta, "verified": {"by": "the reference's epochs with the same shuffles"},
                "cpu": {"inside": run.student.cpu_inside, "outside": run.student.cpu_outside}}
        student = CallResult("ok", "", meta, student.arrays, run.seconds)
    return student, result(run.reference, run.reference.error)


def time_interleaved(student_box, reference_box, probe, imports, setup_timeout, max_ratio, seeds):
    """Epoch times of both implementations, interleaved, the submission's verified."""
    run = interleave(student_box, reference_box, probe, imports, setup_timeout, max_ratio, seeds)
    return assemble(run, verify(run))
