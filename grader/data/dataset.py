"""The dataset the grader trains on: MNIST when available, else scikit-learn's digits.

MNIST split: the first 48,000 training images train, the last 12,000 validate,
the 10,000 t10k images test. Parsed MNIST is cached as uncompressed .npy files in
cache_dir()/parsed-<key>/ so later loads skip the ~1 s gzip parse.
"""

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import digits
from .errors import DataError
from .idx import read_images, read_labels
from .locate import cache_dir, describe_search, find_mnist
from .sources import FILES, GET_MNIST, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS
from .verify import verify_dir

DATASET_NAMES = ("auto", "mnist", "digits")
ARRAY_NAMES = ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test")
MNIST_TRAIN = 48_000  # of the 60,000 training images; the remaining 12,000 validate
MNIST_SHAPES = {
    "X_train": ((48_000, 784), np.uint8), "y_train": ((48_000,), np.int64),
    "X_val": ((12_000, 784), np.uint8), "y_val": ((12_000,), np.int64),
    "X_test": ((10_000, 784), np.uint8), "y_test": ((10_000,), np.int64),
}
CACHE_LAYOUT = "npy-v1 train=48000"  # part of the cache key: change it when the split changes


@dataclass(frozen=True, eq=False)
class RawDataset:
    """Images as stored: uint8 0..255; labels int64 0..9."""

    name: str  # "mnist" or "digits"
    source: str  # where it came from, for people
    X_train: np.ndarray  # (N_train, 784) uint8
    y_train: np.ndarray  # (N_train,) int64
    X_val: np.ndarray  # (N_val, 784) uint8
    y_val: np.ndarray  # (N_val,) int64
    X_test: np.ndarray  # (N_test, 784) uint8
    y_test: np.ndarray  # (N_test,) int64
    paths_npy: dict | None = None  # array name -> cached .npy file, when loaded from the parse cache

    def arrays(self):
        """The six arrays by name, in ARRAY_NAMES order."""
        return {key: getattr(self, key) for key in ARRAY_NAMES}

    def sizes(self):
        return split_sizes(self)

    def save_npy(self, directory):
        """Write the six arrays as <name>.npy into `directory` (created if needed); name -> Path."""
        return _write_npy(self.arrays(), Path(directory))

    def scaled(self):
        """The float Dataset: images / 255.0."""
        return Dataset(
            name=self.name,
            source=self.source,
            **{key: np.asarray(value) / 255.0 if key.startswith("X") else np.array(value, dtype=np.int64)
               for key, value in self.arrays().items()},
        )


@dataclass(frozen=True, eq=False)
class Dataset:
    """Images as the network sees them: float64 in [0, 1]; labels int64 0..9."""

    name: str  # "mnist" or "digits"
    source: str  # where it came from, for people
    X_train: np.ndarray  # (N_train, 784) float64
    y_train: np.ndarray  # (N_train,) int64
    X_val: np.ndarray  # (N_val, 784) float64
    y_val: np.ndarray  # (N_val,) int64
    X_test: np.ndarray  # (N_test, 784) float64
    y_test: np.ndarray  # (N_test,) int64

    def sizes(self):
        return split_sizes(self)


def split_sizes(data):
    """{"train": n, "val": n, "test": n} of a Dataset or RawDataset."""
    return {"train": len(data.y_train), "val": len(data.y_val), "test": len(data.y_test)}


def load_dataset(name="auto", data_dir=None):
    """The named dataset, scaled to float64 in [0, 1]; see load_raw."""
    return load_raw(name, data_dir).scaled()


def load_raw(name="auto", data_dir=None):
    """"mnist" (DataError if absent), "digits", or "auto": MNIST if found, else digits."""
    if name not in DATASET_NAMES:
        raise DataError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASET_NAMES)}")
    if name == "digits":
        return load_digits_raw()
    place = find_mnist(data_dir)
    if place is not None:
        return load_mnist_raw(place.path, f"MNIST in {place.path} (from {place.origin})")
    if name == "mnist":
        raise DataError(
            f"MNIST not found. Looked in:\n{describe_search(data_dir)}\n"
            f"To get it, {GET_MNIST}. (`--dataset digits` uses the small offline set instead.)"
        )
    return load_digits_raw()


