"""Fail fast on what is already known: functions of the submission that did not return in time.

The grader knows which of the submission's functions each probe calls (functions_of).
When a call times out, its functions, less those that already returned in earlier
calls, are recorded with the reason; a later call that needs all of a recorded set
fails at once with that reason instead of waiting out its own timeout again. With the
student's own helpers, forward may call any helper, so those calls also need the
helpers: a stuck softmax then fails forward-as-submitted at once, while forward with
the provided helpers still runs.
"""

from .harness.helpers import PROVIDED

FORWARD = "two_layer_net.TwoLayerNet.forward"
UPDATE = "optimizer.SGD.update"
HELPERS = tuple(f"{m}.{f}" for m, names in PROVIDED.items() for f in names)
PROBE_FUNCTIONS = {  # probe -> the contract functions it calls (besides the helpers); "call" names its own
    "net_forward": (FORWARD,),
    "net_losses": (FORWARD,),
    "sgd_regularize": ("optimizer.SGD.apply_regularization",),
    "sgd_steps": (UPDATE,),
    "trajectory": (FORWARD, UPDATE),
    "forward_along": (FORWARD,),  # blame by substitution (grader.blame)
    "update_along": (UPDATE,),
    "regularize_along": ("optimizer.SGD.apply_regularization",),
    "part_times": (FORWARD, UPDATE),
    "train": (FORWARD, UPDATE),
    "train_weights": (FORWARD, UPDATE),  # the reference's run that verifies a training run (pipeline)
    "timed_epochs": (FORWARD, UPDATE),
}


def functions_of(probe, spec):
    """The submission's functions a probe calls, e.g. ("optimizer.SGD.update",)."""
    if probe == "call":
        return (f"{spec.get('module')}.{spec.get('function')}",)
    functions = PROBE_FUNCTIONS.get(probe, ())
    if FORWARD in functions and spec.get("helpers") != "provided":
        functions += HELPERS
    return functions


def display(functions):
    """'TwoLayerNet.forward or SGD.update': the names students wrote, without the module."""
    return " or ".join(f.split(".", 1)[1] if "." in f else f for f in sorted(functions))


class Stuck:
    """What this grade has learnt about the submission's functions: which returned, which got stuck."""

    def __init__(self):
        self.returned = set()  # functions that returned (with a value or an exception) at least once
        self.known = {}  # frozenset of functions -> why a call needing all of them fails at once

    def returned_from(self, functions):
        self.returned.update(functions)

    def record(self, functions, seconds, where):
        """A call needing `functions` did not return within `seconds`, in a check of group `where`.
        Returns the message for that call."""
        suspects = frozenset(functions) - self.returned or frozenset(functions)
        if not suspects:
            return f"did not return within {seconds:g} s (an infinite loop, or far too slow?)"
        place = f" ({where})" if where else ""
        self.known.setdefault(suspects, f"{display(suspects)} did not return within {seconds:g} s in an earlier check"
                                        f"{place}, so this check did not wait for it again")
        return f"{display(suspects)} did not return within {seconds:g} s (an infinite loop, or far too slow?)"

    def reason(self, functions):
        """Why a call needing `functions` fails at once, or None."""
        need = set(functions)
        return next((why for suspects, why in self.known.items() if suspects <= need), None)
