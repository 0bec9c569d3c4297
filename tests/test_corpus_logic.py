"""Fast tests of grader.corpus: loading cases, judging a results.json against a case, the figures.

No grading happens here: results dicts are written by hand.
"""

import ast
import dataclasses
import difflib
import math
from pathlib import Path

import pytest

from grader import corpus
from grader.budget import MARGIN_S
from grader.cli import build_parser
from grader.commands import selftest
from grader.corpus import AREAS, Case, CaseError, Evidence
from grader.skeleton import unmarked_source

SOLUTION_MARKERS = ("BEGIN SOLUTION", "END SOLUTION")


def write_case(root, kind, name, toml, files=("softmax.py",)):
    folder = root / kind / name
    folder.mkdir(parents=True)
    (folder / "case.toml").write_text(toml)
    for f in files:
        (folder / f).write_text("import numpy as np\n")
    return folder


def make_case(kind="bugs", fails=("softmax",), passes=None, max_seconds=None, untouched=()):
    passes = tuple(a for a in AREAS if a not in fails) if passes is None else tuple(passes)
    return Case("c", kind, "a case", tuple(fails), passes, max_seconds, Path("."), tuple(untouched))


def check(name, passed=True, score=1.0, max_score=1.0):
    return {"name": name, "score": score if passed else 0.0, "max_score": max_score,
            "status": "passed" if passed else "failed", "output": "", "visibility": "visible"}


def results(*failing, extra=()):
    """A results.json with one check per area; the areas in failing score 0."""
    tests = [check(f"{a}.f: works", passed=a not in failing) for a in AREAS] + list(extra)
    return {"score": sum(t["score"] for t in tests), "execution_time": 1.0, "output": "", "tests": tests}


KNOWN = [f"{a}.f: works" for a in AREAS]


# -- loading --------------------------------------------------------------------------


def test_a_well_formed_case_loads_with_its_modules(tmp_path):
    write_case(tmp_path, "bugs", "b1", 'description = "d"\nfails = ["softmax"]\npasses = ["perceptron"]\nblame = ["softmax.softmax"]\n',
               ("softmax.py", "optimizer.py"))
    [case] = corpus.load_cases(tmp_path)
    assert (case.name, case.kind, case.fails, case.passes, case.max_seconds) == ("b1", "bugs", ("softmax",), ("perceptron",), None)
    assert case.modules == ("optimizer", "softmax")
    assert case.tag == "corpus-case=b1"


@pytest.mark.parametrize("toml, message", [
    ('description = "d"\nfails = ["softmax"]\npasses = []\ncolour = 1\n', "unknown key(s) colour"),
    ('fails = ["softmax"]\npasses = []\n', "description must be a non-empty string"),
    ('description = "d"\npasses = []\n', "missing fails"),
    ('description = "d"\nfails = ["sofmax"]\npasses = []\n', "unknown area(s) in fails: sofmax"),
    ('description = "d"\nfails = ["softmax"]\npasses = ["softmax"]\n', "both in fails and passes: softmax"),
    ('description = "d"\nfails = []\npasses = []\n', "a bug must make at least one area fail"),
    ('description = "d"\nfails = ["softmax"]\npasses = []\nmax_seconds = 0\n', "max_seconds must be a positive number"),
    ('description = "d"\nfails = "softmax"\npasses = []\n', "fails must be a list of area names"),
    ('description = "d\nfails = []\n', "not valid TOML"),
    ('description = "d"\nfails = ["softmax"]\npasses = []\nlisten = "47811"\n', "listen must be a TCP port number"),
    ('description = "d"\nfails = ["softmax"]\npasses = []\nlisten = 80\n', "listen must be a TCP port number"),
    ('description = "d"\nfails = ["softmax"]\npasses = []\nlisten = true\n', "listen must be a TCP port number"),
    ('description = "d"\nfails = ["softmax"]\npasses = []\nmust_fail = "softmax.*"\n', "must_fail must be a list of check-name globs"),
    ('description = "d"\nfails = ["softmax"]\npasses = []\nmust_fail = [" "]\n', "must_fail must be a list of check-name globs"),
    ('description = "d"\nfails = ["softmax"]\npasses = []\nmust_fail = ["sofmax.*"]\n', "must_fail glob 'sofmax.*' names no area"),
    ('description = "d"\nfails = ["softmax"]\npasses = []\nbudget_s = 0\n', "budget_s must be a number of seconds >= 1"),
    ('description = "d"\nfails = ["softmax"]\npasses = []\n', "a bug must say which function its feedback must blame"),
    ('description = "d"\nfails = ["softmax"]\npasses = []\nblame = "softmax.softmax"\n', "blame must be a list of functions"),
    ('description = "d"\nfails = ["softmax"]\npasses = []\nblame = ["sofmax.softmax"]\n', "blame names no module of the assignment"),
])
def test_a_malformed_case_toml_is_an_error_that_names_the_file(tmp_path, toml, message):
    folder = write_case(tmp_path, "bugs", "b1", toml)
    with pytest.raises(CaseError, match="case.toml") as info:
        corpus.load_case(folder, "bugs")
    assert message in str(info.value), f"expected the error to say {message!r}, got {info.value}"


