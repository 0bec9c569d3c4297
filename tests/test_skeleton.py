"""The student skeleton is generated from reference/ and never drifts from it."""

import pytest

from grader import skeleton
from grader.paths import ASSIGNMENT_DIR, REFERENCE_DIR

SOURCE = '''import numpy as np


def f(x):
    """Doc of f."""
    # BEGIN SOLUTION: add one
    y = x + 1
    return y
    # END SOLUTION


class K:
    def m(self):
        # BEGIN SOLUTION
        return 2
        # END SOLUTION
'''


def test_committed_assignment_matches_what_the_generator_writes():
    """Is assignment/ exactly what `grader skeleton` generates from reference/?"""
    assert skeleton.drift(REFERENCE_DIR, ASSIGNMENT_DIR) == []


def test_a_region_becomes_a_raise_with_the_qualified_name_and_hint():
    out = skeleton.stub_source(SOURCE)
    assert "    raise NotImplementedError('f: add one')\n" in out
    assert "        raise NotImplementedError('K.m: not implemented yet; see the docstring')\n" in out
    assert "y = x + 1" not in out and "return 2" not in out


def test_signatures_docstrings_and_provided_code_are_kept():
    out = skeleton.stub_source(SOURCE)
    assert 'def f(x):\n    """Doc of f."""' in out
    assert "import numpy as np" in out and "class K:" in out


def test_every_stub_function_of_the_skeleton_raises_not_implemented():
    import importlib.util
    spec = importlib.util.spec_from_file_location("sk_activations", ASSIGNMENT_DIR / "activations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(NotImplementedError, match="sigmoid:"):
        module.sigmoid(0.0)


@pytest.mark.parametrize("text, message", [
    ("def f():\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n    # END SOLUTION\n", "x.py:3: nested BEGIN SOLUTION"),
    ("def f():\n    # BEGIN SOLUTION\n    return 1\n", "x.py:2: unterminated BEGIN SOLUTION"),
    ("def f():\n    return 1\n    # END SOLUTION\n", "x.py:3: stray END SOLUTION"),
    ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", "x.py:1: BEGIN SOLUTION outside any function"),
    ("def f():\n    pass  # BEGIN SOLUTION\n", "x.py:2: malformed marker"),
])
def test_malformed_markers_are_errors_that_name_the_file_and_line(text, message):
    """Is an error raised, naming file and line, for nested, unterminated, stray or misplaced markers?"""
    with pytest.raises(skeleton.MarkerError, match=message):
        skeleton.find_regions(text, "x.py")


def test_generate_writes_every_module_and_a_package_init(tmp_path):
    written = skeleton.generate(REFERENCE_DIR, tmp_path)
    assert {p.name for p in written} == {p.name for p in REFERENCE_DIR.glob("*.py")}
    assert "NotImplementedError" in (tmp_path / "__init__.py").read_text()


def test_the_check_command_reports_drift(tmp_path, capsys):
    from grader.cli import main
    skeleton.generate(REFERENCE_DIR, tmp_path)
    assert main(["skeleton", "--check", "--out", str(tmp_path)]) == 0
    (tmp_path / "softmax.py").write_text("# edited by hand\n")
    assert main(["skeleton", "--check", "--out", str(tmp_path)]) == 1
    assert "softmax.py" in capsys.readouterr().err


@pytest.mark.parametrize("doc", ["README.md", *sorted(f"docs/{p.name}" for p in (REFERENCE_DIR.parent / "docs").glob("*.md"))])
def test_the_docs_print_no_solution(doc):
    """Are the README and the manual free of the gates' weights, the figures that draw them, and every line of a
    SOLUTION region?"""
    import re
    from test_dist_student import normalised, solution_lines
    text = (REFERENCE_DIR.parent / doc).read_text()
    assert not re.search(r"^- (AND|OR): w = |^- xor_network: ", text, flags=re.M)
    assert "theory_and_or.png" not in text and "theory_xor.png" not in text
    assert [line for line in solution_lines() if line in normalised(text)] == []


def test_the_unmarked_source_keeps_every_solution_line_and_drops_only_the_markers():
    out = skeleton.unmarked_source(SOURCE)
    assert "SOLUTION" not in out
    assert out.splitlines() == [line for line in SOURCE.splitlines() if "SOLUTION" not in line]
