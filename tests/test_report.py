"""Reports: Gradescope's results.json, JUnit XML and the terminal table."""

import json
import os
import stat
from xml.etree import ElementTree as ET

import pytest

from grader import report
from grader.results import CheckResult, GradingResult


def result(**kw):
    checks = (
        CheckResult("softmax.softmax: matches", "softmax.softmax", "softmax", "visible", 2.0, 0.0, False,
                    "softmax(array) has wrong values: got [1.], expected [0.5]", "divide by the row sum"),
        CheckResult("softmax.softmax: secret", "softmax.softmax", "softmax", "hidden", 2.0, 0.0, False,
                    "softmax(array) has wrong values: got [7.], expected [0.25]", "reduce over the last axis"),
        CheckResult("perceptron.and_gate: computes AND", "perceptron.and_gate", "perceptron", "visible", 1.0, 1.0, True,
                    "computes AND on the truth table", "choose w and b"),
    )
    return GradingResult("alice", "digits: bundled", checks, 1.25, **kw)


def test_results_json_has_gradescopes_shape():
    doc = report.gradescope_dict(result())
    assert set(doc) == {"score", "execution_time", "output", "tests", "isolation", "isolation_layers", "budget"}
    assert doc["score"] == 1.0 and doc["execution_time"] == 1.25
    for test in doc["tests"]:
        assert set(test) == {"name", "id", "score", "max_score", "status", "output", "visibility"}
        assert test["status"] in ("passed", "failed")
    json.dumps(doc)


def test_a_hidden_check_never_shows_its_expected_values_or_inputs():
    doc = report.gradescope_dict(result())
    hidden = next(t for t in doc["tests"] if t["visibility"] == "hidden")
    assert "0.25" not in hidden["output"] and "7." not in hidden["output"] and "array" not in hidden["output"]
    assert "Hint: reduce over the last axis" in hidden["output"]
    table = report.terminal_table(result())
    assert "0.25" not in table


def test_a_visible_failure_shows_expected_and_got_and_a_hint():
    visible = report.gradescope_dict(result())["tests"][0]
    assert "got [1.]" in visible["output"] and "expected [0.5]" in visible["output"] and "Hint:" in visible["output"]


def test_the_output_names_the_dataset_and_missing_files():
    doc = report.gradescope_dict(result(missing=("optimizer",)))
    assert "dataset: digits" in doc["output"] and "optimizer.py" in doc["output"]


def test_junit_has_one_testcase_per_check_and_a_failure_for_each_failed_one():
    root = ET.fromstring(report.junit_xml(result()))
    assert root.tag == "testsuite" and root.get("tests") == "3" and root.get("failures") == "2"
    cases = root.findall("testcase")
    assert [c.get("classname") for c in cases] == ["softmax.softmax", "softmax.softmax", "perceptron.and_gate"]
    assert [c.find("failure") is not None for c in cases] == [True, True, False]
    assert "0.25" not in ET.tostring(cases[1], encoding="unicode")


def test_results_are_written_atomically_where_asked(tmp_path):
    written = report.write_results(result(), tmp_path / "out", junit=tmp_path / "j.xml")
    assert json.loads((tmp_path / "out" / "results.json").read_text())["score"] == 1.0
    assert (tmp_path / "j.xml").exists() and len(written) == 3
    assert (tmp_path / "out" / "student_output.txt").read_text()
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


@pytest.fixture
def umask():
    """Set the process umask for one test: umask(0o022) -> the previous one is restored after."""
    previous = os.umask(0o022)
    yield os.umask
    os.umask(previous)


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o027, 0o640)], ids=["umask 022", "umask 027"])
def test_reports_are_readable_by_others_as_the_umask_allows_like_any_file(tmp_path, umask, mask, mode):
    """results.json, student_output.txt and the JUnit file get 0666 less the umask: 0644 as usual, never 0600."""
    umask(mask)
    for path in report.write_results(result(), tmp_path / "out", junit=tmp_path / "j.xml"):
        assert stat.S_IMODE(path.stat().st_mode) == mode, path.name