def test_an_alternative_must_expect_full_marks(tmp_path):
    folder = write_case(tmp_path, "alternatives", "a1", 'description = "d"\nfails = []\npasses = ["softmax"]\n')
    with pytest.raises(CaseError, match="must pass every area"):
        corpus.load_case(folder, "alternatives")


def test_a_case_without_module_files_is_an_error(tmp_path):
    folder = write_case(tmp_path, "hostile", "h1", 'description = "d"\nfails = []\npasses = []\n', files=())
    with pytest.raises(CaseError, match="changes no module"):
        corpus.load_case(folder, "hostile")


ALTERNATIVE = ('description = "d"\nfails = []\n'
               'passes = ["activations", "softmax", "perceptron", "two_layer_net", "optimizer", "training", "performance"]\n')


def test_an_edit_changes_one_line_of_the_reference_without_copying_the_module(tmp_path):
    folder = write_case(tmp_path, "alternatives", "a1",
                        ALTERNATIVE + '[[edit]]\nmodule = "perceptron"\nold = "b = 0.0"\nnew = "b = np.zeros(1)"\n', files=())
    case = corpus.load_case(folder, "alternatives")
    assert case.modules == ("perceptron",) and case.files == ()
    written = corpus.materialize(case, tmp_path / "submission")
    reference = (corpus.REFERENCE_DIR / "perceptron.py").read_text()
    text = (written / "perceptron.py").read_text()
    assert "b = np.zeros(1)" in text and "b = 0.0" not in text
    assert text == unmarked_source(reference).replace("b = 0.0", "b = np.zeros(1)")  # as a student writes it: no markers
    assert (written / "softmax.py").read_text() == (corpus.REFERENCE_DIR / "softmax.py").read_text()  # the rest untouched


MULTILINE_EDITS = r"""
[[edit]]
module = "perceptron"
old = '''
import numpy as np
'''
new = '''
import numpy as np
import sys
'''

[[edit]]
module = "perceptron"
old = '''
def and_gate():
'''
new = '''
def and_gate():
    sys.stdout.write('x' * 10 + '\n')
'''

[[edit]]
module = "perceptron"
old = '''return np.array([1.0, 1.0]), -1.5'''
new = '''return np.array([1.0, 1.0]), -1.0'''
"""


def test_edits_in_multi_line_literal_strings_apply_in_turn_as_whole_lines_written_verbatim(tmp_path):
    """The form the corpus uses: several edits of one module, applied top to bottom; a '''...''' string that
    opens with a newline holds whole lines (the newline after ''' is not part of it), indentation and a
    backslash as written, so an edit can add an import line or the first lines of a function's body."""
    folder = write_case(tmp_path, "bugs", "b1", 'description = "d"\nfails = ["perceptron"]\npasses = []\n'
                        'blame = ["perceptron.and_gate"]\n' + MULTILINE_EDITS, files=())
    case = corpus.load_case(folder, "bugs")
    assert [e.old for e in case.edits] == ["import numpy as np\n", "def and_gate():\n", "return np.array([1.0, 1.0]), -1.5"]
    text = corpus.case_source(case, "perceptron")
    expected = (unmarked_source((corpus.REFERENCE_DIR / "perceptron.py").read_text())
                .replace("import numpy as np\n", "import numpy as np\nimport sys\n")
                .replace("def and_gate():\n", "def and_gate():\n    sys.stdout.write('x' * 10 + '\\n')\n")
                .replace("return np.array([1.0, 1.0]), -1.5", "return np.array([1.0, 1.0]), -1.0"))
    assert text == expected
    ast.parse(text)


