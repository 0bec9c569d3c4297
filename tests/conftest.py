"""Shared by every test: the project's paths, the real MNIST files, and the rule for the tests that need them.

A test that reads the four official MNIST files is marked `mnist` and gets their folder from
real_mnist_dir(). When they are not found:
  - under CI (CI=true) such a test fails, loudly: a CI run must never pass without having run it;
  - elsewhere (a fresh machine) it is skipped, and the run closes with one line saying how many
    were skipped and the command that fetches the data.
"""

import contextlib
import importlib
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import types
from pathlib import Path

import pytest
from hypothesis import settings

from grader.data.locate import cache_dir, missing_files
from grader.submission import MODULES  # noqa: F401  (shared: the five modules of a submission)

ROOT = Path(__file__).resolve().parent.parent

# A runner started in the background by a script (`cmd &`) ignores SIGINT, and every process it starts inherits
# that, so the tests that interrupt a grade with SIGINT would wait in vain. Restore Python's own handler: after
# exec the children then start with the default disposition, as from a terminal.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# Property-based tests draw few examples in the fast loop and more in the whole suite, which CI runs: ./dev test with
# no arguments sets HYPOTHESIS_PROFILE=full. A test reads its count as settings().max_examples.
settings.register_profile("fast", max_examples=3)
settings.register_profile("full", max_examples=12)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))
FETCH_MNIST = "./dev grader data download"
TEST_RUBRIC = ROOT / "tests" / "corpus" / "rubric.toml"  # the corpus rubric: 1 training epoch, so a whole grade
# takes about 6 s instead of the default rubric's 10 s; for tests about what fails, not about the default rubric


def mnist_places(env):
    """Where the tests look for MNIST: $MNIST_DIR alone when set; else ../shared/mnist beside the
    project (as in CI), then the per-user cache that `grader data download` fills."""
    if env.get("MNIST_DIR"):
        return [Path(env["MNIST_DIR"])]
    return [ROOT.parent / "shared" / "mnist", cache_dir()]


def locate_mnist(places):
    """(the first place holding the four files, ""), or (the first place, why no MNIST was found)."""
    for place in places:
        if not missing_files(place):
            return place, ""
    return places[0], "no MNIST found in " + " or ".join(str(p) for p in places)


def is_ci(env):
    """True under CI: $CI set to anything but "", 0 or false (CI systems set CI=true)."""
    return env.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def mnist_policy(env, available):
    """What a test marked `mnist` does: "run" when the files are there; else "fail" under CI, "skip" elsewhere."""
    if available:
        return "run"
    return "fail" if is_ci(env) else "skip"


MNIST_DIR, MNIST_MISSING = locate_mnist(mnist_places(os.environ))  # read once, before tests edit the environment
MNIST_ACTION = mnist_policy(os.environ, not MNIST_MISSING)

_current = None  # the test being set up or run, for real_mnist_dir()
_skipped = []  # node ids of `mnist` tests skipped for want of the data


