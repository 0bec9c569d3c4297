"""The contract of `grader grade PATH` as CI and Gradescope see it.

Exit status: 0 when grading completed (whatever the score), 1 when the score is
under --fail-under, 2 for a usage error (bad path, bad rubric, bad option), 3
when the grader itself failed on a check. results.json has Gradescope's shape,
hidden checks never show what they expected, and --junit writes one testcase per
check. The grader runs as a subprocess, exactly as a user would run it.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from conftest import MNIST_DIR, MNIST_MISSING, MODULES, ROOT, TEST_RUBRIC
from grader import exits

SOFTMAX_POINTS = 9 + 6 + 4 + 3  # the softmax.* groups of the default rubric
HIDDEN_CHECK_ID = "softmax.softmax/edge-shapes"  # hidden by the default rubric
HIDDEN_CHECK = "softmax.softmax: handles a single row, C = 2 and tiny scores"  # its display name


def grader(*args, tmpdir=None):
    """Run `python -m grader grade ARGS` from the repository root (with TMPDIR=tmpdir when given)."""
    env = dict(os.environ)
    if not MNIST_MISSING:
        env["MNIST_DIR"] = str(MNIST_DIR)
    if tmpdir is not None:
        env["TMPDIR"] = str(tmpdir)
    return subprocess.run([sys.executable, "-m", "grader", "grade", *map(str, args)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def grade(path, out, *args, expect=exits.OK, tmpdir=None):
    """Grade path into out; returns (results.json as a dict, the finished process)."""
    proc = grader(path, "--out", out, *args, tmpdir=tmpdir)
    assert proc.returncode == expect, proc.stderr
    return json.loads((Path(out) / "results.json").read_text()), proc


def by_name(results):
    return {t["name"]: t for t in results["tests"]}


def copy_reference(tmp_path, name, without=()):
    folder = tmp_path / name
    shutil.copytree(ROOT / "reference", folder, ignore=shutil.ignore_patterns("__pycache__"))
    for module in without:
        (folder / f"{module}.py").unlink()
    return folder


@pytest.fixture(scope="module")
def softmax_axis0(tmp_path_factory):
    """The reference with softmax normalised over columns: fails softmax.softmax, the hidden check included."""
    folder = copy_reference(tmp_path_factory.mktemp("submissions"), "softmax_axis0")
    source = (folder / "softmax.py").read_text()
    correct = "return e / e.sum(axis=-1, keepdims=True)"
    assert source.count(correct) == 1
    (folder / "softmax.py").write_text(source.replace(correct, "return e / e.sum(axis=0, keepdims=True)"))
    return folder


def rubric_with(tmp_path, edit):
    """A copy of the default rubric with edit(text) applied."""
    path = tmp_path / "rubric.toml"
    path.write_text(edit((ROOT / "grader" / "rubric.toml").read_text()))
    return path


# -- exit status ----------------------------------------------------------------

def zip_of(tmp_path, name, members):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as z:
        for member, text in members.items():
            z.writestr(member, text)
    return path


USAGE_ERRORS = [  # (case, arguments after PATH builder, words the message must contain)
    ("a path that does not exist", lambda t: [t / "nowhere"], "does not exist"),
    ("a file that is not a zip", lambda t: [(t / "notes.txt").write_text("hi") and t / "notes.txt"],
     "neither a folder nor a .zip"),
    ("a corrupt .zip", lambda t: [(t / "broken.zip").write_bytes(b"PK not really") and t / "broken.zip"],
     "not a valid .zip"),
    ("a zip member escaping with '..'", lambda t: [zip_of(t, "slip.zip", {"../evil.py": "x = 1"})],
     "outside the submission"),
    ("a rubric with an unknown top-level key",
     lambda t: ["reference/", "--rubric", rubric_with(t, lambda s: "bogus_key = 1\n" + s)], "'bogus_key'"),
    ("a rubric group with an unknown key",
     lambda t: ["reference/", "--rubric", rubric_with(t, lambda s: s.replace(
         '[groups."softmax.softmax"]\n', '[groups."softmax.softmax"]\ncolour = 1\n'))], "'colour'"),
    ("a rubric check override with an unknown key",
     lambda t: ["reference/", "--rubric", rubric_with(t, lambda s: s + '[checks."x"]\nweight = 3\n')], "'weight'"),
    ("a rubric check table that matches no check id names the closest id",
     lambda t: ["reference/", "--rubric", rubric_with(t, lambda s: s + '[checks."softmax.softmax/one-dimension"]\nadvice = true\n')],
     "closest is 'softmax.softmax/one-dim'"),
    ("a rubric that is not TOML", lambda t: ["reference/", "--rubric", rubric_with(t, lambda s: "= = =")],
     "not valid TOML"),
    ("a rubric that does not exist", lambda t: ["reference/", "--rubric", t / "missing.toml"], "cannot read rubric"),
    ("--only matching no check", lambda t: ["reference/", "--only", "no-such-check-*"], "no check matches"),
    ("--threads 0", lambda t: ["reference/", "--threads", "0"], "--threads"),
]


@pytest.mark.parametrize("case, arguments, words", USAGE_ERRORS, ids=[c[0] for c in USAGE_ERRORS])
def test_a_usage_error_exits_2_with_a_message_and_writes_nothing(tmp_path, scratch, case, arguments, words):
    out = tmp_path / "out"
    proc = grader(*arguments(tmp_path), "--out", out, tmpdir=scratch)
    assert proc.returncode == exits.USAGE, (case, proc.stderr)
    assert words in proc.stderr, (case, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert not out.exists()


@pytest.mark.slow  # whole grades: in the fast loop, tests/test_exits.py shows each status and test_quiet_... full marks
@pytest.mark.parametrize("case, path, args, expected", [
    ("the skeleton scores 0 and grading still completes", "assignment/", [], exits.OK),
    ("full marks on the selected checks", "reference/", [], exits.OK),
    pytest.param("--fail-under equal to the score", "reference/", ["--fail-under", SOFTMAX_POINTS], exits.OK, marks=pytest.mark.slow),
    ("--fail-under above the score", "reference/", ["--fail-under", SOFTMAX_POINTS + 0.5], exits.FAILED),
    pytest.param("--fail-under 101", "reference/", ["--fail-under", 101], exits.FAILED, marks=pytest.mark.slow),
    pytest.param("--fail-under on the skeleton", "assignment/", ["--fail-under", 1], exits.FAILED, marks=pytest.mark.slow),
])
def test_the_exit_status_says_whether_grading_completed_not_how_well(tmp_path, case, path, args, expected):
    results, proc = grade(path, tmp_path / "out", "--only", "softmax.*", "--quiet", *args, expect=expected)
    assert results["score"] in (0, SOFTMAX_POINTS), case
    if expected == exits.FAILED:
        assert "under --fail-under" in proc.stderr


def test_quiet_prints_only_the_summary_line(tmp_path):
    _, proc = grade("reference/", tmp_path / "out", "--only", "softmax.*", "--quiet")
    assert re.fullmatch(rf"reference: {SOFTMAX_POINTS} / {SOFTMAX_POINTS} points \(dataset: none \(no training checks selected\)\); "
                        r"graded in \d+ s of a 240 s budget", proc.stdout.strip()), proc.stdout


# -- what is graded ---------------------------------------------------------------

@pytest.fixture(scope="module")
def softmax_axis0_run(softmax_axis0, tmp_path_factory):
    """(results.json, the finished process, the --junit file) of the softmax checks on softmax_axis0 (the folder),
    graded once for the tests that read them."""
    junit = tmp_path_factory.mktemp("junit") / "ci" / "junit.xml"  # a folder that does not exist yet
    results, proc = grade(softmax_axis0, tmp_path_factory.mktemp("graded"), "--only", "softmax.*", "--quiet", "--junit", junit)
    return results, proc, junit


@pytest.fixture(scope="module")
def softmax_axis0_graded(softmax_axis0_run):
    """results.json of the softmax checks on softmax_axis0 (the folder)."""
    return softmax_axis0_run[0]


@pytest.mark.parametrize("layout", ["assignment/{}.py", *(pytest.param(layout, marks=pytest.mark.slow)  # the fast loop keeps one layout
                                                          for layout in ("{}.py", "alice/assignment/{}.py", "alice/{}.py"))])
def test_a_zip_is_graded_like_the_folder_it_holds(tmp_path, scratch, softmax_axis0, softmax_axis0_graded, layout):
    members = {layout.format(m): (softmax_axis0 / f"{m}.py").read_text() for m in MODULES}
    archive = zip_of(tmp_path, "alice.zip", {**members, "README.md": "my submission"})
    from_folder = softmax_axis0_graded
    from_zip, _ = grade(archive, tmp_path / "zip", "--only", "softmax.*", "--quiet", tmpdir=scratch)
    assert from_zip["tests"] == from_folder["tests"]
    assert from_zip["score"] == from_folder["score"] < SOFTMAX_POINTS
    assert from_zip["output"].startswith("alice: ")


MISSING_MODULE_CASES = [  # (module deleted, the check groups that fail: exactly those that need it)
    pytest.param("optimizer", ("optimizer.", "training", "performance"), id="optimizer", marks=pytest.mark.slow),  # whole grades
    pytest.param("two_layer_net", ("two_layer_net.", "training", "performance"), id="two_layer_net", marks=pytest.mark.slow),
    # a missing helper module is replaced by a correct stand-in for the other checks
    pytest.param("activations", ("activations.",), id="activations", marks=pytest.mark.slow),
    pytest.param("softmax", ("softmax.",), id="softmax", marks=pytest.mark.slow),
    pytest.param("perceptron", ("perceptron.",), id="perceptron", marks=pytest.mark.slow),
]


@pytest.fixture(scope="module")
def graded_without(tmp_path_factory):
    """graded_without(module): (results.json, the finished process) of the reference without module.py under the
    corpus rubric, --quiet; each module's grade is made once (it exits 0) for the tests that read it."""
    done = {}

    def graded(module):
        if module not in done:
            where = tmp_path_factory.mktemp(f"no_{module}")
            done[module] = grade(copy_reference(where, f"no_{module}", without=[module]), where / "out", "--quiet",
                                 "--rubric", TEST_RUBRIC)
        return done[module]
    return graded