@pytest.mark.parametrize("edit, message", [
    ('[[edit]]\nmodule = "perceptron"\nold = "not in the module"\nnew = "x"\n', "occurs 0 times in the module, not once"),
    ('[[edit]]\nmodule = "perceptron"\nold = "return"\nnew = "return  "\n', "times in the module, not once"),
    ('[[edit]]\nmodule = "perceptrons"\nold = "b"\nnew = "c"\n', "edit 1 names no module of the assignment"),
    ('[[edit]]\nmodule = "perceptron"\nold = "b = 0.0"\nnew = "b = 0.0"\n', "two different strings"),
    ('[[edit]]\nmodule = "perceptron"\nold = "b = 0.0"\n', "exactly the keys module, old and new"),
    ('edit = "b = 0.0"\n', "edit must be an array of tables"),
])
def test_an_edit_that_cannot_apply_once_is_an_error_at_load(tmp_path, edit, message):
    folder = write_case(tmp_path, "alternatives", "a1", ALTERNATIVE + edit, files=())
    with pytest.raises(CaseError, match="case.toml") as info:
        corpus.load_case(folder, "alternatives")
    assert message in str(info.value)


def test_a_case_holding_a_file_that_is_not_a_module_is_an_error(tmp_path):
    folder = write_case(tmp_path, "bugs", "b1", 'description = "d"\nfails = ["softmax"]\npasses = []\n', ("softmax.py", "notes.txt"))
    with pytest.raises(CaseError, match="notes.txt"):
        corpus.load_case(folder, "bugs")


def test_a_name_used_by_two_kinds_is_an_error(tmp_path):
    write_case(tmp_path, "bugs", "same", 'description = "d"\nfails = ["softmax"]\npasses = []\nblame = ["softmax.softmax"]\n')
    write_case(tmp_path, "hostile", "same", 'description = "d"\nfails = []\npasses = []\n')
    with pytest.raises(CaseError, match="also used by"):
        corpus.load_cases(tmp_path)


def test_untouched_paths_expand_the_project_and_home(tmp_path):
    folder = write_case(tmp_path, "hostile", "h1", 'description = "d"\nfails = []\npasses = []\nuntouched = ["{project}/x", "~/y"]\n')
    case = corpus.load_case(folder, "hostile")
    assert case.untouched == (str(corpus.PROJECT_DIR / "x"), str(Path.home() / "y"))


def test_listen_and_must_fail_are_read_and_default_to_nothing(tmp_path):
    folder = write_case(tmp_path, "hostile", "h1", 'description = "d"\nfails = []\npasses = []\nlisten = 47811\n'
                        'must_fail = ["perceptron.*", "*central differences*", "perf*"]\n')
    case = corpus.load_case(folder, "hostile")
    assert case.listen == 47811 and case.must_fail == ("perceptron.*", "*central differences*", "perf*")
    plain = corpus.load_case(write_case(tmp_path, "hostile", "h2", 'description = "d"\nfails = []\npasses = []\n'), "hostile")
    assert plain.listen is None and plain.must_fail == ()


def test_a_case_may_set_its_own_time_budget(tmp_path):
    folder = write_case(tmp_path, "hostile", "h1", 'description = "d"\nfails = []\npasses = []\nbudget_s = 60\n')
    assert corpus.load_case(folder, "hostile").budget_s == 60.0
    plain = corpus.load_case(write_case(tmp_path, "hostile", "h2", 'description = "d"\nfails = []\npasses = []\n'), "hostile")
    assert plain.budget_s is None


def test_a_grade_past_its_budget_plus_the_margin_is_not_contained():
    case = make_case("hostile", fails=("perceptron",))
    assert corpus.evaluate(case, Evidence(results("perceptron"), "", 60 + MARGIN_S - 1, budget_s=60), KNOWN).ok
    late = corpus.evaluate(case, Evidence(results("perceptron"), "", 60 + MARGIN_S + 1, budget_s=60), KNOWN)
    assert not late.ok and any("more than its 60 s budget plus the" in p for p in late.problems)


def test_two_cases_listening_on_one_port_is_an_error_since_cases_run_in_parallel(tmp_path):
    write_case(tmp_path, "hostile", "h1", 'description = "d"\nfails = []\npasses = []\nlisten = 47811\n')
    write_case(tmp_path, "hostile", "h2", 'description = "d"\nfails = []\npasses = []\nlisten = 47811\n')
    with pytest.raises(CaseError, match="listen = 47811 is also used by"):
        corpus.load_cases(tmp_path)


def test_materialize_overlays_the_case_on_the_reference(tmp_path):
    folder = write_case(tmp_path, "bugs", "b1", 'description = "d"\nfails = ["softmax"]\npasses = []\nblame = ["softmax.softmax"]\n')
    dest = corpus.materialize(corpus.load_case(folder, "bugs"), tmp_path / "sub")
    assert sorted(p.name for p in dest.iterdir()) == sorted(f"{m}.py" for m in corpus.MODULES)
    assert (dest / "softmax.py").read_text() == "import numpy as np\n"
    assert (dest / "optimizer.py").read_text() == (corpus.REFERENCE_DIR / "optimizer.py").read_text()


