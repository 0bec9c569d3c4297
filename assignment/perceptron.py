"""Perceptrons for AND and OR, Rosenblatt's learning rule, and a two-layer XOR net."""

import numpy as np


def predict(X, w, b):
    """Step-activated perceptron.

    X: (N, D); w: (D,); b: float. Returns (N,) int: 1 where X.w + b > 0, else 0.
    """
    raise NotImplementedError('predict: return 1 where X @ w + b > 0, else 0, as an int array')


def and_gate():
    """Return (w, b), w of shape (2,), such that predict gives AND on the truth table."""
    raise NotImplementedError('and_gate: choose w (2,) and b so that only (1, 1) is above the line')


def or_gate():
    """Return (w, b), w of shape (2,), such that predict gives OR on the truth table."""
    raise NotImplementedError('or_gate: choose w (2,) and b so that only (0, 0) is below the line')


def train_perceptron(X, y, lr=1.0, max_epochs=100):
    """Rosenblatt's rule from w = 0, b = 0, visiting samples in order.

    On a mistake: w += lr * (y - y_hat) * x and b += lr * (y - y_hat).
    X: (N, D); y: (N,) in {0, 1}. Returns (w, b, converged), where converged is
    True as soon as one full epoch makes no mistake.
    """
    raise NotImplementedError('train_perceptron: loop over epochs and samples; on a mistake add lr * (y - y_hat) to w (times x) and b')


def xor_network():
    """Weights of a two-layer step network that computes XOR.

    Returns {"W1": (2, H), "b1": (H,), "W2": (H,), "b2": float} such that
    step(step(X @ W1 + b1) @ W2 + b2) is XOR of the two inputs.
    """
    raise NotImplementedError('xor_network: combine two hidden step units (for example OR and AND) into XOR')
