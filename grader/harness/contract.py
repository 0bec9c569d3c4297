"""The assignment's contract: the facts that the grader, its checks, the experiments and the
student-side harness share, in one place (the module list, the weight keys, the truth
tables, the shapes the assignment really uses, the gradient buffers' starting state and the XOR proof).

It lives in harness/ because the harness is copied into every sandbox and must be
self-contained; the rest of the grader reads it as grader.contract.
"""

import numpy as np

MODULES = ("activations", "softmax", "perceptron", "two_layer_net", "optimizer")  # the files a submission holds
HELPER_MODULES = ("activations", "softmax")  # replaced by correct stand-ins when missing or broken
HELPER_USERS = ("two_layer_net", "optimizer")  # the modules that import the helpers (through the stand-ins if need be)
KEYS = ("W1", "b1", "W2", "b2")  # TwoLayerNet.weights and .gradients
REGULARIZED = ("W1", "W2")  # L2 applies to the weights, never to the biases
INPUT_SIZE, NUM_CLASSES = 784, 10  # MNIST: 28 x 28 pixels, ten digits

TRUTH_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])  # (4, 2) the truth-table inputs
GATES = {"AND": np.array([0, 0, 0, 1]), "OR": np.array([0, 1, 1, 1]), "XOR": np.array([0, 1, 1, 0])}  # (4,) each



def set_entry(arrays, key, value):
    """arrays[key] = value as the submission sees it: written into the array already there when it can take it
    (same shape, float64, writable), so code holding that array (self.W1 = self.weights["W1"]) sees the value."""
    old = arrays.get(key)
    if isinstance(old, np.ndarray) and old.shape == np.shape(value) and old.dtype == np.float64 and old.flags.writeable:
        old[...] = value
    else:
        arrays[key] = value


def set_arrays(obj, name, values):
    """Give obj.<name> (the net's weights or gradients) the values {key: array}, keeping the dict and the arrays the
    submission made when they can take them (set_entry): a forward that reads an alias (self.params = self.weights)
    then computes with the grader's values. A missing or non-dict attribute becomes a new dict."""
    current = getattr(obj, name, None)
    if not isinstance(current, dict):
        setattr(obj, name, dict(values))
        return
    for key, value in values.items():
        set_entry(current, key, value)


def grad_fill(spec, key, shape):
    """What the gradient buffer `key` holds before a forward the grader (or the kit) calls: spec["grad_fill"]
    is a number (every entry), or "random": garbage from spec["grad_seed"], so that a forward which adds
    to the buffers (`+=`) instead of setting them cannot hide. The judges recompute it to explain a failure."""
    fill = spec.get("grad_fill", 0.0)
    if fill != "random":
        return np.full(shape, float(fill))
    rng = np.random.default_rng([int(spec.get("grad_seed", 0)), KEYS.index(key)])
    return rng.normal(0.0, 1.0, shape)


XOR_PROOF = (
    "Suppose a line w·x + b = 0 separated XOR, with w·x + b > 0 on the inputs whose XOR is 1. "
    "Then (0,1) and (1,0) give w2 + b > 0 and w1 + b > 0, whose sum is w1 + w2 + 2b > 0; "
    "(0,0) and (1,1) give b ≤ 0 and w1 + w2 + b ≤ 0, whose sum is w1 + w2 + 2b ≤ 0. "
    "Both cannot hold, so no such line exists. Putting the 1s on the other side flips every inequality "
    "(w1 + w2 + 2b ≤ 0 from the 1s, > 0 from the 0s), the same contradiction. "
    "XOR is therefore not linearly separable, and no single perceptron computes it."
)