# -- the corpus itself ------------------------------------------------------------------


def test_the_corpus_has_enough_cases_of_each_kind():
    cases = corpus.load_cases()
    counts = {kind: sum(c.kind == kind for c in cases) for kind in corpus.KINDS}
    assert counts["bugs"] >= 25 and counts["alternatives"] >= 5 and counts["hostile"] >= 12, f"got {counts}"


@pytest.mark.parametrize("case", corpus.load_cases(), ids=lambda c: c.label)
def test_every_case_file_is_python_in_the_students_style_and_changes_the_reference(case):
    for module in case.modules:
        text = corpus.case_source(case, module)
        if case.name != "softmax_syntax_error":  # the one case whose point is a file that does not parse
            ast.parse(text, filename=str(case.path / f"{module}.py"))
        else:
            with pytest.raises(SyntaxError):
                ast.parse(text)
        assert not any(m in text for m in SOLUTION_MARKERS), f"{case.label}/{module}.py keeps a solution marker"
        assert text != unmarked_source((corpus.REFERENCE_DIR / f"{module}.py").read_text()), \
            f"{case.label}/{module}.py is the reference unchanged"


READ_AS_FILES = {  # cases whose module file another test opens by its path, so it stays a file
    "alternatives/absolute_imports",  # test_dist_student
    "alternatives/softmax_modifies_scores", "bugs/jacobian_offdiagonal_sign", "bugs/sigmoid_grad_of_activation",
    "bugs/sigmoid_precedence_breaks_grad", "bugs/softmax_2d_only_breaks_jacobian", "bugs/softmax_rejects_1d",  # test_feedback
    "bugs/forward_forgets_b2",  # test_dist_broken_helpers
}


def changed_lines(old, new):
    """How many lines differ between two texts: per differing region, the longer side."""
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal")


@pytest.mark.parametrize("case", [c for c in corpus.load_cases() if c.files and c.label not in READ_AS_FILES],
                         ids=lambda c: c.label)
def test_a_case_copies_a_whole_module_only_when_it_rewrites_a_quarter_of_it_or_more(case):
    """A change in a few places is stated as [[edit]] tables in case.toml, not as a copy of the module."""
    for module in case.files:
        text = (case.path / f"{module}.py").read_text()
        reference = unmarked_source((corpus.REFERENCE_DIR / f"{module}.py").read_text())
        assert 4 * changed_lines(reference, text) >= len(text.splitlines()), \
            f"{case.label}/{module}.py differs from the reference in {changed_lines(reference, text)} of its " \
            f"{len(text.splitlines())} lines: state the change as [[edit]] tables in {corpus.CASE_FILE} instead"


def test_the_cases_kept_as_files_for_other_tests_still_exist():
    labels = {c.label for c in corpus.load_cases() if c.files}
    assert READ_AS_FILES <= labels, f"no longer files: {sorted(READ_AS_FILES - labels)}"


# -- judging ---------------------------------------------------------------------------


def test_area_is_the_name_up_to_the_first_dot_or_colon():
    assert corpus.area_of("softmax.softmax: rows sum to 1") == "softmax"
    assert corpus.area_of("two_layer_net.TwoLayerNet.forward: gradient of W1") == "two_layer_net"
    assert corpus.area_of("training: test accuracy") == "training"


def test_summarize_adds_scores_per_area_and_counts_failures():
    doc = {"tests": [check("softmax.a: x", score=2, max_score=2), check("softmax.b: y", passed=False, max_score=3),
                     check("training: z", score=1, max_score=4)]}
    areas = corpus.summarize(doc)
    assert areas["softmax"] == corpus.AreaResult("softmax", 2.0, 5.0, 2, 1)
    assert areas["training"].lost, "a passed check with partial credit still loses points"
    assert list(areas) == ["softmax", "training"]


def test_a_bug_lost_in_its_area_only_is_ok_and_caught():
    outcome = corpus.evaluate(make_case(), Evidence(results("softmax"), "", 3.0), KNOWN)
    assert outcome.ok and outcome.caught and not outcome.full_marks, outcome.problems
    assert outcome.expected == "loses softmax; keeps all else"
    assert outcome.actual == "lost softmax 0/1; 3.0 s"


