"""grader.toml is the one TOML reader: tomllib from 3.11, tomli on 3.10, and nothing else imports either."""

import ast
import importlib.util
import sys
import types

import pytest

from conftest import ROOT
from grader import toml

GRADER = ROOT / "grader"
READERS = {"tomllib", "tomli"}


def toml_imports(path):
    """The names of tomllib/tomli that the module at path imports (at any depth)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names} & READERS
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found |= {node.module.split(".")[0]} & READERS
    return found


def test_no_module_under_grader_imports_tomllib_or_tomli_but_grader_toml():
    offenders = {str(p.relative_to(ROOT)): sorted(toml_imports(p)) for p in sorted(GRADER.rglob("*.py"))
                 if p != GRADER / "toml.py" and toml_imports(p)}
    assert offenders == {}, "read TOML through grader.toml (it has the Python 3.10 fallback)"


def test_loads_and_load_path_read_a_document(tmp_path):
    text = 'name = "x"\n[groups."a.b"]\npoints = 2.5\n'
    (tmp_path / "doc.toml").write_text(text, encoding="utf-8")
    expected = {"name": "x", "groups": {"a.b": {"points": 2.5}}}
    assert toml.loads(text) == expected
    assert toml.load_path(tmp_path / "doc.toml") == expected


def test_bad_toml_raises_toml_decode_error_a_value_error():
    with pytest.raises(toml.TOMLDecodeError) as info:
        toml.loads("= = =")
    assert isinstance(info.value, ValueError)


def test_a_missing_file_raises_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        toml.load_path(tmp_path / "absent.toml")


def test_without_tomllib_as_on_python_3_10_it_uses_tomli(monkeypatch):
    tomli = types.ModuleType("tomli")
    tomli.loads, tomli.load, tomli.TOMLDecodeError = (lambda text: "tomli"), (lambda f: "tomli"), ValueError
    monkeypatch.setitem(sys.modules, "tomllib", None)  # `import tomllib` now raises ModuleNotFoundError
    monkeypatch.setitem(sys.modules, "tomli", tomli)
    spec = importlib.util.spec_from_file_location("toml_on_310", GRADER / "toml.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.loads("x = 1") == "tomli" and module.TOMLDecodeError is ValueError
