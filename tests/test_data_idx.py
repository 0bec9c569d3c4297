"""Parsing IDX files and verifying the official files: every failure names the file and the fix."""

import gzip
import hashlib

import numpy as np
import pytest

from grader.data import DataError
from grader.data.idx import IMAGES_MAGIC, LABELS_MAGIC, parse_images, parse_labels, read_images, read_labels
from grader.data.sources import TEST_LABELS, TRAIN_LABELS
from grader.data.verify import verify_dir, verify_file
from conftest import real_mnist_dir


def idx_bytes(magic, dims, payload):
    """Uncompressed IDX: magic, dims (big-endian uint32), payload."""
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims)
    body = payload if isinstance(payload, bytes) else np.asarray(payload, dtype=np.uint8).tobytes()
    return header + body


def idx_gz(magic, dims, payload):
    return gzip.compress(idx_bytes(magic, dims, payload))


def images_gz(n=3):
    return idx_gz(IMAGES_MAGIC, (n, 28, 28), np.arange(n * 784) % 256)


# --- parsing well-formed files -------------------------------------------------------------------


def test_images_parse_to_flat_uint8_rows_in_file_order():
    images = parse_images(images_gz(3), "x.gz")
    assert images.shape == (3, 784) and images.dtype == np.uint8
    assert images.ravel().tolist() == (np.arange(3 * 784) % 256).tolist()


def test_labels_parse_to_int64():
    labels = parse_labels(idx_gz(LABELS_MAGIC, (4,), [7, 0, 9, 3]), "y.gz")
    assert labels.dtype == np.int64 and labels.tolist() == [7, 0, 9, 3]


def test_files_are_read_from_disk(tmp_path):
    (tmp_path / "x.gz").write_bytes(images_gz(2))
    (tmp_path / "y.gz").write_bytes(idx_gz(LABELS_MAGIC, (2,), [1, 2]))
    assert read_images(tmp_path / "x.gz").shape == (2, 784)
    assert read_labels(tmp_path / "y.gz").tolist() == [1, 2]


# --- malformed files -----------------------------------------------------------------------------


def assert_rejected(call, name, *phrases):
    """`call` raises DataError whose message names `name`, says how to fix it, and holds `phrases`."""
    with pytest.raises(DataError) as caught:
        call()
    message = str(caught.value)
    assert name in message
    assert "grader data download" in message
    for phrase in phrases:
        assert phrase in message


def test_bad_magic_number_is_rejected_with_its_name():
    bad = idx_gz(0x00000804, (1, 28, 28), bytes(784))
    assert_rejected(lambda: parse_images(bad, "train-images.gz"), "train-images.gz", "magic number 0x00000804", "0x00000803")


def test_labels_file_read_as_images_is_rejected_by_its_magic_number():
    labels = idx_gz(LABELS_MAGIC, (2,), [1, 2])
    assert_rejected(lambda: parse_images(labels, "mixed-up.gz"), "mixed-up.gz", "magic number 0x00000801")


def test_truncated_file_is_rejected_with_its_name():
    short = gzip.compress(idx_bytes(IMAGES_MAGIC, (3, 28, 28), bytes(3 * 784))[:-100])
    assert_rejected(lambda: parse_images(short, "short.gz"), "short.gz", "truncated", "3 images")


def test_truncated_gzip_stream_is_rejected_with_its_name():
    cut = images_gz(3)[:-20]
    assert_rejected(lambda: parse_images(cut, "cut.gz"), "cut.gz", "truncated")


def test_file_that_is_not_gzip_is_rejected_with_its_name():
    raw = idx_bytes(IMAGES_MAGIC, (1, 28, 28), bytes(784))
    assert_rejected(lambda: parse_images(raw, "plain.idx"), "plain.idx", "gzip")


def test_header_cut_short_is_rejected():
    assert_rejected(lambda: parse_images(gzip.compress(IMAGES_MAGIC.to_bytes(4, "big") + b"\0\0"), "h.gz"), "h.gz", "header")


def test_trailing_bytes_after_the_payload_are_rejected():
    long = idx_gz(LABELS_MAGIC, (2,), [1, 2, 3])
    assert_rejected(lambda: parse_labels(long, "long.gz"), "long.gz", "unexpected bytes")


def test_images_that_are_not_28x28_are_rejected():
    odd = idx_gz(IMAGES_MAGIC, (1, 8, 8), bytes(64))
    assert_rejected(lambda: parse_images(odd, "odd.gz"), "odd.gz", "8x8")


def test_label_outside_0_to_9_is_rejected():
    assert_rejected(lambda: parse_labels(idx_gz(LABELS_MAGIC, (2,), [3, 12]), "y.gz"), "y.gz", "label 12")


def test_missing_file_is_rejected_with_its_path(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    assert_rejected(lambda: read_images(path), str(path), "missing")


# --- verifying the official files ----------------------------------------------------------------


def test_wrong_size_is_rejected_with_expected_and_actual_sizes(tmp_path):
    path = tmp_path / TEST_LABELS.name
    path.write_bytes(b"x" * 10)
    assert_rejected(lambda: verify_file(path, TEST_LABELS), str(path), "wrong size", "4,542", "got 10")


def test_wrong_md5_is_rejected_with_expected_and_actual_checksums(tmp_path):
    path = tmp_path / TEST_LABELS.name
    path.write_bytes(bytes(TEST_LABELS.size))  # right size, wrong bytes
    got = hashlib.md5(bytes(TEST_LABELS.size)).hexdigest()
    assert_rejected(lambda: verify_file(path, TEST_LABELS), str(path), "wrong md5", TEST_LABELS.md5, f"got {got}")


def test_missing_file_fails_verification_with_its_path(tmp_path):
    path = tmp_path / TRAIN_LABELS.name
    assert_rejected(lambda: verify_file(path, TRAIN_LABELS), str(path), "missing")


def test_size_only_check_skips_the_md5(tmp_path):
    path = tmp_path / TEST_LABELS.name
    path.write_bytes(bytes(TEST_LABELS.size))
    verify_file(path, TEST_LABELS, check_md5=False)


@pytest.mark.mnist
def test_the_official_files_pass_verification():
    paths = verify_dir(real_mnist_dir())
    assert sorted(p.name for p in paths.values()) == sorted(paths)