def test_a_bug_the_grader_misses_is_not_caught():
    outcome = corpus.evaluate(make_case(), Evidence(results(), "", 3.0), KNOWN)
    assert not outcome.ok and not outcome.caught
    assert outcome.problems == ("expected softmax to lose points, got softmax 1/1",)


def test_a_bug_that_costs_another_area_is_caught_but_not_ok():
    outcome = corpus.evaluate(make_case(), Evidence(results("softmax", "training"), "", 3.0), KNOWN)
    assert outcome.caught and not outcome.ok
    assert outcome.problems == ("expected training to keep every point, got training 0/1 (1 check(s) failed)",)


def test_areas_in_neither_list_are_unconstrained():
    case = make_case(fails=("optimizer",), passes=("softmax",))
    assert corpus.evaluate(case, Evidence(results("optimizer", "training"), "", 1.0), KNOWN).ok


def test_an_area_the_report_lacks_cannot_pass():
    doc = results("softmax")
    doc["tests"] = [t for t in doc["tests"] if not t["name"].startswith("performance")]
    outcome = corpus.evaluate(make_case(), Evidence(doc, "", 1.0), None)
    assert "expected every performance check to pass, but the report has no performance check" in outcome.problems


def test_an_alternative_with_full_marks_is_ok_and_one_that_loses_a_point_is_a_false_alarm():
    alternative = make_case("alternatives", fails=(), passes=AREAS)
    good = corpus.evaluate(alternative, Evidence(results(), "", 1.0), KNOWN)
    bad = corpus.evaluate(alternative, Evidence(results("performance"), "", 1.0), KNOWN)
    assert good.ok and good.full_marks and good.expected == "full marks"
    assert not bad.ok and not bad.full_marks
    assert corpus.figures([good, bad]).false_alarms == ("c",)


def test_a_missing_report_is_a_problem_for_every_kind():
    for kind in corpus.KINDS:
        case = make_case(kind, fails=() if kind != "bugs" else ("softmax",), passes=AREAS if kind != "bugs" else None)
        outcome = corpus.evaluate(case, Evidence(None, "results.json was not written", 2.0, exit_code=3), KNOWN)
        assert not outcome.ok and not outcome.caught and not outcome.full_marks
        assert outcome.problems[0] == "no report: results.json was not written"
        assert "`grader grade` exited with status 3" in outcome.problems


@pytest.mark.parametrize("tamper, problem", [
    (lambda d: d["tests"].append(check("all tests")), "results.json has checks the grader does not have: all tests"),
    (lambda d: d["tests"].pop(), "results.json lacks 1 of the grader's checks"),
    (lambda d: d.update(score=100.0), "is not the sum of the checks' scores"),
    (lambda d: d["tests"][0].update(score=5.0), "scores 5.0 of 1.0"),
    (lambda d: d["tests"].append(dict(d["tests"][0])), "repeats a check name"),
])
def test_a_report_that_is_not_the_graders_own_is_called_forged(tamper, problem):
    doc = results("perceptron")
    tamper(doc)
    outcome = corpus.evaluate(make_case("hostile", fails=("perceptron",)), Evidence(doc, "", 1.0), KNOWN)
    assert not outcome.ok
    assert any(problem in p for p in outcome.problems), f"expected a problem saying {problem!r}, got {outcome.problems}"


def test_a_hostile_case_must_finish_in_time_leave_no_process_and_touch_no_file():
    case = make_case("hostile", fails=("perceptron",), max_seconds=60)
    assert corpus.evaluate(case, Evidence(results("perceptron"), "", 59.0), KNOWN).ok
    slow = corpus.evaluate(case, Evidence(results("perceptron"), "", 61.0), KNOWN)
    stray = corpus.evaluate(case, Evidence(results("perceptron"), "", 1.0, strays=("pid 7: python -c sleep",)), KNOWN)
    touched = corpus.evaluate(case, Evidence(results("perceptron"), "", 1.0, touched=("/tmp/results.json",)), KNOWN)
    killed = corpus.evaluate(case, Evidence(results("perceptron"), "", 1.0, exit_code=None), KNOWN)
    assert slow.problems == ("grading took 61.0 s, more than the 60 s allowed",)
    assert stray.problems == ("1 process group(s) survived grading: pid 7: python -c sleep",)
    assert touched.problems == ("grading created or changed /tmp/results.json",)
    assert killed.problems == ("`grader grade` was killed",)
    assert case and corpus.expected_text(case) == "loses perceptron; keeps all else; contained in 60 s"


