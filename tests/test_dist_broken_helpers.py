"""The student kit when a helper module is missing or fails to import (grader/dist/kit/preflight.py).

The grader checks the network with correct stand-in helpers in place of activations.py or softmax.py
when that file is missing or raises on import, so such a file costs only its own checks. The kit
replaces it with its own cheap stand-ins (not the assignment's values) and must reach the same
pass/fail on every network check.
"""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from grader import isolation, pipeline
from grader.dist.build import build_student_kit
from grader.paths import REFERENCE_DIR, RUBRIC_FILE
from grader.rubric import load_rubric

from conftest import ROOT, kit_checker
from test_dist_student import normalised, solution_lines

CORPUS = ROOT / "tests" / "corpus"
BROKEN = {  # how a helper module can fail to import -> the line appended to it
    "syntax error": "def oops(:\n",
    "ImportError": "from .nowhere import nothing\n",
    "exception": "x = 1 / 0\n",
    "sys.exit": "import sys; sys.exit(3)\n",
    "os._exit": "import os; os._exit(3)\n",
}


@pytest.fixture(scope="module")
def kit(tmp_path_factory, kit_contents):
    return build_student_kit(tmp_path_factory.mktemp("dist") / "assignment1-kit", load_rubric(RUBRIC_FILE), REFERENCE_DIR,
                             contents=kit_contents)


@pytest.fixture(scope="module")
def checker(kit):
    """The kit's own checker package, imported from the built kit."""
    with kit_checker(kit.folder, "preflight", "runner", "standins") as checker:
        yield checker


def submission(folder, broken=None, how="syntax error", network=REFERENCE_DIR / "two_layer_net.py"):
    """The reference's modules in folder, with network as two_layer_net.py and the helper module broken
    (None: none) as how says ("missing", or a key of BROKEN). Returns folder."""
    folder.mkdir(parents=True)
    for path in REFERENCE_DIR.glob("*.py"):
        if path.name != "__init__.py":
            shutil.copyfile(path, folder / path.name)
    shutil.copyfile(network, folder / "two_layer_net.py")
    if broken and how == "missing":
        (folder / f"{broken}.py").unlink()
    elif broken:
        with open(folder / f"{broken}.py", "a") as f:
            f.write(BROKEN[how])
    return folder


def modules_of(folder):
    return {p.stem: p for p in folder.glob("*.py")}


# ---------------------------------------------------------------- the pure parts

def test_the_stand_ins_replace_missing_and_broken_helper_modules_only_in_contract_order(checker):
    assert checker.preflight.stood_in(("two_layer_net", "softmax"), {"activations": "raised"}) == ("activations", "softmax")
    assert checker.preflight.stood_in((), {}) == ()


def test_the_import_failure_is_reported_without_the_kits_wrapping(checker):
    calls = checker.preflight.import_calls({"softmax": "s.py", "perceptron": "p.py"})
    assert [c.needs for c in calls] == [("softmax",)]
    result = checker.preflight.CallResult("error", "raised ImportError: softmax.py failed to import: raised SyntaxError: x", {}, {})
    assert checker.preflight.broken_modules(calls, [result]) == {"softmax": "raised SyntaxError: x"}
    assert checker.preflight.broken_result("softmax", "raised SyntaxError: x").message == \
        "softmax.py failed to import, so its checks could not run: raised SyntaxError: x"


def test_a_missing_module_fails_its_checks_with_a_result_not_a_crash(checker):
    """Is the missing-file result a whole CallResult (it used to lack meta and arrays and crash the kit)?"""
    result = checker.preflight.missing_result("softmax")
    assert result.status == "missing" and result.message == "missing file: softmax.py was not found"


@pytest.mark.parametrize("module", ["activations", "softmax"])
def test_the_stand_in_module_is_the_kits_cheap_helpers_not_the_assignments(checker, tmp_path, module):
    """Does a staged stand-in module hold every helper the network may import, bound to the timing stand-ins,
    with values that are not the assignment's (no solution shipped)?"""
    package_dir = checker.runner.stage_package({}, tmp_path / "pkg", (module,))
    text = (package_dir / checker.runner.PACKAGE / f"{module}.py").read_text()
    assert "np.exp" not in text and "checker.standins" in text
    assert not solution_lines() & {normalised(line) for line in text.splitlines()}
    namespace = {}
    exec(compile(text, f"{module}.py", "exec"), namespace)
    for name in checker.standins.HELPERS[module]:
        assert namespace[name] is checker.standins.TIMING_STAND_INS[name]
    z = np.array([[0.5, -1.0, 2.0]])
    if module == "softmax":
        assert not np.allclose(namespace["softmax"](z), np.exp(z) / np.exp(z).sum())
    else:
        assert not np.allclose(namespace["sigmoid"](z), 1 / (1 + np.exp(-z)))


# ---------------------------------------------------------------- finding the modules that fail to import

