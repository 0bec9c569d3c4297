"""Absolute imports between the student's modules (grader/harness/aliases.py): a flat layout's
`import softmax` and `from activations import sigmoid` give the same module objects as the package
the grader imports, so the grader's patching reaches code that imported either way."""

import importlib
import sys
import textwrap

import numpy as np
import pytest

from grader.harness import aliases, helpers
from grader.harness.contract import MODULES
from grader.harness.probes import Implementation
from grader.sandbox import Call, Sandbox

ACTIVATIONS = "import numpy as np\n\ndef sigmoid(x):\n    return np.zeros_like(x)  # wrong on purpose\n"
SOFTMAX = "import numpy as np\n\ndef softmax(z):\n    return np.zeros_like(z)  # wrong on purpose\n"
NET = textwrap.dedent("""
    import softmax
    from activations import sigmoid

    def both(x):
        return sigmoid(x) + softmax.softmax(x)
""")


@pytest.fixture
def flat_package(tmp_path, monkeypatch):
    """A package `flatpkg` holding activations, softmax and two_layer_net (which imports the others by bare name),
    with the bare names answered; everything removed again afterwards."""
    pkg = tmp_path / "flatpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name, text in (("activations", ACTIVATIONS), ("softmax", SOFTMAX), ("two_layer_net", NET)):
        (pkg / f"{name}.py").write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    finder = aliases.install("flatpkg", MODULES)
    yield lambda name: importlib.import_module(f"flatpkg.{name}")
    aliases.uninstall(finder)
    for name in [n for n in sys.modules if n == "flatpkg" or n.startswith("flatpkg.")]:
        del sys.modules[name]


def test_a_bare_import_gives_the_same_module_object_as_the_package(flat_package):
    net = flat_package("two_layer_net")
    assert sys.modules["softmax"] is flat_package("softmax") is net.softmax
    assert sys.modules["activations"] is flat_package("activations")
    assert net.sigmoid is flat_package("activations").sigmoid


def test_the_provided_helpers_reach_code_that_imported_by_bare_name_either_way(flat_package):
    """`from activations import sigmoid` binds the function (patched in two_layer_net), `import softmax` binds
    the module (left alone, its attribute patched): both calls then use the correct helpers."""
    impl = Implementation(flat_package)
    x = np.array([[0.0, 1.0]])
    with impl.provided_helpers():
        got = flat_package("two_layer_net").both(x)
    assert np.allclose(got, helpers.sigmoid(x) + helpers.softmax(x))
    assert np.all(flat_package("two_layer_net").both(x) == 0.0), "the student's functions are back afterwards"
    assert flat_package("two_layer_net").softmax is sys.modules["softmax"]


@pytest.mark.parametrize("name, path", [("numpy", None), ("os", None), ("softmax", ["/somewhere"])])
def test_only_the_contract_names_at_the_top_level_are_answered(name, path):
    """No other name (numpy, the standard library, the harness) and no submodule can be shadowed."""
    assert aliases.ContractModules("assignment", MODULES).find_spec(name, path) is None


def test_in_the_sandbox_a_flat_layout_imports_and_its_import_error_is_reported_once(tmp_path):
    (tmp_path / "softmax.py").write_text("import numpy as np\n\ndef softmax(z):\n    return np.exp(z) / np.exp(z).sum()\n")
    (tmp_path / "two_layer_net.py").write_text("from softmax import softmax\nimport activations\n\n"
                                               "def f(z):\n    return softmax(z)\n")
    (tmp_path / "activations.py").write_text("raise ValueError('broken at import')\n")
    spec = {"module": "two_layer_net", "function": "f", "args": [{"array": "a0"}], "kwargs": {}}
    good = {"softmax": tmp_path / "softmax.py", "two_layer_net": tmp_path / "two_layer_net.py"}
    with Sandbox(good, stand_ins=["activations"]) as box:
        (ok,) = box.run([Call(0, "call", spec, {"a0": np.zeros(2)}, 5.0, ("two_layer_net",))], [])
    assert ok.ok, ok.message
    assert np.allclose(ok.arrays["result"], [0.5, 0.5])
    with Sandbox({**good, "activations": tmp_path / "activations.py"}) as box:
        (bad,) = box.run([Call(0, "call", spec, {"a0": np.zeros(2)}, 5.0, ("two_layer_net",))], [])
    assert not bad.ok and "broken at import" in bad.message