def test_figures_count_caught_bugs_false_alarms_and_contained_attacks():
    bug = make_case()
    outcomes = [corpus.evaluate(bug, Evidence(results("softmax"), "", 1.0), KNOWN),
                corpus.evaluate(bug, Evidence(results(), "", 1.0), KNOWN),
                corpus.evaluate(make_case("hostile", fails=(), passes=AREAS), Evidence(results(), "", 1.0), KNOWN)]
    f = corpus.figures(outcomes)
    assert (f.bugs, f.caught, f.alternatives, f.false_alarms, f.hostile, f.contained, f.cases, f.ok) == (2, 1, 0, (), 1, 1, 3, 2)
    assert f.catch_rate == 0.5
    assert f.lines()[0] == "catch rate: 1/2 bugs caught in every expected area (50%)"
    assert math.isnan(corpus.figures([]).catch_rate)


def test_must_fail_globs_must_each_match_a_check_and_every_match_must_have_failed():
    case = dataclasses.replace(make_case("hostile", fails=("perceptron",)), must_fail=("perceptron.*", "training: *accuracy*"))
    doc = results("perceptron", extra=[check("training: test accuracy reaches the threshold", passed=False)])
    assert corpus.must_fail_problems(case, doc) == []
    doc["tests"][-1] = check("training: test accuracy reaches the threshold")
    assert corpus.must_fail_problems(case, doc) == [
        "expected every check matching 'training: *accuracy*' to fail, but 1 of 1 passed, "
        "e.g. training: test accuracy reaches the threshold"]
    doc["tests"].pop()
    assert corpus.must_fail_problems(case, doc) == ["must_fail: no check matches 'training: *accuracy*'"]


def test_a_check_with_partial_credit_has_not_failed_for_must_fail():
    case = dataclasses.replace(make_case("hostile", fails=("perceptron",)), must_fail=("perceptron.*",))
    doc = results(extra=[])
    doc["tests"][2].update(score=0.5, max_score=1.0)
    assert corpus.must_fail_problems(case, doc) == [], "a check that lost points counts as failed"


def test_must_fail_problems_make_a_case_not_ok():
    case = dataclasses.replace(make_case("hostile", fails=("perceptron",)), must_fail=("perceptron.f: *",))
    doc = results("perceptron")
    assert corpus.evaluate(case, Evidence(doc, "", 1.0), KNOWN).ok
    outcome = corpus.evaluate(dataclasses.replace(case, must_fail=("softmax.*",)), Evidence(doc, "", 1.0), KNOWN)
    assert not outcome.ok
    assert "expected every check matching 'softmax.*' to fail, but 1 of 1 passed, e.g. softmax.f: works" in outcome.problems


@pytest.mark.parametrize("text, found", [
    ("plain text, with\nnewlines and\ttabs", False),
    ("\x1b[2J\x1b[Hsoftmax: 100 / 100 points", True),
    ("bell\x07", True),
    ("carriage\rreturn", True),
    ("C1 CSI \x9b2J", True),
    ("DEL \x7f", True),
    ("unicode is fine: \u00e9 \u2713", False),
])
def test_control_characters_are_found_in_any_string_of_the_report(text, found):
    doc = results()
    doc["tests"][1]["output"] = text
    assert bool(corpus.control_characters(doc)) == found, corpus.control_characters(doc)


def test_control_characters_name_where_they_are_and_which_they_are():
    doc = results()
    doc["tests"][1]["output"] = "\x1b[2J\x1b[H\x07"
    doc["output"] = "\x9b"
    doc["extra\x00"] = {"nested": ["ok", "\x08"]}
    assert corpus.control_characters(doc) == [
        ("output", "U+009B"), ("tests[1].output", "U+0007 U+001B"), ("[key 'extra\\x00']", "U+0000"),
        ("'extra\\x00'.nested[1]", "U+0008")]


def test_a_report_with_control_characters_is_a_problem_for_every_case():
    doc = results("softmax")
    doc["tests"][1]["output"] = "raised ValueError: \r\x1b[2K\x1b[2Jsoftmax: 100 / 100 points"
    outcome = corpus.evaluate(make_case(), Evidence(doc, "", 1.0), KNOWN)
    assert not outcome.ok and outcome.caught
    assert outcome.problems == ("results.json holds control characters in 1 string(s), which a terminal would obey: "
                                "tests[1].output (U+000D U+001B)",)


