"""The main job, and grading is reproducible: the reference scores full marks under the course's rubric, and
the same submission gets the same results.json every time.

Only the clock may differ: the top-level `execution_time` and the feedback of
the performance check (a measured time ratio). Everything else -- scores,
statuses, the numbers quoted in feedback, the training accuracy -- is fixed by
the rubric's seed, and does not depend on how many BLAS threads the student
process was given.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import MNIST_DIR, MNIST_MISSING, ROOT, TEST_RUBRIC

pytestmark = pytest.mark.slow


def grade(path, out, threads=1, *extra):
    """(results.json as a dict, the finished process) of `grader grade PATH --threads N --quiet EXTRA...`."""
    env = dict(os.environ)
    if not MNIST_MISSING:
        env["MNIST_DIR"] = str(MNIST_DIR)
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(path), "--out", str(out),
                           "--threads", str(threads), "--quiet", *map(str, extra)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads((Path(out) / "results.json").read_text()), proc


def without_timing(results):
    """results.json minus what the clock decides: the seconds used of the budget too."""
    results = json.loads(json.dumps(results))
    results.pop("execution_time")
    results["budget"].pop("used")
    results["output"] = re.sub(r"graded in \d+ s of", "graded in N s of", results["output"])
    for test in results["tests"]:
        if test["name"].startswith("performance:"):
            test.pop("output")
    return results


def assert_same(first, second):
    a, b = without_timing(first), without_timing(second)
    assert [t["name"] for t in a["tests"]] == [t["name"] for t in b["tests"]]
    for x, y in zip(a["tests"], b["tests"]):
        assert x == y, f"{x['name']} differs between runs"
    assert a == b


@pytest.fixture(scope="module")
def reference_runs(tmp_path_factory):
    """Two grades of the reference under the course's rubric (grader/rubric.toml), the second with 2 BLAS threads:
    equal results show both that a grade repeats and that the thread count changes nothing (a third grade would
    cost 15 s and show no more). The first is the main job as CI runs it, with --fail-under 100 and --junit.
    {name: (results, process)}; the JUnit file is out/first.xml."""
    out = tmp_path_factory.mktemp("reference")
    return {"first": grade("reference/", out / "first", 1, "--fail-under", 100, "--junit", out / "first.xml"),
            "second": grade("reference/", out / "second", 2), "junit": out / "first.xml"}


def test_the_reference_scores_full_marks_and_passes_fail_under_100(reference_runs):
    results, proc = reference_runs["first"]
    assert results["score"] == 100
    assert all(t["status"] == "passed" for t in results["tests"])
    assert {t["name"].split(":")[0] for t in results["tests"]} >= {"training", "performance"}
    assert ET.parse(reference_runs["junit"]).getroot().get("failures") == "0"
    assert "reference: 100 / 100 points" in proc.stdout


def test_grading_the_reference_twice_with_1_then_2_blas_threads_gives_identical_results(reference_runs):
    assert_same(reference_runs["first"][0], reference_runs["second"][0])


def test_only_the_clock_fields_are_ignored(reference_runs):
    """The comparison keeps everything else: the performance check's score and status included."""
    kept = without_timing(reference_runs["first"][0])
    assert set(kept) == {"score", "output", "tests", "isolation", "isolation_layers", "budget"}
    assert set(kept["budget"]) == {"seconds", "not_run"}
    performance = [t for t in kept["tests"] if t["name"].startswith("performance:")]
    assert len(performance) == 1 and set(performance[0]) == {"name", "id", "score", "max_score", "status", "visibility"}


def test_grading_a_buggy_submission_twice_gives_identical_results(tmp_path):
    """softmax normalised over axis 0: failing checks and their quoted numbers are reproducible too."""
    buggy = tmp_path / "softmax_axis0"
    shutil.copytree(ROOT / "reference", buggy)
    source = (buggy / "softmax.py").read_text()
    correct = "return e / e.sum(axis=-1, keepdims=True)"
    assert source.count(correct) == 1
    (buggy / "softmax.py").write_text(source.replace(correct, "return e / e.sum(axis=0, keepdims=True)"))
    first, second = (grade(buggy, tmp_path / run, 1, "--rubric", TEST_RUBRIC)[0] for run in ("first", "second"))
    failed = [t["name"] for t in first["tests"] if t["status"] == "failed"]
    assert any(name.startswith("softmax.softmax:") for name in failed)
    assert first["score"] < 100
    assert_same(first, second)
