"""The student's subprocess: `python -m checker.worker JOB.json`.

It imports the student's modules (as the package `submission` under JOB["package_dir"]) and runs
the jobs in order, from JOB["start"]. Before job n it imports the modules the job needs and prints
`start n`; after it, it writes n.json (status and metadata) and n.npz (the arrays, no pickle) into
JOB["out"] and prints `done n`. These lines go to the original stdout; whatever the student's code
prints goes to stderr. runner.py keeps the deadlines and restarts a fresh worker after a crash.
"""

import contextlib
import importlib
import json
import os
import sys
import traceback

PACKAGE = "assignment"  # the student's modules are imported as assignment.<name>, as the grader imports them


def describe_exception(exc, package_dir):
    """'raised ValueError: ... (at softmax.py line 12)', naming the student's innermost frame."""
    if isinstance(exc, SystemExit):
        text = f"called sys.exit({exc.code!r})"
    else:
        message = str(exc)
        text = f"raised {type(exc).__name__}" + (f": {message[:400]}" if message else "")
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(package_dir)]
    where = f" (at {os.path.basename(frames[-1].filename)} line {frames[-1].lineno})" if frames else ""
    return text + where


def main(job_path):
    with open(job_path) as f:
        job = json.load(f)
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # the student's prints go to stderr
    sys.stdout = sys.stderr

    import numpy as np
    from . import aliases, probes, wire
    from .contract import MODULES

    package_dir = job["package_dir"]
    sys.path.insert(0, package_dir)
    aliases.install(PACKAGE, MODULES)  # `import softmax` is assignment.softmax (a flat layout's imports)
    imported, import_errors = {}, {}

    def import_module(name):
        if name in import_errors:
            raise ImportError(f"{name}.py failed to import: {import_errors[name]}")
        if name not in imported:
            imported[name] = importlib.import_module(f"{PACKAGE}.{name}")
        return imported[name]

    impl = probes.Implementation(import_module)
    arrays = {}
    for n, call in enumerate(job["calls"]):
        if n < job["start"]:
            continue
        for name in call["needs"]:
            if name not in imported and name not in import_errors:
                try:
                    import_module(name)
                except BaseException as exc:  # noqa: B902  student code may raise anything
                    import_errors[name] = describe_exception(exc, os.path.join(package_dir, PACKAGE))
        print(f"start {n}", file=protocol)
        try:
            if call["arrays"] and call["arrays"] not in arrays:
                arrays[call["arrays"]] = np.load(call["arrays"], allow_pickle=False)
            npz, prefix = arrays.get(call["arrays"]), call["prefix"]
            inputs = {k[len(prefix):]: npz[k] for k in npz.files if k.startswith(prefix)} if npz is not None else {}
            helpers = call["spec"].get("helpers")
            patch = (impl.recorded_helpers(call["spec"], inputs) if helpers == "provided" else
                     impl.timing_helpers() if helpers == "timing" else contextlib.nullcontext())
            with patch:
                outputs = probes.PROBES[call["probe"]](impl, call["spec"], inputs)
            status = {"ok": True, "message": ""}
        except BaseException as exc:  # noqa: B902
            outputs, status = {}, {"ok": False, "message": describe_exception(exc, os.path.join(package_dir, PACKAGE))}
            if any(name in import_errors for name in call["needs"]):
                status["kind"] = "import_error"  # a module it needs did not import: the hint is about that, as in the grader
        try:
            meta, payload = wire.encode(outputs)
        except BaseException as exc:  # noqa: B902  e.g. an object whose __array__ raises
            meta, payload = {}, b""
            status = {"ok": False, "message": f"returned a value that cannot be read back ({type(exc).__name__})"}
        with open(os.path.join(job["out"], f"{n}.npz"), "wb") as f:
            f.write(payload)
        with open(os.path.join(job["out"], f"{n}.json"), "w") as f:
            json.dump({"status": status, "meta": meta}, f)
        print(f"done {n}", file=protocol)
    protocol.close()
    os._exit(0)  # skip any atexit handler the student's code registered


if __name__ == "__main__":
    main(sys.argv[1])
