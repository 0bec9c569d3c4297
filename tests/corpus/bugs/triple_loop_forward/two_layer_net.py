"""A two-layer network: 784 -> sigmoid hidden layer -> 10-way softmax."""

import numpy as np

from .activations import sigmoid
from .softmax import cross_entropy_loss, accuracy, softmax


def matmul(A, B):
    """A @ B with three Python loops: correct, and hundreds of times slower than NumPy's."""
    A, B = A.tolist(), B.tolist()
    out = [[0.0] * len(B[0]) for _ in A]
    for i, row in enumerate(A):
        acc = out[i]
        for k, a in enumerate(row):
            Bk = B[k]
            for j in range(len(Bk)):
                acc[j] += a * Bk[j]
    return np.array(out)


class TwoLayerNet:
    """Fully connected network with one sigmoid hidden layer and a softmax output.

    weights: {"W1": (D, H), "b1": (H,), "W2": (H, C), "b2": (C,)}
    gradients: arrays of the same shapes, filled by forward(..., mode="train").
    """

    def __init__(self, input_size=784, hidden_size=128, num_classes=10, seed=1024):
        rng = np.random.default_rng(seed)
        self.weights = {
            "W1": 0.001 * rng.standard_normal((input_size, hidden_size)),
            "b1": np.zeros(hidden_size),
            "W2": 0.001 * rng.standard_normal((hidden_size, num_classes)),
            "b2": np.zeros(num_classes),
        }
        self.gradients = {k: np.zeros_like(v) for k, v in self.weights.items()}

    def forward(self, X, y, mode="train"):
        """Forward pass, and in mode "train" the backward pass too.

        X: (N, D) float64; y: (N,) int labels.
        Returns (loss, accuracy): the mean cross-entropy (no L2 term) and the
        fraction of correct predictions. In mode "train", self.gradients[k] is
        set to d loss / d weights[k] for all four keys; otherwise the gradients
        are left untouched.
        """
        W1, b1, W2, b2 = (self.weights[k] for k in ("W1", "b1", "W2", "b2"))
        n = X.shape[0]
        hidden = sigmoid(matmul(X, W1) + b1)  # (N, H)
        probs = softmax(matmul(hidden, W2) + b2)  # (N, C)
        loss = cross_entropy_loss(probs, y)
        acc = accuracy(probs, y)
        if mode != "train":
            return loss, acc
        dscores = probs.copy()  # (N, C)
        dscores[np.arange(n), y] -= 1.0
        dscores /= n
        self.gradients["W2"] = hidden.T @ dscores
        self.gradients["b2"] = dscores.sum(axis=0)
        dhidden = (dscores @ W2.T) * hidden * (1.0 - hidden)  # (N, H)
        self.gradients["W1"] = X.T @ dhidden
        self.gradients["b1"] = dhidden.sum(axis=0)
        return loss, acc
