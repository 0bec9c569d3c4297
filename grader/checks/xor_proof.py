"""Why no single perceptron computes XOR: a proof the grader states in its feedback, and checks."""

import itertools

import numpy as np

from ..contract import TRUTH_X, XOR_PROOF  # noqa: F401  re-exported


def separable(labels, grid=np.linspace(-2, 2, 17)):  # noqa: B008  a read-only grid, built once
    """Exhaustive search of (w1, w2, b) on a grid: does some line put exactly the 1-labels above it?

    A brute-force companion to the proof: it finds separators for AND and OR and none for XOR.
    """
    X = TRUTH_X
    labels = np.asarray(labels)
    for w1, w2, b in itertools.product(grid, grid, grid):
        if np.array_equal((X @ np.array([w1, w2]) + b > 0).astype(int), labels):
            return True
    return False
