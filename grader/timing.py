"""Interleaved epoch timing of two implementations, measured and enforced from the grader's side.

Both processes load the data and build their model, then announce "ready" and are
stopped (SIGSTOP). For each repeat the grader draws a fresh shuffle seed, resumes
one process, sends it "go SEED", and stops the clock and the process again at its
"epoch_done"; then the other. A process therefore computes only inside its timed
windows, and cannot work ahead because the seed is unknown until "go". Finally
the submission's epochs are recomputed, untimed, in a fresh process: a
submission that announced "epoch_done" without doing the work is caught there.
"""

import os
import secrets
import signal
import subprocess
import time

import numpy as np

from .harness.probes import init_weights
from .sandbox import Call, CallResult, how_it_ended, kill_all

KEYS = ("W1", "b1", "W2", "b2")


class _Runner:
    """One worker process driven through ready / go / epoch_done."""

    def __init__(self, sandbox, call, imports):
        self.sandbox = sandbox
        self.proc, self.events = sandbox.spawn([call], 0, imports, stdin=subprocess.PIPE)
        self.error = None
        self.finished = False

    def signal(self, sig):
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def wait_for(self, kind, timeout):
        """The next event of that kind, or None with self.error set."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.events.next(max(deadline - time.monotonic(), 0.0))
            if event is None:
                if self.events.timed_out:
                    self.error = f"did not get to '{kind}' within {timeout:g}s"
                else:
                    self.error = f"the process {how_it_ended(self.proc)}"
                return None
            if event.get("event") == "imported" and event.get("errors"):
                self.error = "; ".join(f"{m}: {msg}" for m, msg in event["errors"].items())
                return None
            if event.get("event") == "done":
                self.finished = True
                if kind == "done":
                    return event
                self.error = self.sandbox._collect(0, 0.0).message or "the benchmark stopped early"
                return None
            if event.get("event") == kind:
                return event

    def ready(self, timeout):
        """Let the process set up its next epoch (untimed), then stop it until 'go'."""
        self.signal(signal.SIGCONT)
        if self.wait_for("ready", timeout) is not None:
            self.signal(signal.SIGSTOP)

    def go(self, seed):
        self.signal(signal.SIGCONT)
        try:
            self.proc.stdin.write(f"go {seed}\n".encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self.error = f"the process {how_it_ended(self.proc)}"
            return False
        return True

    def timed_epoch(self, seed, budget):
        """Wall seconds from 'go' to 'epoch_done', measured here; None on failure."""
        t0 = time.monotonic()
        if not self.go(seed):
            return None
        done = self.wait_for("epoch_done", budget)
        elapsed = time.monotonic() - t0
        self.signal(signal.SIGSTOP)
        return elapsed if done is not None else None

    def finish(self, timeout):
        """Let the process write its result; the result's arrays, or None."""
        self.signal(signal.SIGCONT)
        if self.error or (not self.finished and self.wait_for("done", timeout) is None):
            return None
        result = self.sandbox._collect(0, 0.0)
        if not result.ok:
            self.error = result.message
            return None
        return result.arrays

    def close(self):
        self.signal(signal.SIGCONT)
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        kill_all(self.proc, self.sandbox.marker, self.sandbox.uid)
        self.events.close()


def _result(times, error, seconds, arrays=None):
    if error or not times:
        return CallResult("error", error or "no epoch was timed", {}, {}, seconds)
    return CallResult("ok", "", {"times": {"type": "ndarray"}}, {"times": np.array(times), **(arrays or {})}, seconds)


def same_epochs(timed, recomputed, repeats):
    """None when every repeat's final weights agree; else which repeat and weight differ."""
    for r in range(repeats):
        for k in KEYS:
            a, b = timed.get(f"final{r}.{k}"), recomputed.get(f"final{r}.{k}")
            if a is None or b is None or a.shape != b.shape or not np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True):
                return f"repeat {r + 1}, {k}"
    return None


def time_interleaved(student_box, reference_box, probe, imports, setup_timeout, max_ratio, seeds=None):
    """Epoch times of both implementations, interleaved, the submission's verified.

    Returns (student CallResult, reference CallResult), each with arrays["times"] (repeats,).
    """
    repeats = probe.spec["repeats"]
    seeds = seeds or [1 + secrets.randbelow(2**31 - 2) for _ in range(repeats)]
    call = Call(0, probe.probe, probe.spec, probe.inputs, setup_timeout)
    t_start = time.monotonic()
    ref, stu = _Runner(reference_box, call, imports), _Runner(student_box, call, imports)
    ref_times, stu_times, finals, ref_finals = [], [], None, None
    try:
        for runner in (ref, stu):
            runner.ready(setup_timeout)
        for rep, seed in enumerate(seeds):
            if ref.error or stu.error:
                break
            elapsed = ref.timed_epoch(seed, setup_timeout)
            if elapsed is None:
                break
            ref_times.append(elapsed)
            budget = max(2.0, 4 * max_ratio * elapsed)
            elapsed = stu.timed_epoch(seed, budget)
            if elapsed is None:
                if stu.events.timed_out:
                    stu.error = f"one epoch took more than {budget / ref_times[-1]:.0f}x the reference's time (stopped after {budget:.1f}s)"
                break
            stu_times.append(elapsed)
            if rep < repeats - 1:
                for runner in (ref, stu):
                    runner.ready(setup_timeout)
        if len(stu_times) == repeats:
            finals = stu.finish(setup_timeout)
            ref_finals = ref.finish(setup_timeout)
    finally:
        ref.close()
        stu.close()
    verified = ""
    if finals is not None:
        initial = init_weights(*finals["final0.W1"].shape, finals["final0.W2"].shape[1], probe.spec["config"]["seed"])
        unchanged = all(np.array_equal(finals[f"final{r}.{k}"], initial[k]) for r in range(repeats) for k in KEYS)
        if ref_finals is not None and same_epochs(finals, ref_finals, repeats) is None:
            verified = "the reference"
        verify = Call(1, "recompute_epochs", {**probe.spec, "seeds": seeds}, probe.inputs, setup_timeout + 10 * sum(stu_times))
        (again,) = student_box.run([verify], imports)
        differs = same_epochs(finals, again.arrays, repeats) if again.ok else f"the recomputation failed: {again.message}"
        if differs:
            stu.error = (f"the timed epochs' weights differ from the same epochs recomputed untimed ({differs}); "
                         "the timing cannot be trusted (is each epoch deterministic?)")
        elif unchanged:
            stu.error = "the timed epochs left the weights unchanged, so no training was timed"
        verified = verified or "an untimed recomputation"
    elif not stu.error and len(stu_times) == repeats:
        stu.error = "the timed epochs' results could not be read back"
    elapsed = time.monotonic() - t_start
    student = _result(stu_times, stu.error, elapsed)
    if student.ok:
        student = CallResult("ok", "", {**student.meta, "verified": {"by": verified}}, student.arrays, elapsed)
    return student, _result(ref_times, ref.error, elapsed)