def real_mnist_dir():
    """The folder of the four official files, for a test marked `mnist` (unmarked, it fails: mark it)."""
    if _current is None or _current.get_closest_marker("mnist") is None:
        name = _current.nodeid if _current is not None else "this test"
        pytest.fail(f"{name} reads the real MNIST files but is not marked: add @pytest.mark.mnist", pytrace=False)
    return MNIST_DIR


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before any fixture: apply mnist_policy to a test marked `mnist`."""
    global _current
    _current = item
    if item.get_closest_marker("mnist") is None or MNIST_ACTION == "run":
        return
    if MNIST_ACTION == "skip":
        _skipped.append(item.nodeid)
        pytest.skip(f"{MNIST_MISSING}; run `{FETCH_MNIST}` (or set MNIST_DIR) to run it")
    pytest.fail(f"{MNIST_MISSING}, and CI is set: CI must run the MNIST tests. Put the four official files in "
                f"../shared/mnist or set MNIST_DIR (outside CI these tests are skipped instead)", pytrace=False)


def pytest_runtest_teardown(item):
    global _current
    _current = None


RECORD_ENV = "DEV_TEST_RECORD"  # ./dev test sets it to a file: each run appends its counts and time (tools.suite_report)
_started = None


def pytest_sessionstart(session):
    global _started
    _started = time.monotonic()


def pytest_terminal_summary(terminalreporter):
    """One loud line for the MNIST tests skipped, counted from the reports (so also across xdist workers);
    and, when ./dev test asks for it ($DEV_TEST_RECORD), one JSON line with this run's counts and time."""
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if FETCH_MNIST in str(getattr(r, "longrepr", ""))]
    if skipped or _skipped:
        count = max(len(skipped), len(_skipped))
        terminalreporter.write_sep("!", f"{count} MNIST tests skipped: no MNIST found; run `{FETCH_MNIST}` "
                                        "(or set MNIST_DIR) to run them", yellow=True, bold=True)
    if os.environ.get(RECORD_ENV) and not hasattr(terminalreporter.config, "workerinput"):  # xdist's controller only
        record(Path(os.environ[RECORD_ENV]), terminalreporter.stats, len(skipped) or len(_skipped))


def record(path, stats, mnist_skipped):
    """Append {python, passed, failed, errors, skipped, mnist_skipped, seconds, args} as one JSON line to path."""
    counts = {k: len(stats.get(k, [])) for k in ("passed", "failed", "error", "skipped")}  # as pytest's summary counts
    line = {"python": sys.version.split()[0], "passed": counts["passed"], "failed": counts["failed"], "errors": counts["error"],
            "skipped": counts["skipped"], "mnist_skipped": mnist_skipped, "seconds": round(time.monotonic() - _started, 1),
            "args": sys.argv[1:]}
    with open(path, "a") as f:
        f.write(json.dumps(line) + "\n")


@pytest.fixture
def scratch():
    """A fresh TMPDIR for a grader subprocess, which the sandbox's unprivileged uid can traverse (tmp_path cannot be)."""
    folder = tempfile.mkdtemp(prefix="grader-test-")
    os.chmod(folder, 0o755)
    yield Path(folder)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def kit_contents():
    """The student kit's checks and the reference's values on its inputs, computed once (the slow part of a build)."""
    from grader.dist.build import kit_contents as compute
    from grader.paths import REFERENCE_DIR, RUBRIC_FILE
    from grader.rubric import load_rubric
    return compute(load_rubric(RUBRIC_FILE), REFERENCE_DIR)


@contextlib.contextmanager
def kit_checker(folder, *modules):
    """The built kit's own checker package (folder/checker), importable while the block runs: a namespace holding
    its modules by name, e.g. kit_checker(kit.folder, "judges").judges. Forgotten afterwards, so two kits never mix."""
    sys.path.insert(0, str(folder))
    try:
        yield types.SimpleNamespace(**{m: importlib.import_module(f"checker.{m}") for m in modules})
    finally:
        sys.path.remove(str(folder))
        for name in [m for m in sys.modules if m == "checker" or m.startswith("checker.")]:
            del sys.modules[name]


@contextlib.contextmanager
def deep_folder(root, depth, name="d"):
    """root/d/d/.../d, depth levels, made and removed without recursion (os.makedirs and shutil.rmtree recurse once
    per level, as os.walk does on Python 3.11, so none of them can make or remove it). Yields the deepest folder."""
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir(name, dir_fd=fd)
            deeper = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = deeper
    finally:
        os.close(fd)
    try:
        yield Path(root, *[name] * depth)
    finally:
        for level in range(depth, 0, -1):
            deepest = Path(root, *[name] * level)
            for child in os.listdir(deepest) if level == depth else ():
                os.unlink(deepest / child)
            os.rmdir(deepest)
