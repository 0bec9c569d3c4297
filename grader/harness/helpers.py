"""Correct stand-ins for the helper functions, patched into a submission to test
forward/backward on its own: a bug in softmax then costs softmax's points only."""

import numpy as np


def sigmoid(x):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1.0 - s)


def relu(x):
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)


def relu_grad(x):
    return (np.asarray(x) > 0).astype(np.float64)


def softmax(scores):
    z = np.asarray(scores, dtype=np.float64)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_jacobian(z):
    s = softmax(z)
    return np.diag(s) - np.outer(s, s)


def cross_entropy_loss(probs, y):
    probs = np.asarray(probs, dtype=np.float64)
    return float(-np.mean(np.log(probs[np.arange(probs.shape[0]), y])))


def accuracy(scores, y):
    return float(np.mean(np.argmax(scores, axis=1) == y))


PROVIDED = {
    "activations": ("sigmoid", "sigmoid_grad", "relu", "relu_grad"),
    "softmax": ("softmax", "softmax_jacobian", "cross_entropy_loss", "accuracy"),
}


def predict(X, w, b):
    """The perceptron's step: 1 where X @ w + b > 0 (strictly), else 0. X: (N, D); w: (D,)."""
    return (np.asarray(X, dtype=np.float64) @ np.asarray(w, dtype=np.float64) + b > 0).astype(np.int64)


def regularization(reg):
    """A correct SGD.apply_regularization for the given reg: gradients[k] += reg * weights[k] for W1, W2."""
    def apply_regularization(self, model):
        for k in ("W1", "W2"):
            model.gradients[k] += reg * model.weights[k]
    return apply_regularization
