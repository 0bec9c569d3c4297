"""The timed epoch's stand-ins and data, shared by the kit's check and the kit's build (NumPy only).

The grader times an epoch with correct sigmoid and softmax helpers patched in, so a helper's bug
cannot stop the timing. The kit cannot ship correct helpers (they are part of the solution); it
patches in cheap helpers of the right shapes instead, whose values are deliberately not the
assignment's. The epoch is then verified against the reference's epoch with the same stand-ins,
on the same synthetic images, as the grader verifies its timed epochs.
"""

import numpy as np

from .lookup import HELPERS


def _hard_sigmoid(x):
    return np.clip(0.25 * np.asarray(x, dtype=np.float64) + 0.5, 0.0, 1.0)


def _squashed_rows(z):
    """Positive rows that sum to 1 and move with every score (not the softmax)."""
    weights = 1.0 + 0.5 * np.tanh(np.asarray(z, dtype=np.float64))
    return weights / np.sum(weights, axis=-1, keepdims=True)


TIMING_STAND_INS = {  # the right shapes at about the right cost; not the right values. Each output moves with
    # every input, so a forward that drops a term still changes the epoch, and sigmoid_grad(z) equals
    # s(z) (1 - s(z)) for the stand-in s, so both ways of writing the backward agree.
    "sigmoid": _hard_sigmoid,
    "sigmoid_grad": lambda x: _hard_sigmoid(x) * (1.0 - _hard_sigmoid(x)),
    "relu": lambda x: np.abs(np.asarray(x, dtype=np.float64)),
    "relu_grad": lambda x: np.ones(np.shape(x)),
    "softmax": _squashed_rows,
    "softmax_jacobian": lambda z: np.zeros((np.size(z), np.size(z))),
    "cross_entropy_loss": lambda probs, y: float(np.log(np.shape(probs)[-1])),
    "accuracy": lambda scores, y: 0.0,
}


def module_source(module, package):
    """The text of a stand-in module for a helper module that is missing or fails to import (preflight.py):
    the functions of HELPERS[module] bound to TIMING_STAND_INS, imported from the kit's package `package`."""
    names = HELPERS[module]
    return (f'"""Stand-in for {module}.py, which is missing or fails to import: the kit\'s cheap helpers '
            'of the right shapes, not the assignment\'s values."""\n\n'
            f"from {package}.standins import TIMING_STAND_INS as _STAND_INS\n\n"
            + "".join(f"{n} = _STAND_INS[{n!r}]\n" for n in names))


SAMPLED = 64  # entries of each weight compared with the reference's after a timed epoch
WEIGHT_RTOL, WEIGHT_ATOL = 1e-6, 1e-9  # as the grader compares timed epochs


def timing_data(seed, n, input_size=784, num_classes=10):
    """Synthetic images and labels for the timed epochs: X (n, D) uint8, y (n,) int64 (timing ignores the values)."""
    rng = np.random.default_rng([seed, 11])
    return rng.integers(0, 256, (n, input_size), dtype=np.uint8), rng.integers(0, num_classes, n).astype(np.int64)


def sampled_entries(seed, shapes):
    """{key: flat indices} of the entries compared after a timed epoch; shapes: {key: shape}."""
    rng = np.random.default_rng([seed, 13])
    return {k: np.sort(rng.choice(int(np.prod(s)), min(SAMPLED, int(np.prod(s))), replace=False)) for k, s in shapes.items()}


def first_difference(got, expected):
    """None when the sampled weights agree; else the first key that differs and by how much."""
    for k, want in expected.items():
        x = got.get(k)
        if x is None or x.shape != want.shape:
            return f"{k} is missing or has the wrong shape"
        if not np.all(np.isfinite(x)) or not np.allclose(x, want, rtol=WEIGHT_RTOL, atol=WEIGHT_ATOL):
            with np.errstate(all="ignore"):
                return f"{k} differs by up to {np.nanmax(np.abs(x - want)):.3g}"
    return None
