"""The offline fallback: scikit-learn's bundled 8x8 digits, reshaped to look like raw MNIST.

sklearn/datasets/data/digits.csv.gz holds 1,797 rows of 64 pixels (0..16) and a
label. Each image is resized to 20x20 (bilinear), centred in 28x28 with a 4-pixel
zero border (as MNIST centres its 20x20 digits) and scaled to uint8 0..255.
The file is found without importing scikit-learn (which is slow to import).
"""

import gzip
import importlib.util
from pathlib import Path

import numpy as np

from .errors import DataError

DIGITS_SPLIT = (1200, 300, 297)  # train, validation, test, in file order
DESCRIPTION = "scikit-learn digits (1,797 8x8 images resized to 28x28)"
SOURCE_SIDE, DIGIT_SIDE, IMAGE_SIDE = 8, 20, 28
MAX_VALUE = 16
REINSTALL = "reinstall it with `pip install --force-reinstall scikit-learn`"


def digits_csv_path():
    """Path of digits.csv.gz inside the installed scikit-learn; DataError if absent."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            "scikit-learn is not installed, so the offline digits dataset is unavailable; "
            "install it with `pip install scikit-learn`, or get MNIST with `grader data download`"
        )
    for root in spec.submodule_search_locations:
        path = Path(root) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            return path
    raise DataError(f"scikit-learn is installed but has no datasets/data/digits.csv.gz; {REINSTALL}")


def read_digits_csv(path):
    """(pixels (N, 64) float64 in 0..16, labels (N,) int64) from digits.csv.gz."""
    try:
        with gzip.open(path, "rt") as f:
            table = np.loadtxt(f, delimiter=",", ndmin=2)
    except (OSError, EOFError, ValueError) as err:
        raise DataError(f"{path}: cannot be parsed ({err}); {REINSTALL}") from None
    if table.shape[1] != SOURCE_SIDE**2 + 1:
        raise DataError(f"{path}: expected 65 columns (64 pixels and a label), got {table.shape[1]}; {REINSTALL}")
    pixels, labels = table[:, :-1], table[:, -1]
    if pixels.min() < 0 or pixels.max() > MAX_VALUE or not np.isin(labels, np.arange(10)).all():
        raise DataError(f"{path}: pixels outside 0..16 or labels outside 0..9; {REINSTALL}")
    return pixels, labels.astype(np.int64)


def bilinear_weights(n_in, n_out):
    """(n_out, n_in) matrix that resamples a line bilinearly (pixel centres aligned, edges clamped)."""
    src = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = src - lo
    weights = np.zeros((n_out, n_in))
    np.add.at(weights, (np.arange(n_out), lo), 1 - frac)
    np.add.at(weights, (np.arange(n_out), hi), frac)
    return weights


def resize_bilinear(images, side):
    """(N, h, w) -> (N, side, side) float64, bilinear."""
    rows = bilinear_weights(images.shape[1], side)  # (side, h)
    cols = bilinear_weights(images.shape[2], side)  # (side, w)
    return rows @ images @ cols.T


def to_mnist_form(pixels):
    """(N, 64) values 0..16 -> (N, 784) uint8 0..255: 20x20 digit centred in 28x28."""
    small = pixels.reshape(-1, SOURCE_SIDE, SOURCE_SIDE).astype(np.float64)
    digit = resize_bilinear(small, DIGIT_SIDE)  # (N, 20, 20)
    border = (IMAGE_SIDE - DIGIT_SIDE) // 2
    framed = np.pad(digit, ((0, 0), (border, border), (border, border)))  # (N, 28, 28)
    scaled = np.rint(framed * (255 / MAX_VALUE)).clip(0, 255).astype(np.uint8)
    return scaled.reshape(len(pixels), IMAGE_SIDE * IMAGE_SIDE)


def load_digits():
    """(images (1797, 784) uint8, labels (1797,) int64), in file order."""
    pixels, labels = read_digits_csv(digits_csv_path())
    return to_mnist_form(pixels), labels