@pytest.mark.parametrize("module, failing", MISSING_MODULE_CASES)
def test_a_missing_file_fails_only_the_checks_that_need_it(graded_without, module, failing):
    results, _ = graded_without(module)
    failed = {t["name"] for t in results["tests"] if t["status"] == "failed"}
    assert failed == {t["name"] for t in results["tests"] if t["name"].startswith(failing)}
    for name in failed:
        if name.startswith(module) and by_name(results)[name]["visibility"] != "hidden":
            assert f"missing file: {module}.py" in by_name(results)[name]["output"]
    assert f"Missing files: {module}.py." in results["output"]


@pytest.mark.slow
@pytest.mark.parametrize("module, breakage", [("activations", "raise NameError('at import')\n")],
                         ids=["activations: raises when imported"])  # a syntax error: the corpus case softmax_syntax_error
def test_a_helper_that_fails_to_import_fails_only_its_own_checks_as_a_missing_file_does(tmp_path, module, breakage):
    folder = copy_reference(tmp_path, f"broken_{module}")
    (folder / f"{module}.py").write_text((folder / f"{module}.py").read_text() + breakage)
    results, _ = grade(folder, tmp_path / "out", "--quiet", "--rubric", TEST_RUBRIC)
    failed = {t["name"] for t in results["tests"] if t["status"] == "failed"}
    assert failed == {t["name"] for t in results["tests"] if t["name"].startswith(module + ".")}
    for name in failed:
        if by_name(results)[name]["visibility"] != "hidden":
            assert f"{module}.py failed to import" in by_name(results)[name]["output"]


