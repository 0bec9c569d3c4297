"""The provided training loop, shared by grading and the experiments.

It drives any object with the assignment's interface: a model with `weights`,
`gradients` and `forward(X, y, mode)`, and an optimizer with `update(model)`.
"""

from dataclasses import dataclass

import numpy as np

from .contract import set_entry
from .train_config import TrainConfig


class UnitScaled:
    """(N, D) uint8 images read as float64 in [0, 1] a batch at a time: images[idx] is raw[idx] / 255.0, the very
    values of scaling the whole array first, without holding N x D float64 (300 MB for MNIST's training split,
    whose first touch alone can take a second on a virtual machine)."""

    def __init__(self, raw):
        self.raw = raw  # (N, D) uint8
        self.shape = raw.shape

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, idx):
        return np.divide(self.raw[idx], 255.0, dtype=np.float64)  # (B, D)


@dataclass(frozen=True)
class EpochRecord:
    epoch: int  # 1-based
    train_loss: float  # mean over the epoch's batches
    train_accuracy: float  # mean over the epoch's batches
    val_loss: float
    val_accuracy: float

    def to_dict(self):
        return dict(self.__dict__)


@dataclass(frozen=True)
class TrainResult:
    history: tuple  # of EpochRecord, one per epoch
    best_epoch: int  # 1-based epoch with the highest validation accuracy (first on ties)
    train_accuracy: float  # mean over the batches of the last epoch
    val_accuracy: float  # of the best epoch
    test_accuracy: float  # of the best-validation weights
    test_loss: float
    best_weights: dict  # copies of the weights at the best epoch


def epoch_batches(n, batch_size, seed, epoch):
    """Index arrays of one epoch's batches: a permutation of range(n) cut into
    consecutive chunks of batch_size, keeping the last partial one."""
    order = np.random.default_rng([seed, epoch]).permutation(n)  # (n,)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def at_powers_of_two(report):
    """A batch callback that passes on batches 1, 2, 4, 8, ... only: the grader measures the
    first batches of a run at a cost that does not grow with its length."""
    return lambda n: report(n) if n & (n - 1) == 0 else None


def number(value):
    """float(value) for a number as forward may return it: a Python or NumPy scalar, a 0-d array, or an array
    holding exactly one number (NumPy 2 refuses float() of a (1,) array; NumPy 1 only warned). Anything else
    raises TypeError, as float() would."""
    array = np.asarray(value)
    if array.size != 1:
        raise TypeError(f"expected a number, got an array of shape {array.shape}")
    return float(array.reshape(()))


def train_epoch(model, optimizer, X, y, config, epoch, on_batch=None, first=1):
    """One pass of SGD over (X, y). Returns (mean loss, mean accuracy) over batches.

    on_batch: optional callback(n) after each batch, n counted from `first`."""
    losses, accuracies = [], []
    for n, idx in enumerate(epoch_batches(X.shape[0], config.batch_size, config.seed, epoch), first):
        loss, acc = model.forward(X[idx], y[idx], "train")
        optimizer.update(model)
        losses.append(number(loss))
        accuracies.append(number(acc))
        if on_batch is not None:
            on_batch(n)
    return float(np.mean(losses)), float(np.mean(accuracies))


def train(model, optimizer, data, config=TrainConfig(), on_epoch=None, on_batch=None):
    """Train for config.epochs epochs, keep the best-validation weights, test them.

    data: anything with X_train, y_train, X_val, y_val, X_test, y_test.
    on_epoch: optional callback(EpochRecord, config) for progress display.
    on_batch: optional callback(n) after the n-th batch of the whole run (1-based).
    """
    history = []
    best_acc, best_epoch, best_weights = -1.0, 0, None
    per_epoch = -(-data.X_train.shape[0] // config.batch_size)
    for epoch in range(1, config.epochs + 1):
        train_loss, train_acc = train_epoch(model, optimizer, data.X_train, data.y_train, config, epoch, on_batch,
                                            first=(epoch - 1) * per_epoch + 1)
        val_loss, val_acc = model.forward(data.X_val, data.y_val, "eval")
        record = EpochRecord(epoch, train_loss, train_acc, number(val_loss), number(val_acc))
        history.append(record)
        if on_epoch is not None:
            on_epoch(record, config)
        if record.val_accuracy > best_acc:
            best_acc, best_epoch = record.val_accuracy, epoch
            best_weights = {k: np.array(v, dtype=np.float64, copy=True) for k, v in model.weights.items()}
    for k, v in best_weights.items():
        set_entry(model.weights, k, v.copy())  # into the net's own arrays, which its forward may hold
    test_loss, test_acc = model.forward(data.X_test, data.y_test, "eval")
    return TrainResult(
        history=tuple(history),
        best_epoch=best_epoch,
        train_accuracy=history[-1].train_accuracy,
        val_accuracy=best_acc,
        test_accuracy=number(test_acc),
        test_loss=number(test_loss),
        best_weights=best_weights,
    )
