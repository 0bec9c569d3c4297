"""./dev, the one entry point: bubblewrap is made sure of, the tests are timed, CI is recognised.

Each test sources ./dev (which then defines its functions and runs no job) in a bash whose
PATH, after sourcing, holds only stand-ins for `id`, `apt-get` and the like.
"""

import os
import subprocess
import textwrap

import pytest

from conftest import ROOT

INSTALLING = "dev: installing bubblewrap (the OS sandbox for student code)"


def dev_function(call, stubs=None, env=None):
    """Run `call` (shell code) after sourcing ./dev; with stubs, PATH is then that folder alone."""
    path = f"PATH={stubs}; " if stubs else ""
    environ = {k: v for k, v in os.environ.items() if k != "CI"}
    return subprocess.run(["/bin/bash", "-c", f"source ./dev && {path}{call}"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={**environ, **(env or {})})


def stub(folder, name, body):
    path = folder / name
    path.write_text("#!/bin/bash\n" + textwrap.dedent(body))
    path.chmod(0o755)


@pytest.fixture
def machine(tmp_path):
    """A folder of stand-ins: `id -u` prints $FAKE_UID; `apt-get` logs its arguments to apt.log and, with
    $APT_FAILS_ONCE, fails its first install (as with a stale package list)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub(bin_dir, "id", 'echo "$FAKE_UID"\n')
    stub(bin_dir, "apt-get", f"""
        echo "$*" >> {tmp_path}/apt.log
        if [ "$1" = install ] && [ -n "${{APT_FAILS_ONCE:-}}" ] && [ ! -e {tmp_path}/failed ]; then
            : > {tmp_path}/failed
            exit 100
        fi
    """)
    return bin_dir


def apt_calls(machine):
    log = machine.parent / "apt.log"
    return log.read_text().splitlines() if log.exists() else []


def test_as_root_without_bwrap_it_installs_bubblewrap(machine):
    proc = dev_function("ensure_bwrap", machine, {"FAKE_UID": "0"})
    assert proc.returncode == 0
    assert INSTALLING in proc.stderr
    assert apt_calls(machine) == ["install -y -q bubblewrap"]


def test_when_the_first_install_fails_it_updates_the_package_list_and_tries_again(machine):
    proc = dev_function("ensure_bwrap", machine, {"FAKE_UID": "0", "APT_FAILS_ONCE": "1"})
    assert proc.returncode == 0
    assert apt_calls(machine) == ["install -y -q bubblewrap", "update -q", "install -y -q bubblewrap"]


def test_when_it_cannot_be_installed_it_says_so_and_goes_on(machine):
    stub(machine, "apt-get", "exit 100\n")
    proc = dev_function("ensure_bwrap && echo went-on", machine, {"FAKE_UID": "0"})
    assert proc.stdout == "went-on\n"
    assert "could not install bubblewrap" in proc.stderr


def test_not_as_root_it_says_what_is_missing_and_how_to_install_it_and_goes_on(machine):
    proc = dev_function("ensure_bwrap && echo went-on", machine, {"FAKE_UID": "1000"})
    assert proc.stdout == "went-on\n"
    assert proc.stderr.count("\n") == 1 and "sudo apt-get install bubblewrap" in proc.stderr
    assert apt_calls(machine) == []


def test_with_bwrap_present_it_does_nothing(machine):
    stub(machine, "bwrap", "exit 0\n")
    proc = dev_function("ensure_bwrap", machine, {"FAKE_UID": "0"})
    assert proc.returncode == 0 and proc.stderr == ""
    assert apt_calls(machine) == []


def test_timed_says_how_long_the_command_took_and_keeps_its_status():
    proc = dev_function("timed tests bash -c 'sleep 1; exit 3' || echo status $?")
    assert proc.stdout == "status 3\n"
    assert proc.stderr in ("dev: tests took 1 s\n", "dev: tests took 2 s\n")


@pytest.mark.parametrize("ci, under_ci", [("", False), ("false", False), ("0", False), ("true", True), ("1", True)])
def test_ci_is_recognised_as_the_tests_conftest_recognises_it(ci, under_ci):
    from conftest import is_ci

    proc = dev_function("is_ci", env={"CI": ci})
    assert (proc.returncode == 0) == under_ci == is_ci({"CI": ci})


def test_outside_ci_a_machine_without_mnist_tries_to_download_it_and_goes_on(tmp_path, machine):
    """(With a stand-in `timeout` that fails at once, as a download does without internet.)"""
    stub(machine, "timeout", 'echo "timeout $*" >> ' + f"{tmp_path}/calls\nexit 124\n")
    env = {"MNIST_DIR": str(tmp_path / "none"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = dev_function(f"PATH={machine}:$PATH fetch_mnist_if_missing && echo went-on", env=env)
    assert proc.stdout == "went-on\n", proc.stderr
    assert (tmp_path / "calls").read_text() == "timeout 120 .venv/bin/grader data download\n"
    assert "the tests that need it will be skipped" in proc.stderr


def test_under_ci_it_never_tries_to_download(tmp_path, machine):
    stub(machine, "timeout", f": > {tmp_path}/called\n")
    env = {"MNIST_DIR": str(tmp_path / "none"), "XDG_CACHE_HOME": str(tmp_path / "cache"), "CI": "true"}
    proc = dev_function(f"PATH={machine}:$PATH fetch_mnist_if_missing && echo went-on", env=env)
    assert proc.stdout == "went-on\n"
    assert not (tmp_path / "called").exists()


@pytest.mark.parametrize("args, expected", [
    ("", "-n 2 --dist loadfile"),  # the whole suite: test files spread over both cores
    ("-m 'not slow'", "-n 2 -m not slow"),  # the inner loop, as written in the issue, on both cores too
    ("-n 0 tests/test_dev.py", "-n 0 tests/test_dev.py"),  # arguments that choose the workers are kept as they are
    ("--pdb -k timed", "--pdb -k timed"),  # debugging runs in one process
    ("-p no:xdist -q", "-p no:xdist -q"),
], ids=["none", "the fast tests", "-n given", "--pdb", "xdist off"])
def test_pytest_runs_on_both_cores_unless_the_arguments_choose_the_workers(args, expected):
    proc = dev_function(f"pytest_args {args} | paste -sd ' '")
    assert proc.stdout.strip() == expected


def test_for_the_python_310_pass_an_ordinary_user_keeps_the_interpreter_found(machine):
    proc = dev_function("sandbox_python310 /opt/py310", machine, {"FAKE_UID": "1000"})
    assert proc.returncode == 0 and proc.stdout.strip() == "/opt/py310"


def test_as_root_a_python_310_the_sandbox_uid_cannot_run_is_copied_with_its_libpython_found_beside_it(machine, tmp_path):
    """pyenv's 3.10 lives under /root: $PY310_COPY gets a copy whose RUNPATH is $ORIGIN/../lib, and that is used."""
    log, copy = tmp_path / "calls.log", tmp_path / "opt" / "python3.10"
    stub(machine, "py310", 'echo /root/.pyenv/versions/3.10.13\n')
    stub(machine, "patchelf", f'echo "patchelf $*" >> {log}\n')
    stub(machine, "cp", f'echo "cp $*" >> {log}; /bin/mkdir -p "$3/bin" && : > "$3/bin/python3.10"\n')
    for name in ("rm", "mkdir", "dirname"):
        stub(machine, name, "true\n")
    usable = f'usable_python() {{ [ "$1" != {machine}/py310 ] && [ -e "$1" ]; }}'  # only the copy runs as that uid
    proc = dev_function(f"{usable} && sandbox_python310 {machine}/py310", machine, {"FAKE_UID": "0", "PY310_COPY": str(copy)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"{copy}/bin/python3.10"
    assert log.read_text().splitlines() == [f"cp -a /root/.pyenv/versions/3.10.13 {copy}",
                                            f"patchelf --set-rpath $ORIGIN/../lib {copy}/bin/python3.10"]
    assert f"copying /root/.pyenv/versions/3.10.13 to {copy}" in proc.stderr


@pytest.mark.parametrize("failing, named", [((), ()), (("ruff",), ("ruff",)), (("mypy",), ("mypy",)),
                                            (("ruff", "mypy"), ("ruff", "mypy"))])
def test_lint_runs_ruff_then_mypy_and_fails_naming_each_tool_that_found_a_violation(tmp_path, failing, named):
    """Does `./dev lint` (and `./dev test` before the suite) run both tools, fail when either fails, and say which?"""
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    for tool in ("ruff", "mypy"):
        stub(bin_dir, tool, f'echo {tool} >> {tmp_path}/ran.log\nexit {1 if tool in failing else 0}\n')
    proc = dev_function(f"lint {tmp_path / 'venv'}")
    assert (tmp_path / "ran.log").read_text().split() == ["ruff", "mypy"]
    assert proc.returncode == (1 if failing else 0)
    for tool in ("ruff", "mypy"):
        assert (f"dev: {tool} found" in proc.stderr) == (tool in named), proc.stderr