@pytest.mark.parametrize("how", sorted(BROKEN))
def test_a_helper_that_fails_to_import_is_found_with_the_reason(checker, tmp_path, how):
    folder = submission(tmp_path / "sub", "softmax", how)
    broken = checker.preflight.find_broken(modules_of(folder))
    assert list(broken) == ["softmax"]
    assert {"syntax error": "SyntaxError", "ImportError": "ModuleNotFoundError", "exception": "ZeroDivisionError",
            "sys.exit": "sys.exit(3)", "os._exit": "exit status 3"}[how] in broken["softmax"]


@pytest.mark.slow  # waits out a hung import: the full suite runs it, the inner loop does not
def test_a_helper_that_hangs_on_import_is_found_after_the_import_timeout(checker, tmp_path, monkeypatch):
    folder = submission(tmp_path / "sub")
    with open(folder / "activations.py", "a") as f:
        f.write("while True:\n    pass\n")
    monkeypatch.setattr(checker.runner, "IMPORT_TIMEOUT", 1.0)
    broken = checker.preflight.find_broken(modules_of(folder))
    assert list(broken) == ["activations"] and "took longer than 1 s" in broken["activations"]


def test_helpers_that_import_are_not_broken_and_other_modules_are_not_imported(checker, tmp_path):
    folder = submission(tmp_path / "sub")
    (folder / "perceptron.py").write_text("def oops(:\n")  # not a helper: its own checks fail, as in the grader
    assert checker.preflight.find_broken(modules_of(folder)) == {}


# ---------------------------------------------------------------- the kit against the grader

def kit_verdicts(kit, folder, out, only):
    env = dict(os.environ, PYTHONPATH=str(kit.folder))
    proc = subprocess.run([sys.executable, "-m", "checker", "check", str(folder), "--only", only, "--out", str(out)],
                          capture_output=True, text=True, env=env, cwd=kit.folder, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return {t["id"]: t for t in json.loads((out / "results.json").read_text())["tests"]}


def grader_verdicts(folder, only):
    options = pipeline.Options(only=only, visible_only=True, isolation=isolation.choose("auto", strict=False).mode)
    return {r.id: r.passed for r in pipeline.grade(folder, load_rubric(RUBRIC_FILE), options).results}


@pytest.mark.parametrize("network, broken, how, passes", [
    ("reference", "softmax", "syntax error", True),  # the corpus case softmax_syntax_error
    pytest.param("reference", "softmax", "missing", True, marks=pytest.mark.slow),  # slow: 2 s each, for the full suite
    pytest.param("reference", "activations", "exception", True, marks=pytest.mark.slow),
    pytest.param("forward_forgets_b2", "softmax", "syntax error", False, marks=pytest.mark.slow),  # a network bug still fails
])
@pytest.mark.parametrize("only", ["two_layer_net.", pytest.param("training/trajectory", marks=pytest.mark.slow)])  # slow: trains
def test_with_a_broken_helper_the_network_checks_pass_exactly_when_the_graders_do(kit, tmp_path, network, broken, how, passes, only):
    """Do the kit's network checks (forward and the trajectory) give the grader's pass/fail when a helper module
    is missing or fails to import, the grader using correct stand-ins and the kit its own?"""
    path = REFERENCE_DIR / "two_layer_net.py" if network == "reference" else CORPUS / "bugs" / network / "two_layer_net.py"
    folder = submission(tmp_path / "sub", broken, how, path)
    ours = kit_verdicts(kit, folder, tmp_path / only.replace("/", "-"), only)
    grader = grader_verdicts(folder, only)
    assert grader and set(ours) == set(grader)
    assert {id: t["status"] == "passed" for id, t in ours.items()} == grader
    if passes:
        assert all(grader.values())
        assert all(f"{broken}.py {'is missing' if how == 'missing' else 'fails to import'}" in t["output"] for t in ours.values())
    else:
        assert not all(grader.values())


def test_the_kits_stand_in_modules_hold_the_names_the_graders_do(checker):
    """A network that imports a name the grader's stand-in lacks fails in both; one it has imports in both."""
    from grader.harness.helpers import PROVIDED
    assert {m: tuple(n) for m, n in checker.standins.HELPERS.items()} == PROVIDED


def test_with_absolute_imports_a_broken_helper_is_stood_in_as_with_relative_ones(kit, tmp_path):
    """`from softmax import softmax` in two_layer_net.py reaches the kit's stand-in module as `from .softmax` does
    (through the kit's bare-name aliases, checker/aliases.py, copied from the grader's harness)."""
    assert (kit.folder / "checker" / "aliases.py").exists()
    folder = submission(tmp_path / "sub", "softmax", "syntax error")
    text = (folder / "two_layer_net.py").read_text()
    (folder / "two_layer_net.py").write_text(text.replace("from .softmax import", "from softmax import")
                                             .replace("from .activations import", "from activations import"))
    only = "two_layer_net.TwoLayerNet.forward/"
    ours = kit_verdicts(kit, folder, tmp_path / "out", only)
    assert {id: t["status"] == "passed" for id, t in ours.items()} == grader_verdicts(folder, only)
    assert ours and all(t["status"] == "passed" for t in ours.values())
