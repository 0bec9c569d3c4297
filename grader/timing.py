"""Interleaved epoch timing of two implementations, measured from the grader's side.

Both processes load the data and build their model, then wait. The grader sends
"go" to one, waits for its "epoch_done", then the other, `repeats` times. The
clock is the grader's: nothing the student process reports is used as a time.
"""

import subprocess
import time

import numpy as np

from .sandbox import CallResult, Call, describe_exit, kill_all


class _Runner:
    """One waiting worker process."""

    def __init__(self, sandbox, call, imports):
        self.sandbox = sandbox
        self.proc, self.events = sandbox.spawn([call], 0, imports, stdin=subprocess.PIPE)
        self.error = None

    def wait_for(self, kind, timeout):
        deadline = time.monotonic() + timeout
        while True:
            event = self.events.next(max(deadline - time.monotonic(), 0.0))
            if event is None:
                if self.events.timed_out:
                    self.error = f"did not get to '{kind}' within {timeout:g}s"
                else:
                    self.error = self._died()
                return None
            if event.get("event") == "imported" and event.get("errors"):
                self.error = "; ".join(f"{m}: {msg}" for m, msg in event["errors"].items())
                return None
            if event.get("event") == "done":  # the probe ended early, with an error
                self.error = self.sandbox._collect(0, 0.0).message or "the benchmark stopped early"
                return None
            if event.get("event") == kind:
                return event

    def _died(self):
        return f"the process {describe_exit(self.proc.poll())}"

    def go(self):
        try:
            self.proc.stdin.write(b"go\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self.error = self._died()
            return False
        return True

    def close(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        kill_all(self.proc, self.sandbox.marker, self.sandbox.uid)
        self.events.close()


def _result(times, error, seconds):
    if error or not times:
        return CallResult("error", error or "no epoch was timed", {}, {}, seconds)
    return CallResult("ok", "", {"times": {"type": "ndarray"}}, {"times": np.array(times)}, seconds)


def time_interleaved(student_box, reference_box, probe, imports, setup_timeout, max_ratio):
    """Epoch times of both implementations, interleaved. Returns (student CallResult, reference CallResult),
    each with arrays["times"] (repeats,) in seconds when it succeeded."""
    call = Call(0, probe.probe, probe.spec, probe.inputs, setup_timeout)
    t_start = time.monotonic()
    ref, stu = _Runner(reference_box, call, imports), _Runner(student_box, call, imports)
    ref_times, stu_times = [], []
    repeats = probe.spec["repeats"]
    try:
        ref.wait_for("ready", setup_timeout)
        stu.wait_for("ready", setup_timeout)
        for rep in range(repeats):
            if ref.error or stu.error:
                break
            t0 = time.monotonic()
            if not ref.go() or ref.wait_for("epoch_done", setup_timeout) is None:
                break
            ref_times.append(time.monotonic() - t0)
            budget = max(2.0, 4 * max_ratio * ref_times[-1])
            t0 = time.monotonic()
            if not stu.go() or stu.wait_for("epoch_done", budget) is None:
                if stu.events.timed_out:
                    stu.error = f"one epoch took more than {budget / ref_times[-1]:.0f}x the reference's time (stopped after {budget:.1f}s)"
                break
            stu_times.append(time.monotonic() - t0)
            if rep < repeats - 1:
                ref.wait_for("ready", setup_timeout)
                stu.wait_for("ready", setup_timeout)
    finally:
        ref.close()
        stu.close()
    elapsed = time.monotonic() - t_start
    return _result(stu_times, stu.error, elapsed), _result(ref_times, ref.error, elapsed)