def load_digits_raw():
    """scikit-learn's digits in MNIST's raw form, split 1,200 / 300 / 297 in file order."""
    images, labels = digits.load_digits()
    n_train, n_val, _ = digits.DIGITS_SPLIT
    cut = n_train + n_val
    return RawDataset("digits", digits.DESCRIPTION, *_split(images[:cut], labels[:cut], n_train),
                      images[cut:], labels[cut:])


def load_mnist_raw(directory, source=None):
    """Verified MNIST from `directory`, via the parse cache when it holds a good copy."""
    paths = verify_dir(directory)
    source = source or f"MNIST in {directory}"
    cache = parsed_cache_dir()
    cached = _read_npy(cache, MNIST_SHAPES)
    if cached is not None:
        return RawDataset("mnist", source, **cached, paths_npy={k: cache / f"{k}.npy" for k in ARRAY_NAMES})
    arrays = parse_mnist(paths)
    try:
        paths_npy = _write_npy(arrays, cache)
    except OSError:  # an unwritable cache only costs speed
        paths_npy = None
    return RawDataset("mnist", source, **arrays, paths_npy=paths_npy)


def parse_mnist(paths):
    """The six raw arrays from the four official files (name -> Path)."""
    train_x = read_images(paths[TRAIN_IMAGES.name])
    train_y = read_labels(paths[TRAIN_LABELS.name])
    test_x = read_images(paths[TEST_IMAGES.name])
    test_y = read_labels(paths[TEST_LABELS.name])
    for x, y, what in ((train_x, train_y, TRAIN_IMAGES), (test_x, test_y, TEST_IMAGES)):
        if len(x) != len(y):
            raise DataError(f"{paths[what.name]}: {len(x):,} images but {len(y):,} labels; run `grader data download`")
    x_train, y_train, x_val, y_val = _split(train_x, train_y, MNIST_TRAIN)
    return dict(X_train=x_train, y_train=y_train, X_val=x_val, y_val=y_val, X_test=test_x, y_test=test_y)


def parsed_cache_dir():
    """cache_dir()/parsed-<12 hex digits of the official md5s and the cache layout>."""
    key = hashlib.sha256(("".join(f.md5 for f in FILES) + CACHE_LAYOUT).encode()).hexdigest()[:12]
    return cache_dir() / f"parsed-{key}"


def _split(images, labels, n_first):
    """(images[:n], labels[:n], images[n:], labels[n:])."""
    return images[:n_first], labels[:n_first], images[n_first:], labels[n_first:]


def _write_npy(arrays, directory):
    """Save each array as <name>.npy, atomically (temp file, then os.replace); name -> Path."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for key, array in arrays.items():
        final = directory / f"{key}.npy"
        with tempfile.NamedTemporaryFile(dir=directory, prefix=f".{key}.", suffix=".tmp", delete=False) as tmp:
            try:
                np.save(tmp, np.ascontiguousarray(array), allow_pickle=False)
            except BaseException:
                tmp.close()
                os.unlink(tmp.name)
                raise
        os.chmod(tmp.name, 0o644)  # readable by a sandboxed grading user
        os.replace(tmp.name, final)
        paths[key] = final
    return paths


def _read_npy(directory, expected):
    """The arrays memory-mapped read-only, or None unless every file exists with the expected shape and dtype."""
    arrays = {}
    for key, (shape, dtype) in expected.items():
        try:
            array = np.load(directory / f"{key}.npy", mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError):
            return None
        if array.shape != shape or array.dtype != dtype:
            return None
        arrays[key] = array
    return arrays


def write_for_sandbox(raw, folder):
    """X_train.npy ... y_test.npy as the sandbox's probes read them, in a folder any user can read
    (the student process may run as an unprivileged uid). Returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o755)
    for path in raw.save_npy(folder).values():
        os.chmod(path, 0o644)
    return folder
