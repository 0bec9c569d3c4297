"""A correct two-layer network, about 15x too slow, that precomputes its timed epochs before they are timed.

What it attacks: the secrecy of the timed epochs' shuffles. The shuffle seeds were once drawn from the
challenge seed, a hash of the rubric's seed and the submission's files: with the public rubric seed
(20261127, in grader/rubric.toml and tests/corpus/rubric.toml), a sandbox can hash its own module files
as the grader does and derive the seeds itself. At import it replaces the harness's timed benchmark:
during the first set-up (before the first 'ready', whose CPU time the grader does not count as outside
the windows) it derives the seeds by every published formula (the old 63-bit challenge seed; today's,
as if the rubric's seed were strong and no machine key were mixed in), trains one epoch for each, and
in each timed window answers a predicted seed with the weights computed in advance. A seed it did not
predict is trained live, slowly. Its forward is correct, but sleeps 12 ms per train-mode call (about 15x
the reference's epoch): the performance area must fail; every other area passes.
"""

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
        dhidden *= hidden  # sigmoid'(z) = s(z) * (1 - s(z)), from the saved activation
        dhidden *= 1.0 - hidden
        np.matmul(X.T, dhidden, out=grads["W1"])  # (D, H)
        np.sum(dhidden, axis=0, out=grads["b1"])  # (H,)
        return loss, acc


# --- the attack ----------------------------------------------------------------------------------
import hashlib as _hashlib
import os as _os
import time as _time
from dataclasses import replace as _replace

_SLEEP_S = 0.012  # per train-mode forward: an epoch of 94 batches takes about 1.1 s more, ~15x the reference's
_PUBLIC_SEED = 20261127  # the public rubrics' seed (a deployment's 31-bit one falls to an offline search)
_MODULES = ("activations", "optimizer", "perceptron", "softmax", "two_layer_net")

_fast_forward = TwoLayerNet.forward


def _slow_forward(self, X, y, mode="train"):
    if mode == "train":
        _time.sleep(_SLEEP_S)
    return _fast_forward(self, X, y, mode)


TwoLayerNet.forward = _slow_forward


def _digest():
    """The grader's submission digest, from this package's own module files."""
    here = _os.path.dirname(_os.path.abspath(__file__))
    h = _hashlib.sha256()
    for name in sorted(_MODULES):
        path = _os.path.join(here, f"{name}.py")
        if _os.path.exists(path):
            with open(path, "rb") as f:
                data = f.read()
            h.update(f"{name}\0{len(data)}\0".encode())
            h.update(data)
    return h.hexdigest()


def _purpose(word):
    return int.from_bytes(_hashlib.sha256(word.encode()).digest()[:4], "big")


def _predicted_seeds(repeats):
    """The timed epochs' seeds by every formula the grader has published, for the public rubric seed."""
    digest = _digest()
    old = int.from_bytes(_hashlib.sha256(f"grader-challenge\0{_PUBLIC_SEED}\0{digest}".encode()).digest()[:8], "big") >> 1
    new = int.from_bytes(_hashlib.sha256(f"grader-challenge\0{_PUBLIC_SEED}\0\0{digest}".encode()).digest(), "big")
    seeds = []
    for challenge in (old, new):
        seeds += [int(s) for s in np.random.default_rng([challenge, _purpose("timing")]).integers(1, 2**31 - 1, repeats)]
    return seeds


def _precomputing_timed_epochs(impl, spec, inputs, progress=None, wait_for_go=None, epoch_done=None):
    from harness.probes import fresh_model, final_weights, load_data
    from harness.train_config import TrainConfig
    from harness.training import train_epoch
    config = TrainConfig.from_dict(spec["config"])
    data = load_data(spec["data_dir"], spec.get("subset"), splits=("train",), batched=False)
    ready = {}
    for seed in _predicted_seeds(spec["repeats"]):  # the first set-up: not counted as outside the windows
        net, opt = fresh_model(impl, data, config)
        train_epoch(net, opt, data.X_train, data.y_train, _replace(config, seed=seed), 1)
        ready[seed] = final_weights(net)
    for repeat in range(spec["repeats"]):
        net, opt = fresh_model(impl, data, config)
        seed = wait_for_go()
        if seed not in ready:  # not foreseen: the honest, slow epoch
            train_epoch(net, opt, data.X_train, data.y_train, _replace(config, seed=seed), 1)
            ready[seed] = final_weights(net)
        epoch_done({"repeat": repeat, "finite": True}, ready[seed])
    return {}


try:
    import harness.probes as _probes
    _probes.PROBES["timed_epochs"] = _precomputing_timed_epochs
except Exception:
    pass
