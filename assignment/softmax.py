"""Softmax, its Jacobian, the cross-entropy loss and accuracy."""

import numpy as np


def softmax(scores):
    """Row-wise softmax.

    scores: (N, C) or (C,). Returns float64 of the same shape; each row sums to 1.
    Finite for abs(scores) up to 1e4.
    """
    raise NotImplementedError("softmax: subtract each row's max before exp, then divide by the row sum")


def softmax_jacobian(z):
    """Jacobian of the softmax at z.

    z: (C,). Returns (C, C) with J[i, j] = dS_i/dz_j = S_i * (delta_ij - S_j).
    """
    raise NotImplementedError('softmax_jacobian: build J[i, j] = S_i * (delta_ij - S_j) from s = softmax(z)')


def cross_entropy_loss(probs, y):
    """Mean negative log-likelihood of the true classes.

    probs: (N, C) probabilities; y: (N,) int labels. Returns a Python float.
    """
    raise NotImplementedError('cross_entropy_loss: return the mean of -log(probs[n, y[n]]) as a float')


def accuracy(scores, y):
    """Fraction of rows whose argmax equals the label, as a float in [0, 1].

    scores: (N, C) scores or probabilities; y: (N,) int labels.
    """
    raise NotImplementedError('accuracy: return the fraction of rows whose argmax equals y, as a float in [0, 1]')
