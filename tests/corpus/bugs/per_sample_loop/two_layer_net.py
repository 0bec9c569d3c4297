"""A two-layer network: 784 -> sigmoid hidden layer -> 10-way softmax."""

import numpy as np

from .activations import sigmoid
from .softmax import cross_entropy_loss, accuracy, softmax


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
        grads = {k: np.zeros_like(v) for k, v in self.weights.items()}
        total_loss, correct = 0.0, 0
        for i in range(n):  # one sample at a time
            h = sigmoid(X[i] @ W1 + b1)  # (H,)
            p = softmax(h @ W2 + b2)  # (C,)
            total_loss -= np.log(p[y[i]])
            correct += int(np.argmax(p) == y[i])
            if mode == "train":
                d = p.copy()  # (C,) d loss_i / d scores_i
                d[y[i]] -= 1.0
                grads["W2"] += np.outer(h, d)
                grads["b2"] += d
                dh = (W2 @ d) * h * (1.0 - h)  # (H,)
                grads["W1"] += np.outer(X[i], dh)
                grads["b1"] += dh
        if mode == "train":
            for k, g in grads.items():
                self.gradients[k] = g / n
        return float(total_loss / n), correct / n
