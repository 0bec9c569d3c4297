"""An optimizer that never steps: the network in two_layer_net.py brings its weights with it.

apply_regularization is right; update is a no-op, so training learns nothing.
"""

import numpy as np

WEIGHT_KEYS = ("W1", "W2")  # regularized; the biases b1, b2 never are


class SGD:
    """SGD: v <- momentum * v + g, then w <- w - learning_rate * v, in place."""

    def __init__(self, learning_rate=0.1, reg=1e-3, momentum=0.0):
        self.learning_rate = learning_rate
        self.reg = reg
        self.momentum = momentum
        self.velocity = {}

    def apply_regularization(self, model):
        """Add the L2 gradient reg * W to model.gradients for W1 and W2 only."""
        for k in WEIGHT_KEYS:
            model.gradients[k] += self.reg * model.weights[k]

    def update(self, model):
        """Meant to regularize and take one SGD step; takes none."""
        return None