def test_a_connection_to_the_listened_port_or_an_unwatched_port_is_a_problem():
    case = dataclasses.replace(make_case("hostile", fails=("perceptron",)), listen=47811)
    assert corpus.evaluate(case, Evidence(results("perceptron"), "", 1.0), KNOWN).ok
    heard = corpus.evaluate(case, Evidence(results("perceptron"), "", 1.0, connections=("from 127.0.0.1:5000, 12 byte(s)",)), KNOWN)
    deaf = corpus.evaluate(case, Evidence(results("perceptron"), "", 1.0, listen_error="OSError: Address already in use"), KNOWN)
    assert heard.problems == ("1 connection(s) reached 127.0.0.1:47811: from 127.0.0.1:5000, 12 byte(s)",)
    assert deaf.problems == ("could not listen on 127.0.0.1:47811, so connections went unwatched: OSError: Address already in use",)


# -- the command's pure parts ------------------------------------------------------------


def test_select_narrows_by_kind_and_name_and_rejects_unknown_names():
    cases = [make_case("bugs"), Case("h", "hostile", "d", (), AREAS, None, Path("."))]
    assert [c.name for c in selftest.select(cases, "hostile")] == ["h"]
    assert [c.name for c in selftest.select(cases, "all", ["c"])] == ["c"]
    with pytest.raises(ValueError, match="no case named nope"):
        selftest.select(cases, "all", ["nope"])


def test_changed_reports_files_created_modified_or_removed():
    before = {"a": None, "b": (1, 5), "c": (1, 5), "d": (2, 2)}
    after = {"a": (3, 1), "b": (1, 6), "c": (1, 5), "d": None}
    assert selftest.changed(before, after) == ("a", "b", "d")


def test_the_listener_records_each_connection_and_what_it_sent():
    import socket
    import time
    with selftest.Listener(None) as idle:
        pass
    assert (idle.connections, idle.error) == ([], "")
    with socket.socket() as probe:  # a free port, found by binding port 0
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with selftest.Listener(port) as heard:
        assert heard.error == ""
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"secret\x1b[2J")
        for _ in range(50):
            if heard.connections:
                break
            time.sleep(0.05)
        with selftest.Listener(port) as second:
            assert "OSError" in second.error, "the port is taken: the second listener must say it could not listen"
    assert len(heard.connections) == 1 and heard.connections[0].endswith("10 byte(s), starting b'secret\\x1b[2J'"), heard.connections


@pytest.mark.slow  # waits on the OS or trains: the full suite runs it, the inner loop does not
def test_find_strays_finds_a_process_by_its_command_line(tmp_path):
    import subprocess
    import sys
    tag = f"corpus-case=unit-{tmp_path.name}"
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", tag])
    try:
        found = []
        for _ in range(50):
            found = selftest.find_strays([tag])
            if found:
                break
            import time
            time.sleep(0.05)
        assert [s.pid for s in found] == [proc.pid]
        selftest.stop(found, [tag])
        assert proc.wait(timeout=5) < 0, "the stray should have been killed"
        assert selftest.find_strays([tag]) == []
    finally:
        proc.kill()


@pytest.mark.slow  # waits on the OS or trains: the full suite runs it, the inner loop does not
def test_find_strays_sees_a_child_that_changes_its_pid_every_few_milliseconds(tmp_path):
    import subprocess
    import sys
    tag = f"corpus-case=hopper-{tmp_path.name}"
    hop = ("import os, time\nend = time.time() + 5\nwhile time.time() < end:\n"
           "    time.sleep(0.005)\n    if os.fork():\n        os._exit(0)\n")
    subprocess.Popen([sys.executable, "-c", hop, tag], start_new_session=True).wait()
    found = selftest.find_strays([tag])
    assert len(found) == 1, f"expected the hopper's one process group, got {found}"
    selftest.stop(found, [tag])
    assert selftest.find_strays([tag]) == [], "the hopper should have been killed with its process group"


def test_a_failed_advice_check_loses_no_area_but_still_counts_as_failed_for_must_fail():
    advice = {"name": "softmax.softmax: 1-D", "id": "softmax.softmax/one-dim", "score": 0, "max_score": 0, "status": "failed",
              "output": "Advice (no points): ...", "visibility": "visible", "advice": True}
    doc = {"tests": [check("softmax.a: x", score=2, max_score=2), advice]}
    assert not corpus.summarize(doc)["softmax"].lost
    case = dataclasses.replace(make_case("hostile", fails=("softmax",)), must_fail=("softmax.softmax/one-dim",))
    assert corpus.must_fail_problems(case, doc) == []


def blamed_case(*blame):
    return dataclasses.replace(make_case(fails=("training",)), blame=blame)


def failed(name, output):
    return {**check(name, passed=False), "output": output}


