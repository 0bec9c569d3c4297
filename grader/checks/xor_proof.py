"""Why no single perceptron computes XOR: a proof the grader states in its feedback, and checks."""

import itertools

import numpy as np

XOR_PROOF = (
    "Proof that XOR has no linear separator: suppose w1 x1 + w2 x2 + b > 0 exactly on (0,1) and (1,0). "
    "Then w2 + b > 0 and w1 + b > 0, so w1 + w2 + 2b > 0. But (0,0) and (1,1) must be negative: "
    "b <= 0 and w1 + w2 + b <= 0, so w1 + w2 + 2b <= 0. Contradiction."
)


def separable(labels, grid=np.linspace(-2, 2, 17)):
    """Exhaustive search of (w1, w2, b) on a grid: does some line put exactly the 1-labels above it?

    A brute-force companion to the proof: it finds separators for AND and OR and none for XOR.
    """
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    labels = np.asarray(labels)
    for w1, w2, b in itertools.product(grid, grid, grid):
        if np.array_equal((X @ np.array([w1, w2]) + b > 0).astype(int), labels):
            return True
    return False
