"""The four official MNIST files (name, size, md5) and the mirrors that serve them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceFile:
    name: str  # file name on every mirror and on disk
    size: int  # bytes of the gzip file
    md5: str  # hex digest of the gzip file


TRAIN_IMAGES = SourceFile("train-images-idx3-ubyte.gz", 9_912_422, "f68b3c2dcbeaaa9fbdd348bbdeb94873")
TRAIN_LABELS = SourceFile("train-labels-idx1-ubyte.gz", 28_881, "d53e105ee54ea40749a09fcbcd1e9432")
TEST_IMAGES = SourceFile("t10k-images-idx3-ubyte.gz", 1_648_877, "9fb629c4189551a2d022fa330f9573f3")
TEST_LABELS = SourceFile("t10k-labels-idx1-ubyte.gz", 4_542, "ec29112dd5afa0611ce80d1b7f02629c")

FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)

# Base URLs, tried in order; each serves every file in FILES under its name.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

GET_MNIST = "run `grader data download`, or set MNIST_DIR to a directory holding the four official files"
REDOWNLOAD = "delete it and run `grader data download`"