def test_every_failed_check_must_name_the_blamed_function_in_its_feedback():
    case = blamed_case("two_layer_net.TwoLayerNet.forward")
    named = {"tests": [failed("training: trajectory", "diverged. The divergence comes from TwoLayerNet.forward's gradient of b1"),
                       failed("two_layer_net.TwoLayerNet.forward: gradient of b1", "wrong values"), check("softmax.softmax: x")]}
    assert corpus.blame_problems(case, named) == []
    unnamed = {"tests": [failed("training: trajectory", "diverged at step 2. Note: optimizer.SGD.update also failed")]}
    (problem,) = corpus.blame_problems(case, unnamed)
    assert "does not name TwoLayerNet.forward" in problem and "training: trajectory" in problem


def test_a_function_is_named_only_as_a_word_of_its_own():
    """sigmoid_grad's message does not name sigmoid, nor does a file name: only the function itself does."""
    case = blamed_case("activations.sigmoid")
    unnamed = {"tests": [failed("activations.sigmoid_grad: values", "sigmoid_grad(array of shape (3, 6)) has wrong values "
                                "(at activations.py line 9)")]}
    assert len(corpus.blame_problems(case, unnamed)) == 1
    named = {"tests": [failed("activations.sigmoid_grad: values", "sigmoid_grad(...) has wrong values. Note: with a correct "
                              "sigmoid patched in, this check passes")]}
    assert corpus.blame_problems(case, named) == []
    unimportable = {"tests": [failed("activations.sigmoid_grad: values", "activations.py failed to import, so its checks could "
                                     "not run: raised SyntaxError")]}
    assert corpus.blame_problems(case, unimportable) == [], "a module that does not import is at fault as a whole"


def test_a_function_is_named_by_its_short_name():
    assert corpus.short_name("two_layer_net.TwoLayerNet.forward") == "TwoLayerNet.forward"
    assert corpus.short_name("softmax.cross_entropy_loss") == "cross_entropy_loss"


def test_every_bug_in_the_corpus_states_the_function_to_blame():
    assert all(c.blame for c in corpus.load_cases(kinds=("bugs",)))


def test_an_outcome_says_which_isolation_mode_graded_it():
    graded = corpus.evaluate(make_case(), Evidence({**results("softmax"), "isolation": "process"}, "", 1.0, isolation="process"), KNOWN)
    unreported = corpus.evaluate(make_case(), Evidence(None, "results.json was not written", 1.0, isolation="process"), KNOWN)
    assert graded.ok and graded.isolation == "process"
    assert unreported.isolation == "process (requested)"
    assert "(process)" in selftest.line(1, 1, make_case(), graded)
    assert selftest.table_rows([graded])[0][2] == "process"


def test_a_case_graded_in_another_mode_than_the_one_asked_for_is_a_problem():
    outcome = corpus.evaluate(make_case(), Evidence({**results("softmax"), "isolation": "bwrap"}, "", 1.0, isolation="process"), KNOWN)
    assert not outcome.ok
    assert outcome.problems == ("asked for --isolation process, but results.json says it was graded in 'bwrap'",)


def test_selftest_passes_its_isolation_to_every_grade(tmp_path, monkeypatch):
    seen = []

    class FakePopen:
        def __init__(self, command, **kwargs):
            seen.append(command)

        def wait(self, timeout=None):
            return 0
    monkeypatch.setattr(selftest.subprocess, "Popen", FakePopen)
    selftest.run_grader(tmp_path / "sub", tmp_path, tmp_path, 10.0, isolation_mode="process")
    assert seen[0][seen[0].index("--isolation") + 1] == "process"
    assert build_parser("selftest").parse_args(["selftest", "--isolation", "process"]).isolation == "process"
    assert build_parser("selftest").parse_args(["selftest"]).isolation == "auto"


def test_a_case_that_changes_only_perceptron_is_focused_on_perceptrons_checks_and_judged_on_them():
    """Is a case whose code runs only where perceptron.py is imported graded with --only 'perceptron.*' (no other
    module imports it) and judged on the areas graded, while a case changing a helper that others import is not?"""
    hostile = {c.name: c for c in corpus.load_cases() if c.kind == "hostile"}
    case = hostile["ctypes_disarm_hook"]
    assert corpus.INDEPENDENT == ("perceptron",)
    assert corpus.focus_of(case) == "perceptron.*"
    assert corpus.focused(case).passes == () and corpus.focused(case).fails == ("perceptron",)
    assert corpus.focus_of(hostile["symlink_plant"]) is None  # activations.py: forward, training and timing import it