def test_a_write_that_fails_midway_leaves_the_old_report_and_no_temporary_file(tmp_path):
    (tmp_path / "results.json").write_text("the old report\n")
    with pytest.raises(UnicodeEncodeError):  # 100 kB are written out before the lone surrogate fails
        report.write_atomic(tmp_path / "results.json", "x" * 100_000 + "\ud800")
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]
    assert (tmp_path / "results.json").read_text() == "the old report\n"


FOLDERS = [  # (case, folder builder, words of the reason; "" when it can be written)
    ("a folder to be made", lambda t: t / "new" / "deeper", ""),
    ("an existing folder", lambda t: t, ""),
    ("a file", lambda t: (t / "f").write_text("x") and t / "f", "is a file, not a folder"),
    ("a folder under a file", lambda t: (t / "f").write_text("x") and t / "f" / "out", "is a file, not a folder"),
]


@pytest.mark.parametrize("case, make, words", FOLDERS, ids=[c[0] for c in FOLDERS])
def test_unwritable_says_why_a_report_folder_cannot_be_written_and_creates_nothing(tmp_path, case, make, words):
    folder = make(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    problem = report.unwritable(folder)
    assert (words in problem) if words else problem == "", (case, problem)
    assert sorted(tmp_path.rglob("*")) == before


def test_an_advice_check_is_reported_as_advice_with_its_hint_and_never_as_a_junit_failure():
    advice = CheckResult("activations.sigmoid: raises no overflow warning", "activations.sigmoid", "activations", "visible",
                         0.0, 0.0, False, "sigmoid(array of shape (7,)) raised 2 numpy warning(s)", "compute exp of -abs(x) only",
                         id="activations.sigmoid/warning-free", advice=True)
    doc = report.gradescope_dict(GradingResult("alice", "digits: bundled", (advice,), 1.0))
    (test,) = doc["tests"]
    assert test["advice"] is True and test["id"] == "activations.sigmoid/warning-free" and test["max_score"] == 0
    assert test["output"].startswith("Advice (no points): ") and "Hint: compute exp of -abs(x) only" in test["output"]
    suite = ET.fromstring(report.junit_xml(GradingResult("alice", "digits: bundled", (advice,), 1.0)))
    assert suite.get("failures") == "0" and suite.find("testcase/failure") is None
    assert "ADVICE" in report.terminal_table(GradingResult("alice", "digits: bundled", (advice,), 1.0))


def test_the_hint_level_none_shows_no_hint():
    quiet = CheckResult("softmax.softmax: matches", "softmax.softmax", "softmax", "visible", 2.0, 0.0, False,
                        "softmax(array) has wrong values", "", id="softmax.softmax/values")
    assert quiet.feedback() == "softmax(array) has wrong values."


def test_the_default_terminal_report_shows_the_failures_and_one_line_per_area():
    text = report.terminal_report(result())
    assert "softmax.softmax: matches" in text and "perceptron.and_gate" not in text
    lines = text.splitlines()
    assert lines[-3].split() == ["softmax", "0/4", "2", "of", "2", "checks", "failed"]
    assert lines[-2].split() == ["perceptron", "1/1", "its", "check", "passed"]
    assert text.splitlines()[-1] == report.summary_line(result())


def test_verbose_shows_every_check():
    assert "perceptron.and_gate: computes AND" in report.terminal_report(result(), verbose=True)


def test_the_self_check_says_how_many_points_it_cannot_see():
    assert "12 points are in checks you can't see" in report.terminal_report(result(unseen_points=12.0))
    assert "can't see" not in report.terminal_report(result())


def test_junit_output_holds_hostile_feedback_as_text():
    """JUnit XML is built by ElementTree, which escapes: a feedback that closes tags parses back as the same text."""
    evil = '</failure><testcase name="forged"/><![CDATA[x]]> & "quotes"'
    failed = CheckResult("softmax.softmax: values", "softmax.softmax", "softmax", "visible", 9.0, 0.0, False, evil, "")
    xml = report.junit_xml(GradingResult("s", "digits", (failed,), 1.0))
    suite = ET.fromstring(xml)
    assert [c.get("name") for c in suite.iter("testcase")] == ["values"]
    assert evil in suite.find("testcase/failure").text
