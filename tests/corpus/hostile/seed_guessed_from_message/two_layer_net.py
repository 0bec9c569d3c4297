"""A correct two-layer network, about 15x too slow, whose author knows the rubric's seed and tries to compute the challenge.

What it attacks: a guessable rubric seed. A deployment's seed used to have 31 bits: one visible message
quoting its inputs lets a student test every seed offline until the inputs match, and then a submission
knows the rubric's seed exactly (here: the corpus rubric's, 20261127). In the sandbox it hashes its own
module files as the grader does and computes the challenge seed by every formula the grader has
published (the old 63-bit one; today's 256-bit one, as if no machine key were mixed in), then confirms
each candidate against the data it received: the secret class permutation that the candidate draws
must map the official MNIST test split's class counts (980, 1135, ...; all distinct) onto the test
labels in the sandbox (a wrong candidate passes with probability 1/10!). With a confirmed challenge it
would know the timed epochs' shuffles (the old derivation) and precompute those epochs during the first
set-up. No candidate holds when the grader mixes its machine key into a weak seed's challenge (and the
shuffles are fresh from `secrets` anyway), so its epochs run live, slowly: the performance area must
fail; every other area passes.
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

_SLEEP_S = 0.012  # per train-mode forward: about 15x the reference's epoch
_GUESSED_SEED = 20261127  # the rubric's seed, as recovered offline from a message that quotes its inputs
_MODULES = ("activations", "optimizer", "perceptron", "softmax", "two_layer_net")
_TEST_CLASS_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)

_fast_forward = TwoLayerNet.forward


def _slow_forward(self, X, y, mode="train"):
    if mode == "train":
        _time.sleep(_SLEEP_S)
    return _fast_forward(self, X, y, mode)


TwoLayerNet.forward = _slow_forward


def _digest():
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


def _rng(seed, purpose):
    return np.random.default_rng([seed, int.from_bytes(_hashlib.sha256(purpose.encode()).digest()[:4], "big")])


def _candidates():
    digest = _digest()
    old = int.from_bytes(_hashlib.sha256(f"grader-challenge\0{_GUESSED_SEED}\0{digest}".encode()).digest()[:8], "big") >> 1
    new = int.from_bytes(_hashlib.sha256(f"grader-challenge\0{_GUESSED_SEED}\0\0{digest}".encode()).digest(), "big")
    return (old, new)


def _confirmed(data_dir):
    """The candidate challenge seed whose class permutation the sandbox's test labels show, or None."""
    counts = np.bincount(np.load(f"{data_dir}/y_test.npy", allow_pickle=False).astype(np.int64), minlength=10)
    for seed in _candidates():
        r = _rng(seed, "transform")
        r.permutation(784)
        labels = r.permutation(10)  # original class c is now labels[c]
        if all(counts[labels[c]] == n for c, n in enumerate(_TEST_CLASS_COUNTS)):
            return seed
    return None


def _timed_epochs_with_the_challenge(impl, spec, inputs, progress=None, wait_for_go=None, epoch_done=None):
    from harness.probes import fresh_model, final_weights, load_data
    from harness.train_config import TrainConfig
    from harness.training import train_epoch
    config = TrainConfig.from_dict(spec["config"])
    data = load_data(spec["data_dir"], spec.get("subset"), splits=("train",), batched=False)
    seed = _confirmed(spec["data_dir"])
    ready = {}
    if seed is not None:  # the challenge is known: every timed shuffle too, computed now, before any window
        for s in _rng(seed, "timing").integers(1, 2**31 - 1, spec["repeats"]):
            net, opt = fresh_model(impl, data, config)
            train_epoch(net, opt, data.X_train, data.y_train, _replace(config, seed=int(s)), 1)
            ready[int(s)] = final_weights(net)
    for repeat in range(spec["repeats"]):
        net, opt = fresh_model(impl, data, config)
        s = wait_for_go()
        if s not in ready:
            train_epoch(net, opt, data.X_train, data.y_train, _replace(config, seed=s), 1)
            ready[s] = final_weights(net)
        epoch_done({"repeat": repeat, "finite": True}, ready[s])
    return {}


try:
    import harness.probes as _probes
    _probes.PROBES["timed_epochs"] = _timed_epochs_with_the_challenge
except Exception:
    pass
