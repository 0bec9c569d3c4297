"""Softmax, its Jacobian, the cross-entropy loss and accuracy."""

import numpy as np


def softmax(scores):
    """Row-wise softmax.

    scores: (N, C) or (C,). Returns float64 of the same shape; each row sums to 1.
    Finite for abs(scores) up to 1e4.
    """
    z = np.asarray(scores, dtype=np.float64)
    probs = np.empty_like(z)
    for n in range(z.shape[0]):  # one row per sample: on a 1-D z, z[n] is a single score, and its "softmax" is 1
        e = np.exp(z[n] - np.max(z[n]))
        probs[n] = e / np.sum(e)
    return probs


def softmax_jacobian(z):
    """Jacobian of the softmax at z.

    z: (C,). Returns (C, C) with J[i, j] = dS_i/dz_j = S_i * (delta_ij - S_j).
    """
    s = softmax(z)  # (C,)
    return np.diag(s) - np.outer(s, s)


def cross_entropy_loss(probs, y):
    """Mean negative log-likelihood of the true classes.

    probs: (N, C) probabilities; y: (N,) int labels. Returns a Python float.
    """
    probs = np.asarray(probs, dtype=np.float64)
    picked = probs[np.arange(probs.shape[0]), y]  # (N,)
    return float(-np.mean(np.log(picked)))


def accuracy(scores, y):
    """Fraction of rows whose argmax equals the label, as a float in [0, 1].

    scores: (N, C) scores or probabilities; y: (N,) int labels.
    """
    return float(np.mean(np.argmax(scores, axis=1) == y))
