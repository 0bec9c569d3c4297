"""The training check's data on the student's machine: MNIST if found, else scikit-learn's digits.

MNIST is looked for in --data-dir, then $MNIST_DIR, then the cache the course's tools fill
(~/.cache/dl-grader/mnist), then mnist/ beside this kit. Split as the course grader splits it:
the first 48,000 training images train, the last 12,000 validate, the 10,000 test images test.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .data.errors import DataError
from .data.locate import candidates, missing_files

TRAIN_SIZE = 48_000  # MNIST training images used for training; the rest validate
DIGITS_SPLIT = (1200, 300, 297)  # train, validation, test, in file order
KIT_MNIST = Path(__file__).resolve().parent.parent / "mnist"
GET_MNIST = ("put the four MNIST files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
             "t10k-labels-idx1-ubyte.gz) in a folder and pass --data-dir FOLDER (or set MNIST_DIR), or `pip install scikit-learn` "
             "for the small offline digits set")


@dataclass(frozen=True)
class Dataset:
    name: str  # "mnist" or "digits"
    source: str  # where it came from, said plainly
    arrays: dict  # X_train, y_train, X_val, y_val, X_test, y_test: (N, 784) uint8 and (N,) int64


def mnist_folder(data_dir=None):
    """The first folder holding the four MNIST files, or None (DataError if --data-dir lacks them)."""
    if data_dir is not None and missing_files(data_dir):
        raise DataError(f"--data-dir {data_dir} lacks {', '.join(missing_files(data_dir))}")
    for place in [p.path for p in candidates(data_dir)] + [KIT_MNIST]:
        if not missing_files(place):
            return Path(place)
    return None


def load_mnist(folder):
    from .data.idx import read_images, read_labels
    X, y = read_images(folder / "train-images-idx3-ubyte.gz"), read_labels(folder / "train-labels-idx1-ubyte.gz")
    arrays = {"X_train": X[:TRAIN_SIZE], "y_train": y[:TRAIN_SIZE], "X_val": X[TRAIN_SIZE:], "y_val": y[TRAIN_SIZE:],
              "X_test": read_images(folder / "t10k-images-idx3-ubyte.gz"), "y_test": read_labels(folder / "t10k-labels-idx1-ubyte.gz")}
    return Dataset("mnist", f"MNIST from {folder}", arrays)


def load_digits(why=""):
    from .data.digits import DESCRIPTION, load_digits as read
    X, y = read()
    a, b, _ = DIGITS_SPLIT
    arrays = {"X_train": X[:a], "y_train": y[:a], "X_val": X[a:a + b], "y_val": y[a:a + b], "X_test": X[a + b:], "y_test": y[a + b:]}
    return Dataset("digits", DESCRIPTION + why, arrays)


def load(choice="auto", data_dir=None):
    """The dataset for the training check: choice auto | mnist | digits. Raises DataError saying what to do."""
    if choice in ("auto", "mnist"):
        folder = mnist_folder(data_dir)
        if folder is not None:
            return load_mnist(folder)
        if choice == "mnist":
            raise DataError(f"MNIST was not found; {GET_MNIST}")
    try:
        return load_digits(": no MNIST found" if choice == "auto" else "")
    except DataError as exc:
        raise DataError(f"no data for the training check: MNIST was not found and the digits set is unavailable ({exc}); {GET_MNIST}") from None


def write_npz(arrays, path):
    """Save arrays for the student's process (plain .npz: no pickle). Returns path."""
    np.savez(path, **arrays)
    return path
