"""Helpers that answer from a table of recorded calls: the kit's stand-in for correct helpers.

The course grader checks forward twice, as submitted and with correct sigmoid and softmax helpers,
so that a bug in a helper costs only the helper's points. The kit cannot ship correct helpers
(they are part of the solution), so it ships what they returned on the very calls a correct
forward makes on the kit's inputs. Any other call goes to the student's own function.
"""

import numpy as np

HELPERS = {  # module -> the functions forward may use
    "activations": ("sigmoid", "sigmoid_grad", "relu", "relu_grad"),
    "softmax": ("softmax", "softmax_jacobian", "cross_entropy_loss", "accuracy"),
}
RTOL, ATOL = 1e-8, 1e-12  # how close an argument must be to a recorded one


def same_argument(recorded, given):
    """Whether a call's argument is the recorded one: same shape, values within RTOL/ATOL."""
    try:
        given = np.asarray(given)
    except Exception:
        return False
    if given.shape != recorded.shape or given.dtype.kind not in "biuf":
        return False
    if recorded.dtype.kind in "biu":
        return bool(np.array_equal(given, recorded))
    return bool(np.allclose(given, recorded, rtol=RTOL, atol=ATOL))


def answer(entries, name, args):
    """The recorded output of name(*args), copied (a caller may write into it), or None."""
    for fn, recorded, out in entries:
        if fn == name and len(recorded) == len(args) and all(same_argument(r, a) for r, a in zip(recorded, args)):
            return out.copy() if out.ndim else out.item()
    return None


def table_helpers(entries, own):
    """{name: function}: each answers from entries [(name, [arrays], output)], else calls own[name].

    own: the student's functions by name (None when missing).
    """
    def make(name):
        def helper(*args):
            found = answer(entries, name, args)
            if found is not None:
                return found
            if own.get(name) is None:
                raise NotImplementedError(f"{name} is missing from your module")
            return own[name](*args)
        helper.__name__ = name
        return helper
    return {name: make(name) for name in own}