@pytest.mark.slow  # a whole grade, the one test_a_missing_file_fails_only_the_checks_that_need_it reads
@pytest.mark.parametrize("module", ["optimizer", "two_layer_net"])
def test_a_missing_file_is_the_students_failure_not_a_grader_fault(graded_without, module):
    results, proc = graded_without(module)
    assert "grader fault" not in proc.stderr
    for test in results["tests"]:
        if test["status"] == "failed":
            assert "missing file" in test["output"], test


SOFTMAX_SOURCE = (ROOT / "reference" / "softmax.py").read_text()


@pytest.mark.parametrize("case, members, expected", [
    ("modules at the top level", {"softmax.py": SOFTMAX_SOURCE, "README.md": ""}, exits.OK),
    pytest.param("modules under assignment/", {"assignment/softmax.py": SOFTMAX_SOURCE, "README.md": ""}, exits.OK,
                 marks=pytest.mark.slow),
    ("a member escaping with '..'", {"../evil.py": "x = 1"}, exits.USAGE),
    ("a corrupt zip", None, exits.USAGE),
])
def test_grading_a_zip_leaves_no_temporary_folder_behind(tmp_path, scratch, case, members, expected):
    if members is None:
        archive = tmp_path / "broken.zip"
        archive.write_bytes(b"PK not really")
    else:
        archive = zip_of(tmp_path, "alice.zip", members)
    proc = grader(archive, "--out", tmp_path / "out", "--only", "softmax.*", "--quiet", tmpdir=scratch)
    assert proc.returncode == expected, proc.stderr
    if expected == exits.OK:
        assert proc.stdout.startswith(f"alice: {SOFTMAX_POINTS} / {SOFTMAX_POINTS} points"), "the sandbox worked"
    assert sorted(p.name for p in scratch.iterdir()) == [], case


# -- results.json and JUnit -----------------------------------------------------------

