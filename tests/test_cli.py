"""`grader` itself: its help is instant (no NumPy, no Matplotlib), only the chosen command's module
is imported, and `--version` says which grader this is."""

import subprocess
import sys
from importlib import metadata

import pytest

from conftest import ROOT
from grader import __version__, cli, exits, toml


def python_m_grader(*args, importtime=False):
    flags = ["-X", "importtime"] if importtime else []
    return subprocess.run([sys.executable, *flags, "-m", "grader", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def imported(stderr):
    """The modules named in `python -X importtime` output."""
    return {line.rsplit("|", 1)[-1].strip() for line in stderr.splitlines() if line.startswith("import time:")} - {"package"}


@pytest.mark.parametrize("args", [["--help"], ["--version"]], ids=["--help", "--version"])
def test_help_and_version_import_neither_numpy_nor_matplotlib(args):
    proc = python_m_grader(*args, importtime=True)
    assert proc.returncode == exits.OK, proc.stderr
    heavy = sorted(m for m in imported(proc.stderr) if m.split(".")[0] in ("numpy", "matplotlib"))
    assert heavy == []


def test_help_lists_every_command_with_its_help_line():
    out = " ".join(python_m_grader("--help").stdout.split())
    for name, _, help_text in cli.COMMANDS:
        assert f"{name} {help_text}" in out


LOADED_AFTER = """
import sys
from grader.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(" ".join(sorted(m for m in sys.modules if m.startswith("grader.commands."))), file=sys.stderr)
"""


BUILDS_ON = {"check": ["grade"], "verify-report": ["experiments"], "grade-class": ["grade"]}  # commands that reuse another's options


@pytest.mark.parametrize("name, module", [(n, m) for n, m, _ in cli.COMMANDS], ids=[n for n, _, _ in cli.COMMANDS])
def test_only_the_chosen_commands_module_is_imported(name, module):
    proc = subprocess.run([sys.executable, "-c", LOADED_AFTER, name, "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    expected = sorted(f"grader.commands.{m}" for m in [module, *BUILDS_ON.get(name, [])])
    assert proc.stderr.split() == expected, proc.stderr


def test_version_prints_grader_and_the_installed_version():
    proc = python_m_grader("--version")
    assert proc.returncode == exits.OK
    assert proc.stdout == f"grader {metadata.version(cli.DISTRIBUTION)}\n"


def test_a_checkout_that_was_never_installed_falls_back_to_the_version_in_grader_init(monkeypatch):
    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    assert cli.version() == __version__


def test_the_fallback_version_is_pyprojects():
    assert __version__ == toml.load_path(ROOT / "pyproject.toml")["project"]["version"]


def test_an_unknown_command_is_a_usage_error_listing_the_commands():
    proc = python_m_grader("grdae")
    assert proc.returncode == exits.USAGE
    assert "invalid choice: 'grdae'" in proc.stderr and "grade" in proc.stderr
