"""Element-wise activation functions and their derivatives."""

import numpy as np


def sigmoid(x):
    """Logistic function 1 / (1 + e^-x), element-wise.

    Finite and free of overflow warnings for abs(x) up to 1e4.
    x: array of any shape. Returns a float64 array of the same shape.
    """
    raise NotImplementedError('sigmoid: compute 1 / (1 + exp(-x)) without overflow warnings for abs(x) up to 1e4')


def sigmoid_grad(x):
    """Derivative of the sigmoid at the pre-activation x: s(x) * (1 - s(x))."""
    raise NotImplementedError('sigmoid_grad: return sigmoid(x) * (1 - sigmoid(x))')


def relu(x):
    """Rectified linear unit max(0, x), element-wise, as float64."""
    raise NotImplementedError('relu: return the element-wise max(0, x) as float64')


def relu_grad(x):
    """Derivative of ReLU: 1.0 where x > 0, else 0.0 (including at x == 0)."""
    raise NotImplementedError('relu_grad: return 1.0 where x > 0 and 0.0 elsewhere (also at x == 0)')
