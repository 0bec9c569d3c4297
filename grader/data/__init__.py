"""The data layer: find, verify, download and load MNIST (or the offline digits fallback)."""

from .dataset import DATASET_NAMES, Dataset, RawDataset, load_dataset, load_raw, write_for_sandbox
from .download import download_mnist
from .errors import DataError
from .locate import cache_dir, describe_search, find_mnist_dir
from .sources import FILES, MIRRORS

__all__ = [
    "DATASET_NAMES", "FILES", "MIRRORS", "DataError", "Dataset", "RawDataset",
    "cache_dir", "describe_search", "download_mnist", "find_mnist_dir", "load_dataset", "load_raw", "write_for_sandbox",
]
