"""Entry point of the student process: `python -I -S run.py REQUEST.json`.

Order matters and is fixed here: set the import path, import NumPy and the
harness, install the guard, import the submission, then run the calls one by
one, writing each result to disk before announcing it on the progress pipe.
"""

import importlib
import contextlib
import json
import os
import sys
import traceback


def emit(fd, event, **fields):
    os.write(fd, (json.dumps({"event": event, **fields}) + "\n").encode())


def student_frame(exc, package_dir):
    """'file.py line N' of the innermost traceback frame inside the submission, or ''."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(package_dir)]
    if not frames:
        return ""
    f = frames[-1]
    return f"{os.path.basename(f.filename)} line {f.lineno}"


def describe_exception(exc, package_dir):
    if isinstance(exc, SystemExit):
        text = f"called sys.exit({exc.code!r})"
    elif isinstance(exc, KeyboardInterrupt):
        text = "raised KeyboardInterrupt"
    else:
        message = str(exc)
        text = f"raised {type(exc).__name__}" + (f": {message[:400]}" if message else "")
    where = student_frame(exc, package_dir)
    return {"error": type(exc).__name__, "message": text + (f" (at {where})" if where else "")}


def main(request_path):
    with open(request_path) as f:
        request = json.load(f)
    sys.path[:] = request["prepend_paths"] + sys.path[1:] + request["site_paths"]
    fd = request["progress_fd"]

    import numpy as np  # noqa: F401  imported before the guard, from site-packages
    from harness import guard, probes, wire

    package_dir = request["package_dir"]
    guard.install(request["read_roots"], request["write_roots"])
    imported = {}

    import_errors = {}

    def import_module(name):
        if name in import_errors:
            raise ImportError(f"assignment.{name} failed to import: {import_errors[name]}")
        if name not in imported:
            imported[name] = importlib.import_module(f"assignment.{name}")
        return imported[name]

    for name in request["imports"]:
        try:
            import_module(name)
        except BaseException as exc:  # noqa: B902  student code may raise anything, SystemExit included
            import_errors[name] = describe_exception(exc, package_dir)["message"]
    emit(fd, "imported", errors=import_errors)

    impl = probes.Implementation(import_module)
    stdin = os.fdopen(0, "rb", buffering=0)

    def wait_for_go():
        """Announce readiness, then block until the grader says 'go SEED'; returns SEED."""
        emit(fd, "ready")
        words = stdin.readline().split()
        if len(words) != 2 or words[0] != b"go":
            raise SystemExit(0)
        return int(words[1])

    for call in request["calls"][request["start"]:]:
        i = call["index"]
        emit(fd, "start", call=i)
        stem = os.path.join(request["out_dir"], str(i))
        try:
            patch = impl.provided_helpers() if call["spec"].get("helpers") == "provided" else contextlib.nullcontext()
            inputs = {}
            if call.get("inputs"):
                with np.load(call["inputs"], allow_pickle=False) as npz:
                    inputs = {k: npz[k] for k in npz.files}
            with patch:
                outputs = run_probe(probes, call, impl, inputs, fd, wait_for_go)
            status = {"ok": True}
        except BaseException as exc:  # noqa: B902
            outputs, status = {}, {"ok": False, **describe_exception(exc, package_dir)}
        try:
            wire.encode(stem, outputs, status)
        except BaseException as exc:  # noqa: B902  e.g. an object whose __array__ raises
            wire.encode(stem, {}, {"ok": False, "error": "encode", "message": f"returned a value that cannot be read back ({type(exc).__name__})"})
        emit(fd, "done", call=i)
    emit(fd, "finished")
    sys.stdout.flush()
    os._exit(0)  # skip any atexit handler the submission registered


def run_probe(probes, call, impl, inputs, fd, wait_for_go):
    """Run one probe; the interactive ones also get the progress pipe (and the go signal)."""
    probe = probes.PROBES[call["probe"]]
    if call["probe"] not in probes.INTERACTIVE:
        return probe(impl, call["spec"], inputs)
    extra = {"progress": lambda event, data: emit(fd, event, data=data)}
    if call["probe"] == "timed_epochs":
        extra["wait_for_go"] = wait_for_go
    return probe(impl, call["spec"], inputs, **extra)
