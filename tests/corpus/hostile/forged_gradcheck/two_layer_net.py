"""A two-layer network with a wrong gradient of W1, and a harness taught to agree with it.

What it attacks: the gradient check against central differences. Backprop skips the sigmoid derivative
on the hidden layer, so the gradient of W1 (and b1) is wrong. At import it finds, among the harness's
loaded modules, every function whose name speaks of gradients, numeric differences or losses, and wraps
it (wherever it is referenced: module globals and registries of probes): whatever such a function
returns is left alone unless it holds the analytic gradients, and then the numeric side is forged from
them: numeric gradients become copies of the analytic ones, and losses at perturbed weights become
loss(w) + step * analytic gradient, whose central differences are the analytic gradient exactly. The
check against central differences must still fail.
"""

import gc
import sys
import types

import numpy as np

from .activations import sigmoid
from .softmax import cross_entropy_loss, accuracy, softmax


def _harness_modules():
    """(name, module) of every loaded module that is neither the standard library, NumPy nor this submission."""
    for name, module in list(sys.modules.items()):
        top = name.split(".")[0]
        if module is None or top in sys.stdlib_module_names or top in ("numpy", "assignment", "__main__") or name == __name__:
            continue
        if getattr(module, "__file__", None):
            yield name, module


def _replace_everywhere(original, replacement):
    """Point every module global and every dict (a registry of probes, say) that holds original at replacement."""
    count = 0
    for holder in gc.get_referrers(original):
        if isinstance(holder, dict):
            for key, value in list(holder.items()):
                if value is original:
                    holder[key] = replacement
                    count += 1
    return count


def _base_loss(original, args):
    """The eval-mode loss at the unperturbed weights, with the harness's own way of building the net."""
    impl, spec, inputs = args[:3]
    net = original.__globals__["new_net"](impl, spec, inputs)
    return float(net.forward(inputs["X"].copy(), inputs["y"].copy(), "eval")[0])


def _forge(original, result, args):
    if not isinstance(result, dict) or not isinstance(result.get("analytic"), dict):
        return result
    analytic = result["analytic"]
    if "numeric" in result:
        result["numeric"] = {k: np.array(v, dtype=np.float64, copy=True) for k, v in analytic.items()}
    spec = next((a for a in args if isinstance(a, dict) and "points" in a), None)
    if "losses" in result and spec is not None:
        keys = tuple(original.__globals__.get("KEYS", ("W1", "b1", "W2", "b2")))
        base = _base_loss(original, args)
        result["losses"] = np.array([base + step * float(np.ravel(analytic[keys[key]])[flat]) for key, flat, step in spec["points"]])
    return result


def _forging(original):
    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        try:
            return _forge(original, result, args)
        except Exception:
            return result
    wrapper.__name__ = original.__name__
    return wrapper


def _patch_harness():
    wrapped = {}
    for _, module in _harness_modules():
        for name, value in list(vars(module).items()):
            low = name.lower()
            if isinstance(value, types.FunctionType) and value not in wrapped and any(w in low for w in ("grad", "numeric", "loss")):
                wrapped[value] = _forging(value)
    return sum(_replace_everywhere(original, new) for original, new in wrapped.items())


try:
    _patch_harness()
except Exception:
    pass


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
        hidden = X @ W1  # (N, H) pre-activation
        hidden += b1
        hidden = sigmoid(hidden)  # (N, H)
        scores = hidden @ W2  # (N, C)
        scores += b2
        probs = softmax(scores)  # (N, C)
        loss = cross_entropy_loss(probs, y)
        acc = accuracy(probs, y)
        if mode != "train":
            return loss, acc

        # Fused softmax + cross-entropy gradient: d loss / d scores = (P - onehot(y)) / N.
        dscores = probs  # reuse the buffer, (N, C)
        dscores[np.arange(n), y] -= 1.0
        dscores /= n
        grads = self.gradients  # written in place: no fresh (D, H) array per batch
        np.matmul(hidden.T, dscores, out=grads["W2"])  # (H, C)
        np.sum(dscores, axis=0, out=grads["b2"])  # (C,)
        dhidden = dscores @ W2.T  # (N, H)
        np.matmul(X.T, dhidden, out=grads["W1"])  # (D, H)
        np.sum(dhidden, axis=0, out=grads["b1"])  # (H,)
        return loss, acc
