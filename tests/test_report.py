"""Reports: Gradescope's results.json, JUnit XML and the terminal table."""

import json
from xml.etree import ElementTree as ET

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
    assert set(doc) == {"score", "execution_time", "output", "tests"}
    assert doc["score"] == 1.0 and doc["execution_time"] == 1.25
    for test in doc["tests"]:
        assert set(test) == {"name", "score", "max_score", "status", "output", "visibility"}
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
