"""Stand-ins for helper modules that are missing or fail to import.

A submission's activations.py or softmax.py that is missing, or that raises when imported
(a syntax error, a NameError at the top level, a hang), is replaced in the student's sandbox
by the harness's correct stand-in, so forward and training can still be checked; the
module's own checks fail with the reason. Whether a helper imports is asked in a sandbox
of its own that holds only the helpers: student code never runs in the grader's process.
"""

from .contract import HELPER_MODULES
from .sandbox import Call, CallResult, Sandbox


def import_calls(modules, timeout):
    """One Call per helper module the submission has: import it, and nothing else."""
    return [Call(i, "imports", {"modules": [m]}, {}, timeout, (m,)) for i, m in enumerate(m for m in HELPER_MODULES if m in modules)]


def broken_modules(calls, results):
    """{module: why it failed to import} from the import calls' results."""
    out = {}
    for c, r in zip(calls, results):
        if not r.ok:
            m = c.spec["modules"][0]
            out[m] = (r.message or r.status).replace(f"raised ImportError: assignment.{m} failed to import: ", "", 1)
    return out


def find_broken(modules, limits, isolation_mode, guarded=()):
    """{helper module: reason} of the submission's helper modules that fail to import, each in a fresh process.
    guarded: paths its process must not be able to open (Sandbox checks them before running anything)."""
    calls = import_calls(modules, limits.import_timeout)
    if not calls:
        return {}
    helpers = {m: path for m, path in modules.items() if m in HELPER_MODULES}
    with Sandbox(helpers, limits, isolation_mode=isolation_mode, guarded=guarded, relaxed=not guarded) as box:
        return broken_modules(calls, box.run(calls, []))


def broken_result(module, reason):
    """What every check of a module that fails to import gets: the module's failure, not the check's."""
    return CallResult("import_error", f"{module}.py failed to import, so its checks could not run: {reason}", {}, {}, 0.0)
