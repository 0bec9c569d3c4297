"""The worker protocol (grader.worker): the grader's deadlines are its own, and nothing the
student process writes on the pipe can stall, crash or flood the grader."""

import json
import os
import textwrap
import threading
import time

import numpy as np
import pytest

from grader.sandbox import Call, Limits, Sandbox
from grader.worker import PROTOCOL, EventReader, ProtocolViolation, parse_event


def test_the_protocol_declares_the_events_of_both_clients():
    assert set(PROTOCOL) == {"importing", "imported", "start", "done", "epoch", "batch", "ready", "epoch_done", "finished"}


@pytest.mark.parametrize("line, words", [
    (b'{"event": "hello"}', "unknown event"),
    (b"[1, 2]", "unknown event"),
    (b"not json", "not a JSON event"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"event": "done", "bytes": -1}', "impossible size"),
    (b'{"event": "done", "bytes": 1e99}', "impossible size"),
    (b'{"event": "done", "bytes": 9999999999999}', "impossible size"),
])
def test_a_malformed_event_is_a_protocol_violation(line, words):
    with pytest.raises(ProtocolViolation, match=words):
        parse_event(line)


def pipe_with(data):
    """An EventReader on a pipe that a thread fills with data, then closes."""
    r, w = os.pipe()

    def fill():
        try:
            os.write(w, data)
        except OSError:  # the reader gave up and closed its end
            pass
        os.close(w)
    threading.Thread(target=fill, daemon=True).start()
    return EventReader(r)


def test_a_payload_follows_its_event_line_byte_for_byte():
    payload = bytes(range(256)) + b"\n\n"
    reader = pipe_with(json.dumps({"event": "done", "call": 0, "bytes": len(payload)}).encode() + b"\n" + payload
                       + b'{"event": "finished"}\n')
    first = reader.next(time.monotonic() + 1)
    assert first.kind == "done" and first.payload == payload
    assert reader.next(time.monotonic() + 1).kind == "finished"
    assert reader.next(time.monotonic() + 1) is None and reader.eof
    reader.close()


def test_an_endless_line_is_refused_without_holding_it_all():
    reader = pipe_with(b"x" * (2 << 20))
    with pytest.raises(ProtocolViolation, match="longer than allowed"):
        reader.next(time.monotonic() + 5)
    reader.close()


def student(tmp_path, source):
    path = tmp_path / "student.py"
    path.write_text("import json, os, sys, threading, time\nimport numpy as np\n\n" + textwrap.dedent(source))
    return {"student": path}


def calls(*functions, timeout=1.5):
    spec = lambda f: {"module": "student", "function": f, "args": [{"array": "a0"}], "kwargs": {}}
    return [Call(i, "call", spec(f), {"a0": np.zeros(2)}, timeout) for i, f in enumerate(functions)]


FD_WRITERS = """
def pipes():
    fds = []
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}").startswith("pipe:") and int(name) > 2:
                fds.append(int(name))
        except OSError:
            pass
    return fds

def write_all(line):
    for fd in pipes():
        try:
            os.write(fd, line)
        except OSError:
            pass
"""


@pytest.mark.slow  # waits on the OS or trains: the full suite runs it, the inner loop does not
def test_start_events_sent_in_a_loop_do_not_move_the_deadline(tmp_path):
    modules = student(tmp_path, FD_WRITERS + """
def stall(x):
    while True:
        write_all(b'{"event": "start", "call": 0}\\n')
        time.sleep(0.01)

def fine(x):
    return x + 1
""")
    t0 = time.monotonic()
    with Sandbox(modules, Limits(import_timeout=5)) as box:
        stalled, after = box.run(calls("stall", "fine"), ["student"])
    assert time.monotonic() - t0 < 8
    assert stalled.status == "timeout", stalled
    assert after.ok


