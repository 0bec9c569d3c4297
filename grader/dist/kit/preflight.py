"""Helper modules that are missing or fail to import, as the course grader finds them.

The grader replaces a submission's activations.py or softmax.py that is missing, or that raises when
imported (a SyntaxError, an ImportError, any exception or exit at the top level, a hang), with a
stand-in module, so the network that imports it can still be checked; the module's own checks fail
with the reason. The grader's stand-ins are correct helpers. The kit's are the cheap ones of
standins.py (the right shapes, not the assignment's values): the network checks' variant "with
correct helpers" then answers from the reference's recorded helper calls (lookup.py), as it does
for any submission, and the timed epoch is verified against the reference's epoch with the same
stand-ins. Whether a helper imports is asked in a subprocess that holds only the helpers.
"""

from .contract import HELPER_MODULES, HELPER_USERS
from .results import CallResult
from .runner import IMPORT_TIMEOUT, Call, run_calls


def import_calls(modules):
    """One Call per helper module present in modules {name: Path}: import it, and nothing else."""
    return [Call("imports", {"modules": [m]}, "", "", (m,), IMPORT_TIMEOUT) for m in HELPER_MODULES if m in modules]


def broken_modules(calls, results):
    """{module: why it failed to import} from the import calls' CallResults."""
    out = {}
    for c, r in zip(calls, results):
        if not r.ok:
            m = c.needs[0]
            out[m] = (r.message or r.status).replace(f"raised ImportError: {m}.py failed to import: ", "", 1)
    return out


def find_broken(modules, threads=1):
    """{helper module: reason} of the helper modules in modules {name: Path} that fail to import."""
    calls = import_calls(modules)
    if not calls:
        return {}
    helpers = {m: path for m, path in modules.items() if m in HELPER_MODULES}
    return broken_modules(calls, run_calls(helpers, calls, threads))


def uses_helpers(needs):
    """Whether a check needing these modules imports the helpers through them (the network, the optimizer)."""
    return any(m in HELPER_USERS for m in needs)


def stood_in(missing, broken):
    """The helper modules replaced by stand-ins: missing ones and those that fail to import, in contract order."""
    return tuple(m for m in HELPER_MODULES if m in missing or m in broken)


def broken_result(module, reason):
    """What every call of a check that needs a module failing to import gets: the module's failure."""
    return CallResult("missing", f"{module}.py failed to import, so its checks could not run: {reason}", {}, {})


def missing_result(module):
    """What every call of a check that needs a missing module gets."""
    return CallResult("missing", f"missing file: {module}.py was not found", {}, {})
