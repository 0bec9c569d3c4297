"""Every row of the exit-status table (grader/exits.py), each shown by a real `python -m grader` process.

Grading is kept cheap with --only 'activations.relu*'. The grader fault and the signals are
staged by replacing pipeline.grade in the child before main() runs.
"""

import json
import os
import re
import signal
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT
from grader import exits

RELU = ["reference/", "--only", "activations.relu*", "--quiet"]
ROWS = {"OK": 0, "FAILED": 1, "USAGE": 2, "FAULT": 3, "INTERRUPTED": 130, "TERMINATED": 143}

# `python -c STAGED ARGS...`: `grader ARGS...` with pipeline.grade replaced by the function whose body is BODY.
STAGED = textwrap.dedent("""
    import sys, time
    from grader import pipeline
    from grader.cli import main

    def grade(*args, **kwargs):
    BODY

    pipeline.grade = grade
    sys.exit(main(sys.argv[1:]))
""")


def grader(*args, env=None, staged=None, wait=True):
    """`python -m grader ARGS` from the project root (or the STAGED script with body `staged`)."""
    command = ["-c", STAGED.replace("BODY", textwrap.indent(textwrap.dedent(staged), "    "))] if staged else ["-m", "grader"]
    environ = {**os.environ, **(env or {})}
    popen = subprocess.Popen([sys.executable, *command, *map(str, args)], cwd=ROOT, env=environ,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if not wait:
        return popen
    out, err = popen.communicate(timeout=300)
    return subprocess.CompletedProcess(popen.args, popen.returncode, out, err)


def test_the_table_documents_every_status_by_name():
    for name, status in ROWS.items():
        assert getattr(exits, name) == status
        assert re.search(rf"^\| {status} +\| {name} +\|", exits.__doc__, re.M), name


def test_0_grading_completed(tmp_path):
    proc = grader("grade", *RELU, "--out", tmp_path)
    assert proc.returncode == exits.OK, proc.stderr
    assert json.loads((tmp_path / "results.json").read_text())["tests"]


def test_0_grading_completed_even_with_failed_checks(tmp_path):
    proc = grader("grade", "assignment/", *RELU[1:], "--out", tmp_path)
    assert proc.returncode == exits.OK, proc.stderr
    assert json.loads((tmp_path / "results.json").read_text())["score"] == 0


def test_1_a_score_under_fail_under(tmp_path):
    proc = grader("grade", *RELU, "--out", tmp_path, "--fail-under", 1000)
    assert proc.returncode == exits.FAILED, proc.stderr
    assert "under --fail-under 1000" in proc.stderr


def test_1_a_drifted_skeleton_under_check(tmp_path):
    proc = grader("skeleton", "--check", "--out", tmp_path)
    assert proc.returncode == exits.FAILED, proc.stderr
    assert "out of date" in proc.stderr


def file_in(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    return tmp_path / "a-file"


USAGE = [  # (case, grader arguments, environment, words the message must contain)
    ("a bad option", lambda t: ["grade", *RELU, "--threads", "many"], {}, "invalid int value"),
    ("a bad path", lambda t: ["grade", t / "nowhere", "--out", t / "out"], {}, "does not exist"),
    ("a bad rubric", lambda t: ["grade", *RELU, "--out", t / "out", "--rubric", file_in(t)], {}, "not valid TOML"),
    ("MNIST named but absent", lambda t: ["data", "info", "--dataset", "mnist"],
     lambda t: {"MNIST_DIR": str(t / "none"), "XDG_CACHE_HOME": str(t / "cache")}, "MNIST not found"),
    ("a download that fails", lambda t: ["data", "download", "--data-dir", file_in(t) / "mnist"], {}, "grader data: error"),
    ("--out is a file", lambda t: ["grade", *RELU, "--out", file_in(t)], {}, "cannot write the report"),
    ("--out under a file", lambda t: ["grade", *RELU, "--out", file_in(t) / "out"], {}, "is a file, not a folder"),
    ("--junit in a file", lambda t: ["grade", *RELU, "--out", t / "out", "--junit", file_in(t) / "j.xml"], {},
     "cannot write --junit"),
]


@pytest.mark.parametrize("case, arguments, env, words", USAGE, ids=[c[0] for c in USAGE])
def test_2_a_usage_or_input_error_with_a_message_and_no_traceback(tmp_path, case, arguments, env, words):
    proc = grader(*arguments(tmp_path), env=env(tmp_path) if callable(env) else env)
    assert proc.returncode == exits.USAGE, proc.stderr
    assert words in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_2_an_unwritable_out_is_refused_before_any_grading(tmp_path):
    """The staged grading would fail the test if it ran: the --out check comes first."""
    proc = grader("grade", *RELU, "--out", file_in(tmp_path), staged="raise AssertionError('graded')")
    assert proc.returncode == exits.USAGE
    assert "graded" not in proc.stderr
    assert f"cannot write the report to {tmp_path / 'a-file'}" in proc.stderr and "choose another --out" in proc.stderr


def test_3_the_grader_itself_failed_and_still_wrote_a_report(tmp_path):
    proc = grader("grade", *RELU, "--out", tmp_path, staged="raise RuntimeError('a bug in the grader')")
    assert proc.returncode == exits.FAULT
    assert "grader fault (not the submission's)" in proc.stderr and "a bug in the grader" in proc.stderr
    assert "the grader failed" in json.loads((tmp_path / "results.json").read_text())["output"]


@pytest.mark.slow  # signals: the full suite runs it, the inner loop does not
@pytest.mark.parametrize("sig, status, words", [
    (signal.SIGINT, exits.INTERRUPTED, "grader: interrupted"),
    (signal.SIGTERM, exits.TERMINATED, "grader: terminated"),
], ids=["130 SIGINT", "143 SIGTERM"])
def test_130_and_143_interrupted_by_a_signal_unwinding_cleanly(tmp_path, sig, status, words):
    body = """
        try:
            print("grading", file=sys.stderr, flush=True)  # inside the try: the signal comes after this line
            time.sleep(60)
        finally:
            print("cleaned up", file=sys.stderr, flush=True)
    """
    proc = grader("grade", *RELU, "--out", tmp_path, staged=body, wait=False)
    try:
        assert proc.stderr.readline() == "grading\n"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == status, err
    assert "cleaned up" in err and words in err