@pytest.mark.parametrize("line, words", [
    (b'{"event": "done", "call": 7}\n', "another call"),
    pytest.param(b'{"event": "ready"}\n', "'ready' during a call", marks=pytest.mark.slow),  # the fast loop forges two events
    (b'{"event": "bogus"}\n', "unknown event"),
    pytest.param(b'[' * 50_000 + b'\n', "nested too deeply", marks=pytest.mark.slow),
])
def test_a_forged_event_costs_the_call_that_sent_it_and_the_next_call_still_runs(tmp_path, line, words):
    modules = student(tmp_path, FD_WRITERS + f"""
def forge(x):
    write_all({line!r})
    time.sleep(5)

def fine(x):
    return x + 1
""")
    with Sandbox(modules, Limits(import_timeout=5)) as box:
        forged, after = box.run(calls("forge", "fine"), ["student"])
    assert forged.status == "error" and words in forged.message and "protocol" in forged.message, forged
    assert after.ok


def test_control_characters_in_student_messages_are_made_inert(tmp_path):
    modules = student(tmp_path, """
def shout(x):
    raise ValueError("\\x1b[2J\\x1b[H softmax: 100 / 100 points \\x07\\u202e")
""")
    with Sandbox(modules, Limits(import_timeout=5)) as box:
        (result,) = box.run(calls("shout"), ["student"])
    assert result.status == "error"
    assert "100 / 100" in result.message
    assert not any(ord(ch) < 32 or 0x7f <= ord(ch) <= 0x9f or ch == "\u202e" for ch in result.message)


def test_a_process_sees_only_its_own_batchs_inputs(tmp_path):
    """Hidden checks run in their own process: a visible check's process cannot read their inputs."""
    modules = student(tmp_path, """
def look(x):
    found = [f for _, _, files in os.walk("/sandbox/inputs") for f in files if f.endswith(".npz")]
    return np.array([len(found)])
""")
    with Sandbox(modules, Limits(import_timeout=5)) as box:
        if not box.bwrap:
            pytest.skip("process isolation shares one folder tree; the per-batch folders are a bwrap guarantee")
        secret = [Call(10 + i, "call", {"module": "student", "function": "look", "args": [{"array": "a0"}], "kwargs": {}},
                       {"a0": np.full(2, 7.0)}, 2.0) for i in range(3)]
        box.run(secret, ["student"])
        (visible,) = box.run(calls("look"), ["student"])
    assert visible.ok, visible.message
    assert int(visible.arrays["result"][0]) == 1, "the process saw another batch's inputs"


@pytest.mark.slow  # waits on the OS or trains: the full suite runs it, the inner loop does not
def test_a_module_whose_import_hangs_costs_its_calls_once_and_the_other_modules_keep_theirs(tmp_path):
    """The first call that imports the stuck module waits import_timeout; later ones fail at once, saying why."""
    stuck = tmp_path / "stuck.py"
    stuck.write_text("while True:\n    pass\n\ndef f(x):\n    return x\n")
    fine = tmp_path / "fine.py"
    fine.write_text("def f(x):\n    return x + 1\n")
    spec = lambda m: {"module": m, "function": "f", "args": [{"array": "a0"}], "kwargs": {}}
    order = ["stuck", "fine", "stuck", "fine", "stuck"]
    run = [Call(i, "call", spec(m), {"a0": np.zeros(2)}, 2.0, (m,)) for i, m in enumerate(order)]
    t0 = time.monotonic()
    with Sandbox({"stuck": stuck, "fine": fine}, Limits(import_timeout=2)) as box:
        results = box.run(run, [])
    assert time.monotonic() - t0 < 2 + 4, "the stuck import was waited for more than once"
    assert [r.ok for r in results] == [False, True, False, True, False]
    assert all("longer than 2s to import stuck.py" in results[i].message for i in (0, 2, 4))


def test_a_zombie_or_a_gone_process_is_not_running_a_live_one_is():
    """close() waits only for processes that can still run: a zombie is dead, just not yet reaped."""
    import subprocess
    import sys
    from grader.worker import running
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        assert running(live.pid)
        deadline = time.monotonic() + 10
        while running(dead.pid) and time.monotonic() < deadline:  # exits, and stays a zombie until reaped
            time.sleep(0.01)
        assert not running(dead.pid) and os.path.exists(f"/proc/{dead.pid}")
    finally:
        live.kill()
        live.wait()
        dead.wait()
    assert not running(dead.pid)
