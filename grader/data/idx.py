"""Parse gzip-compressed IDX files (the MNIST format) into NumPy arrays.

IDX layout: a big-endian uint32 magic number (0x0000_08_NN: unsigned bytes, NN
dimensions), NN big-endian uint32 sizes, then the unsigned bytes, row-major.
Every error is a DataError whose message names the file and says what to do.
"""

import gzip
import zlib
from pathlib import Path

import numpy as np

from .errors import DataError
from .sources import REDOWNLOAD

LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension: (N,)
IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions: (N, rows, cols)
IMAGE_SIDE = 28  # MNIST images are 28x28
NUM_CLASSES = 10


def read_images(path):
    """Images from an IDX3 .gz file: (N, 784) uint8, read-only."""
    return parse_images(_read_bytes(path), str(path))


def read_labels(path):
    """Labels from an IDX1 .gz file: (N,) int64 in 0..9."""
    return parse_labels(_read_bytes(path), str(path))


def parse_images(gz, name):
    """(N, 784) uint8 images from gzip-compressed IDX3 bytes; `name` labels errors."""
    dims, payload = _parse(_gunzip(gz, name), name, IMAGES_MAGIC, "images")
    n, rows, cols = dims
    if (rows, cols) != (IMAGE_SIDE, IMAGE_SIDE):
        raise DataError(f"{name}: images are {rows}x{cols}, expected 28x28; it is not an MNIST file: {REDOWNLOAD}")
    return np.frombuffer(payload, dtype=np.uint8).reshape(n, rows * cols)  # (N, 784)


def parse_labels(gz, name):
    """(N,) int64 labels from gzip-compressed IDX1 bytes; `name` labels errors."""
    _, payload = _parse(_gunzip(gz, name), name, LABELS_MAGIC, "labels")
    labels = np.frombuffer(payload, dtype=np.uint8)
    if labels.size and labels.max() >= NUM_CLASSES:
        raise DataError(f"{name}: holds label {labels.max()}, expected 0..9; the file is corrupt: {REDOWNLOAD}")
    return labels.astype(np.int64)  # (N,)


def _read_bytes(path):
    path = Path(path)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file is missing; run `grader data download`") from None
    except OSError as err:
        raise DataError(f"{path}: cannot be read ({err.strerror}); check its permissions") from None


def _gunzip(gz, name):
    try:
        return gzip.decompress(gz)
    except EOFError:
        raise DataError(f"{name}: the gzip stream is truncated (an interrupted download?): {REDOWNLOAD}") from None
    except (gzip.BadGzipFile, zlib.error) as err:
        raise DataError(f"{name}: not a valid gzip file ({err}): {REDOWNLOAD}") from None


def _parse(raw, name, magic, kind):
    """(dims, payload) of an IDX file, after checking magic, header and payload length."""
    if len(raw) < 4:
        raise DataError(f"{name}: only {len(raw)} bytes, too short to be an IDX file: {REDOWNLOAD}")
    got = int.from_bytes(raw[:4], "big")
    if got != magic:
        raise DataError(
            f"{name}: bad magic number 0x{got:08x}, expected 0x{magic:08x} for an IDX {kind} file; "
            f"the file is corrupt or is not the MNIST {kind} file: {REDOWNLOAD}"
        )
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{name}: truncated inside its {header}-byte header: {REDOWNLOAD}")
    dims = tuple(int.from_bytes(raw[i : i + 4], "big") for i in range(4, header, 4))
    expected = int(np.prod(dims))
    got_len = len(raw) - header
    if got_len < expected:
        raise DataError(
            f"{name}: truncated: the header promises {dims[0]:,} {kind} ({expected:,} bytes) "
            f"but only {got_len:,} bytes follow: {REDOWNLOAD}"
        )
    if got_len > expected:
        raise DataError(
            f"{name}: {got_len - expected:,} unexpected bytes after the {dims[0]:,} {kind} "
            f"its header promises; the file is corrupt: {REDOWNLOAD}"
        )
    return dims, memoryview(raw)[header:]
