"""Running the student's code in a subprocess, so that a crash or a hang is reported, not fatal.

One worker process runs the calls in order (worker.py). When it crashes or misses a deadline, the
call it was running fails with the reason, and a fresh worker continues with the next call.
"""

import contextlib
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .contract import MODULES
from .results import CallResult
from .standins import module_source
from .worker import PACKAGE

IMPORT_TIMEOUT = 15.0  # seconds to import the modules a call needs
KIT_ROOT = Path(__file__).resolve().parent.parent  # the folder holding the checker package
KIT_PACKAGE = __name__.rpartition(".")[0]  # "checker" in a kit


@dataclass(frozen=True)
class Call:
    """One probe to run: probe name, JSON spec, where its inputs are (an .npz and a key prefix),
    the modules it needs, and its timeout in seconds."""
    probe: str
    spec: dict
    arrays: str
    prefix: str
    needs: tuple
    timeout: float


def stage_package(modules, dest, stand_ins=()):
    """Copy the student's module files {name: Path} into dest/assignment/ as a package (the grader's name for it, so
    `from assignment.softmax import softmax` works in both), and write the kit's stand-in module for each helper
    module in stand_ins (missing or failing to import). Returns dest."""
    package = Path(dest) / PACKAGE
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for name, path in modules.items():
        shutil.copyfile(path, package / f"{name}.py")
    for name in stand_ins:
        (package / f"{name}.py").write_text(module_source(name, KIT_PACKAGE))
    return Path(dest)


def find_modules(folder):
    """{name: Path} of the assignment modules in folder, and the names that are missing."""
    folder = Path(folder)
    found = {m: folder / f"{m}.py" for m in MODULES if (folder / f"{m}.py").is_file()}
    return found, tuple(m for m in MODULES if m not in found)


def worker_env(threads=1):
    """The environment of the student's process: one BLAS thread (as graded), the kit importable."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        env[var] = str(threads)
    env["PYTHONPATH"] = str(KIT_ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def read_result(out, n, seconds):
    """The CallResult a worker wrote for call n."""
    import numpy as np
    from . import wire
    with open(out / f"{n}.json") as f:
        written = json.load(f)
    arrays = wire.decode_arrays((out / f"{n}.npz").read_bytes())
    status = written["status"]
    return CallResult("ok" if status["ok"] else status.get("kind", "error"), status["message"], written["meta"],
                      {k: np.asarray(v) for k, v in arrays.items()}, seconds)


def output_tail(path, limit=400):
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return ""
    return text[-limit:].strip()


def run_calls(modules, calls, threads=1, on_call=None, stand_ins=()):
    """Run calls (a list of Call) on the student's modules {name: Path}. Returns [CallResult] in order.

    on_call(n, result): optional callback after each call, for progress.
    stand_ins: helper modules replaced by the kit's stand-ins (stage_package).
    """
    results = [None] * len(calls)
    with tempfile.TemporaryDirectory(prefix="kit-check-") as tmp:
        tmp = Path(tmp)
        package_dir = stage_package(modules, tmp / "pkg", stand_ins)
        start = 0
        while start < len(calls):
            run = tmp / f"run{start}"
            run.mkdir()
            job = {"package_dir": str(package_dir), "out": str(run), "start": start,
                   "calls": [{"probe": c.probe, "spec": c.spec, "arrays": c.arrays, "prefix": c.prefix, "needs": list(c.needs)}
                             for c in calls]}
            (run / "job.json").write_text(json.dumps(job))
            start = run_one_worker(calls, results, run, threads, on_call)
    return results


def run_one_worker(calls, results, run, threads, on_call):
    """Run a worker from its job's start until it finishes or fails a call. Returns the next call to run."""
    job = json.loads((run / "job.json").read_text())
    n, began = job["start"], time.monotonic()
    deadline, phase = began + IMPORT_TIMEOUT, "import"
    with open(run / "stderr.txt", "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "checker.worker", str(run / "job.json")], stdout=subprocess.PIPE,
                                stderr=err, stdin=subprocess.DEVNULL, env=worker_env(threads), cwd=str(run),
                                start_new_session=True)
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        buffer = b""
        try:
            while n < len(calls):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    what = f"did not finish within {calls[n].timeout:g} s" if phase == "call" else \
                        f"importing {', '.join(calls[n].needs)} took longer than {IMPORT_TIMEOUT:g} s"
                    results[n] = CallResult("timeout", what, {}, {}, time.monotonic() - began)
                    break
                if not selector.select(timeout=min(remaining, 1.0)):
                    continue
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:  # the worker ended before finishing call n
                    code = proc.wait()
                    tail = output_tail(run / "stderr.txt")
                    why = f"the process ended (exit status {code}) while running this call"
                    results[n] = CallResult("crashed", why + (f"; its last output: {tail}" if tail else ""), {}, {},
                                            time.monotonic() - began)
                    break
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    word, _, index = line.decode().partition(" ")
                    if word == "start":
                        began, phase = time.monotonic(), "call"
                        deadline = began + calls[n].timeout
                    elif word == "done":
                        try:
                            results[n] = read_result(run, n, time.monotonic() - began)
                        except (OSError, ValueError) as exc:  # wire.WireError is a ValueError
                            results[n] = CallResult("error", f"the result could not be read back ({exc})", {}, {},
                                                    time.monotonic() - began)
                        if on_call:
                            on_call(n, results[n])
                        n += 1
                        began, phase = time.monotonic(), "import"
                        deadline = began + IMPORT_TIMEOUT
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the worker and anything it started
            proc.wait()
            selector.close()
            proc.stdout.close()
    if n < len(calls) and on_call:
        on_call(n, results[n])
    return n + 1 if n < len(calls) else n
