"""Entry point of the student process: `python -I -S run.py REQUEST.json`.

Order matters and is fixed here: set the import path, import NumPy and the
harness, install the guard (a tripwire: the OS sandbox is the real boundary),
then run the calls one by one. Before a call, the submission's modules it needs
are imported, each announced ('importing', then 'imported'), so the grader
gives an import its own deadline and knows which module hung. Each result
travels on the progress pipe as a 'done' event followed by its .npz bytes;
nothing is written to disk. The events are declared in grader/worker.py (PROTOCOL).
"""

import contextlib
import importlib
import json
import linecache
import os
import sys
import traceback
import warnings


def emit(fd, event, payload=b"", **fields):
    """One JSON line on the progress pipe; with a payload, its length and then its bytes."""
    if payload:
        fields["bytes"] = len(payload)
    data = (json.dumps({"event": event, **fields}) + "\n").encode() + payload
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def flush_output():
    """Push what the submission printed to its log now: the grader may end the process right after 'done'."""
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except BaseException:  # noqa: B902  a stream the submission replaced or closed
            pass


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


MAX_WARNINGS = 5  # quoted in feedback: the first few are enough to find the line


def warning_record(caught, package_dir):
    """The first warnings a call raised: category, message, and file and line when inside the submission."""
    out = []
    for w in caught[:MAX_WARNINGS]:
        inside = isinstance(w.filename, str) and w.filename.startswith(package_dir)
        source = linecache.getline(w.filename, w.lineno).strip()[:160] if inside else ""
        out.append({"category": getattr(w.category, "__name__", "Warning"), "message": str(w.message)[:200],
                    "file": os.path.basename(w.filename) if inside else "", "line": int(w.lineno or 0) if inside else 0,
                    "source": source})
    return out


def patches(impl, spec):
    """The substitutions a call asks for: correct helpers and/or a correct predict or apply_regularization."""
    stack = contextlib.ExitStack()
    if spec.get("helpers") == "provided":
        stack.enter_context(impl.provided_helpers())
    if spec.get("patch"):
        stack.enter_context(impl.patched(tuple(spec["patch"]), spec))
    return stack


def main(request_path):
    with open(request_path) as f:
        request = json.load(f)
    sys.path[:] = request["prepend_paths"] + sys.path[1:] + request["site_paths"]
    fd = request["progress_fd"]

    import numpy as np  # noqa: F401  imported before the guard
    from harness import aliases, guard, probes, wire
    from harness.contract import MODULES

    package_dir = request["package_dir"]
    aliases.install("assignment", MODULES)  # `import softmax` is assignment.softmax (a flat layout's imports)
    if request.get("tripwire", True):
        guard.install(request["read_roots"], request["write_roots"])
    imported, import_errors = {}, {}

    def import_module(name):
        if name in import_errors:
            raise ImportError(f"assignment.{name} failed to import: {import_errors[name]}")
        if name not in imported:
            imported[name] = importlib.import_module(f"assignment.{name}")
        return imported[name]

    def import_for(call):
        """Import the modules a call needs, each announced; a failure is kept for the calls that need it."""
        for name in call["imports"]:
            if name in request.get("broken", {}):  # hung or killed an earlier process: not tried again
                import_errors[name] = request["broken"][name]
            if name in imported or name in import_errors:
                continue
            emit(fd, "importing", module=name)
            try:
                import_module(name)
            except BaseException as exc:  # noqa: B902  student code may raise anything, SystemExit included
                import_errors[name] = describe_exception(exc, package_dir)["message"]
            emit(fd, "imported", module=name, error=import_errors.get(name))

    impl = probes.Implementation(import_module, loaded=lambda name: f"assignment.{name}" in sys.modules)
    stdin = os.fdopen(0, "rb", buffering=0)

    def wait_for_go():
        """Announce readiness, then block until the grader says 'go SEED'; returns SEED."""
        emit(fd, "ready")
        words = stdin.readline().split()
        if len(words) != 2 or words[0] != b"go":
            raise SystemExit(0)
        return int(words[1])

    def epoch_done(data, weights):
        """The timed epoch is over: its weights travel with the announcement."""
        meta, payload = wire.encode({"final": weights})
        emit(fd, "epoch_done", payload, data=data, meta=meta)

    for call in request["calls"][request["start"]:]:
        i = call["index"]
        import_for(call)
        emit(fd, "start", call=i)
        caught = []
        try:
            inputs = {}
            if call.get("inputs"):
                with np.load(call["inputs"], allow_pickle=False) as npz:
                    inputs = {k: npz[k] for k in npz.files}
            with warnings.catch_warnings(record=True) as caught, patches(impl, call["spec"]):
                warnings.simplefilter("always")
                outputs = run_probe(probes, call, impl, inputs, fd, wait_for_go, epoch_done)
            status = {"ok": True}
        except BaseException as exc:  # noqa: B902
            outputs, status = {}, {"ok": False, **describe_exception(exc, package_dir)}
        try:
            status["warnings"] = warning_record(list(caught or []), package_dir)
        except BaseException:  # noqa: B902  a warning object the submission forged
            pass
        try:
            meta, payload = wire.encode(outputs)
        except BaseException as exc:  # noqa: B902  e.g. an object whose __array__ raises
            meta, payload = {}, b""
            status = {"ok": False, "error": "encode", "message": f"returned a value that cannot be read back ({type(exc).__name__})"}
        flush_output()
        emit(fd, "done", payload, call=i, status=status, meta=meta)
    emit(fd, "finished")
    os._exit(0)  # skip any atexit handler the submission registered


def run_probe(probes, call, impl, inputs, fd, wait_for_go, epoch_done):
    """Run one probe; the interactive ones also get the progress pipe (and the go signal)."""
    probe = probes.PROBES[call["probe"]]
    if call["probe"] not in probes.INTERACTIVE:
        return probe(impl, call["spec"], inputs)
    extra = {"progress": lambda event, data: emit(fd, event, data=data)}
    if call["probe"] == "timed_epochs":
        extra.update(wait_for_go=wait_for_go, epoch_done=epoch_done)
    return probe(impl, call["spec"], inputs, **extra)
