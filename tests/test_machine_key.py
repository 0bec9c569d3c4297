"""The machine's challenge key (grader/machine_key.py) and where it enters the challenge (grader/pipeline.challenged):
a weak rubric seed's challenge must not be computable by a sandbox that knows the seed and its own files."""

import os
import stat
import threading

import pytest

from grader import challenge, machine_key
from grader.machine_key import MachineKeyError, key_path, load_or_create
from grader.pipeline import challenged
from grader.rubric import load_rubric
from grader.paths import RUBRIC_FILE
from grader.submission import open_submission, cleanup
from grader.paths import REFERENCE_DIR


def test_the_key_is_made_once_with_mode_600_in_a_folder_of_mode_700(tmp_path):
    path = tmp_path / "state" / "dl-grader" / "challenge.key"
    key = load_or_create(path)
    assert len(key) == 32 and load_or_create(path) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert sorted(p.name for p in path.parent.iterdir()) == ["challenge.key"]  # no temporary file is left


def test_graders_that_start_together_agree_on_one_key(tmp_path):
    path = tmp_path / "k" / "challenge.key"
    keys = []
    threads = [threading.Thread(target=lambda: keys.append(load_or_create(path))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(keys) == 8 and len(set(keys)) == 1


@pytest.mark.parametrize("spoil, message", [
    (lambda p: p.chmod(0o644), "mode 644"),
    (lambda p: p.write_bytes(b"short"), "holds 5 bytes"),
    (lambda p: (p.unlink(), p.symlink_to(p.with_name("elsewhere"))), "a symlink is refused"),
])
def test_an_unsafe_key_file_is_refused_with_its_path_and_the_fix(tmp_path, spoil, message):
    path = tmp_path / "challenge.key"
    load_or_create(path)
    path.with_name("elsewhere").write_bytes(b"x" * 32)
    spoil(path)
    with pytest.raises(MachineKeyError, match=message) as info:
        load_or_create(path)
    assert str(path) in str(info.value) and "strong seed" in str(info.value)


def test_the_key_lives_where_the_environment_says_else_in_the_users_state_folder(tmp_path):
    assert key_path({"GRADER_KEY_FILE": str(tmp_path / "k")}) == tmp_path / "k"
    assert key_path({"XDG_STATE_HOME": "/s", "HOME": "/h"}) == machine_key.Path("/s/dl-grader/challenge.key")
    assert key_path({"HOME": "/h"}) == machine_key.Path("/h/.local/state/dl-grader/challenge.key")


@pytest.fixture
def reference_submission():
    submission = open_submission(REFERENCE_DIR)
    yield submission
    cleanup(submission)


def test_a_weak_seed_challenge_depends_on_the_machine_key_and_a_strong_one_does_not(reference_submission):
    """With the public rubric, knowing the seed and the files is not enough: the key changes the challenge;
    a strong seed's challenge is the same on every machine (regrades elsewhere agree)."""
    public = load_rubric(RUBRIC_FILE)
    assert not public.strong_seed
    a, b = challenged(public, reference_submission, b"a" * 32).seed, challenged(public, reference_submission, b"b" * 32).seed
    assert a != b
    assert challenged(public, reference_submission, b"a" * 32).seed == a  # deterministic on one machine
    strong = public.__class__(**{**public.__dict__, "seed": 2**200 + 7, "strong_seed": True})
    assert challenged(strong, reference_submission, b"a" * 32).seed == challenged(strong, reference_submission, b"b" * 32).seed


def test_a_challenge_seed_keeps_256_bits():
    seeds = {challenge.challenge_seed(1, f"{i}") for i in range(64)}
    assert len(seeds) == 64 and max(s.bit_length() for s in seeds) > 250


def test_fresh_draws_differ_every_time():
    assert challenge.fresh_timing_seeds(5) != challenge.fresh_timing_seeds(5)
    shapes = {"W1": (784, 8), "b1": (8,), "W2": (8, 10), "b2": (10,)}
    first, second = (challenge.gradcheck_points(challenge.fresh_rng(), shapes, 8) for _ in range(2))
    assert first != second and len(first) == len(second) == 2 * (8 + 8 + 8 + 8)


def test_grade_refuses_an_unsafe_key_with_exit_2_before_any_student_code_runs(tmp_path):
    """A weak-seed grade whose key file others can read stops with a usage error naming the file (no result written)."""
    import subprocess
    import sys
    from conftest import ROOT
    key = tmp_path / "challenge.key"
    key.write_bytes(b"k" * 32)
    key.chmod(0o644)
    env = {**os.environ, "GRADER_KEY_FILE": str(key)}
    done = subprocess.run([sys.executable, "-m", "grader", "grade", str(REFERENCE_DIR), "--out", str(tmp_path / "out"),
                           "--quiet", "--isolation", "process"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert str(key) in done.stderr and "mode 644" in done.stderr
    assert not (tmp_path / "out" / "results.json").exists()


def test_the_machine_key_is_among_the_paths_no_student_process_may_open(tmp_path, monkeypatch):
    """Is the key a guarded path, so that process mode (as an ordinary user, the student shares the grader's uid)
    refuses to grade unless a process with the student's layers fails to open it?"""
    from grader.pipeline import secret_paths
    monkeypatch.setenv("GRADER_KEY_FILE", str(tmp_path / "challenge.key"))
    assert str(tmp_path / "challenge.key") in secret_paths(None, None)