def test_results_json_has_the_gradescope_shape(softmax_axis0_graded):
    results = softmax_axis0_graded
    assert set(results) == {"score", "execution_time", "output", "tests", "isolation", "isolation_layers", "budget"}
    assert results["budget"]["seconds"] == 240 and results["budget"]["not_run"] == 0
    assert results["isolation_layers"]["mode"] == results["isolation"]
    assert results["isolation_layers"]["envelope"] in ("cgroup", "watchdog")  # what bounded all the sandbox's processes
    assert isinstance(results["score"], (int, float)) and isinstance(results["execution_time"], (int, float))
    assert results["execution_time"] > 0
    assert results["output"].startswith("softmax_axis0: ")
    assert len(results["tests"]) == 15  # softmax.py's checks, an input-unchanged check per function included
    for test in results["tests"]:
        assert set(test) - {"advice"} == {"name", "id", "score", "max_score", "status", "output", "visibility"}
        assert test["id"].startswith(test["name"].split(": ")[0] + "/")
        assert test["name"].startswith("softmax.") and ": " in test["name"]
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] in ("visible", "hidden", "after_due_date", "after_published")
        assert test["score"] == (test["max_score"] if test["status"] == "passed" else 0)
        assert isinstance(test["output"], str) and test["output"]
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))
    assert by_name(results)[HIDDEN_CHECK]["visibility"] == "hidden"


def test_a_hidden_check_never_shows_its_expected_values(tmp_path, softmax_axis0):
    """The same failure, graded with the check made visible, quotes the expected values; hidden, it does not."""
    visible_rubric = rubric_with(tmp_path, lambda s: s.replace(
        f'[checks."{HIDDEN_CHECK_ID}"]\nvisibility = "hidden"', f'[checks."{HIDDEN_CHECK_ID}"]\nvisibility = "visible"'))
    hidden, hidden_proc = grade(softmax_axis0, tmp_path / "hidden", "--only", "softmax.softmax:*")
    shown, _ = grade(softmax_axis0, tmp_path / "shown", "--only", "softmax.softmax:*", "--rubric", visible_rubric)
    hidden_output, shown_output = by_name(hidden)[HIDDEN_CHECK]["output"], by_name(shown)[HIDDEN_CHECK]["output"]
    assert by_name(hidden)[HIDDEN_CHECK]["status"] == "failed"
    assert hidden_output.startswith("Failed (hidden check; inputs and expected values are not shown). Hint: ")
    quoted = [q for q in re.findall(r"(?:expected|got|input) (\[[^\]]*\]|-?\d[\d.e+-]*)", shown_output) if "." in q]
    assert quoted, f"the visible message quotes values: {shown_output}"
    for values in quoted:
        assert values not in hidden_output
        assert values not in hidden_proc.stdout, "the terminal table shows no more than results.json"
    assert not re.search(r"\d\.\d", hidden_output), hidden_output


def test_junit_has_one_testcase_per_check(softmax_axis0_run):
    results, proc, junit = softmax_axis0_run
    assert f"wrote {junit}" in proc.stderr
    suite = ET.parse(junit).getroot()
    cases = suite.findall("testcase")
    assert suite.tag == "testsuite"
    assert int(suite.get("tests")) == len(cases) == len(results["tests"])
    failed = [t for t in results["tests"] if t["status"] == "failed" and not t.get("advice")]  # advice is never a failure
    assert int(suite.get("failures")) == len(failed) > 0
    for case, test in zip(cases, results["tests"]):
        assert f"{case.get('classname')}: {case.get('name')}" == test["name"]
        failure = case.find("failure")
        assert (failure is not None) == (test["status"] == "failed" and not test.get("advice"))
        if failure is not None:
            assert failure.text == test["output"], "JUnit shows exactly what the student sees"
        points = case.find("properties/property[@name='points']").get("value")
        assert points == f"{test['score']:g}/{test['max_score']:g}"


# -- the two oracles: the skeleton scores zero, the reference full marks ----------------------

def assert_says_what_to_implement(results):
    for test in results["tests"]:
        assert test["status"] == "failed" and test["score"] == 0, test["name"]
        if test["visibility"] == "hidden":
            assert test["output"].startswith("Failed (hidden check;"), test
        else:
            assert "NotImplementedError" in test["output"] or "missing" in test["output"], test


def test_the_skeletons_softmax_fails_with_what_to_implement(tmp_path):
    results, proc = grade("assignment/", tmp_path / "out", "--only", "softmax.*")
    assert results["score"] == 0
    assert "Traceback" not in proc.stdout + proc.stderr
    assert_says_what_to_implement(results)


@pytest.mark.slow
def test_the_untouched_skeleton_scores_zero_without_a_traceback(tmp_path):
    results, proc = grade("assignment/", tmp_path / "out")
    assert results["score"] == 0
    assert {t["name"].split(":")[0] for t in results["tests"]} >= {"training", "performance"}
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "grader fault" not in proc.stderr
    assert_says_what_to_implement(results)


