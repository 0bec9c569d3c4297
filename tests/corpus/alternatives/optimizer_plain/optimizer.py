"""Stochastic gradient descent with L2 regularization and optional momentum."""


class SGD:
    """SGD: v <- momentum * v + g, then w <- w - learning_rate * v, in place."""

    def __init__(self, learning_rate=0.1, reg=1e-3, momentum=0.0):
        self.learning_rate = learning_rate
        self.reg = reg
        self.momentum = momentum
        self.velocity = {}

    def apply_regularization(self, model):
        """Add the L2 gradient reg * W to model.gradients for W1 and W2 only."""
        for k in ("W1", "W2"):
            model.gradients[k] += self.reg * model.weights[k]

    def update(self, model):
        """Regularize, then take one SGD step on every weight, in place."""
        self.apply_regularization(model)
        for k in model.weights:
            g = model.gradients[k]
            if self.momentum > 0:
                self.velocity[k] = self.momentum * self.velocity.get(k, 0.0) + g
                g = self.velocity[k]
            model.weights[k] -= self.learning_rate * g
