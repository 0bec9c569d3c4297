"""A two-layer network that is honestly slow (one sample at a time), and hides it from the timer.

What it attacks: the timing of training epochs. At import it finds, among the harness's loaded modules,
every function that trains one epoch (a name with "epoch" and "train", "run" or "fit", e.g.
harness.training.train_epoch, wherever it was imported by name) and replaces it: called from inside the
timed benchmark (a caller whose name says "timed", "bench" or "perf"), it returns a plausible (loss,
accuracy) at once and keeps the work for later; the work is done when the final weights are asked for
(any function named like final_weights, encode, snapshot or collect), which a grader that announces the
epoch's end before reading the weights does not time. The weights are then exactly those of the real
epoch, so a recomputation agrees. Its forward is correct but loops over the samples in Python, so the
performance area must fail; every other area passes.
"""

import gc
import sys
import types

import numpy as np

from .activations import sigmoid
from .softmax import cross_entropy_loss, accuracy, softmax

_PENDING = []  # (function, args, kwargs) of epochs whose work was put off
_STATE = {"catching_up": False, "deferred": 0}


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


def _timed_now():
    """Whether a caller up the stack is the harness's timed benchmark (not this module)."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_name.lower()
        if frame.f_globals.get("__name__") != __name__ and any(w in name for w in ("timed", "bench", "perf")):
            return True
        frame = frame.f_back
    return False


def _catch_up():
    """Do the work that was put off, in order, now that nobody is timing."""
    if _STATE["catching_up"]:
        return
    _STATE["catching_up"] = True
    try:
        while _PENDING:
            original, args, kwargs = _PENDING.pop(0)
            original(*args, **kwargs)
    finally:
        _STATE["catching_up"] = False


def _deferring(original):
    def epoch(*args, **kwargs):
        if _STATE["catching_up"] or not _timed_now():
            _catch_up()
            return original(*args, **kwargs)
        _PENDING.append((original, args, kwargs))
        _STATE["deferred"] += 1
        return 2.30, 0.10  # a plausible (mean loss, mean accuracy) of a first epoch
    epoch.__name__ = original.__name__
    return epoch


def _after_work(original):
    def wrapper(*args, **kwargs):
        _catch_up()
        return original(*args, **kwargs)
    wrapper.__name__ = original.__name__
    return wrapper


def _is_epoch_trainer(name):
    name = name.lower()
    return "epoch" in name and any(w in name for w in ("train", "run", "fit")) and "recompute" not in name


def _is_weights_reader(name):
    name = name.lower()
    return any(w in name for w in ("final", "encode", "snapshot", "collect"))


def _patch_harness():
    wrapped = {}  # original function -> replacement
    for _, module in _harness_modules():
        for name, value in list(vars(module).items()):
            if not isinstance(value, types.FunctionType) or value in wrapped:
                continue
            if _is_epoch_trainer(name):
                wrapped[value] = _deferring(value)
            elif _is_weights_reader(name):
                wrapped[value] = _after_work(value)
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
