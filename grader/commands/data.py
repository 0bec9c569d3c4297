"""`grader data download|info`: get MNIST, and show which dataset grading would use."""

import sys
from pathlib import Path

from grader import exits
from grader.data import DATASET_NAMES, DataError, download_mnist, load_raw
from grader.data.locate import describe_search, find_mnist


def add_arguments(parser):
    sub = parser.add_subparsers(dest="data_command", required=True, metavar="{download,info}")
    download = sub.add_parser("download", help="download and verify the four MNIST files")
    download.add_argument("--data-dir", type=Path, default=None,
                          help="where to put them (default: the per-user cache, ~/.cache/dl-grader/mnist)")
    info = sub.add_parser("info", help="say which dataset grading would use, where from, and its split sizes")
    info.add_argument("--data-dir", type=Path, default=None, help="look here first for the MNIST files")
    info.add_argument("--dataset", choices=DATASET_NAMES, default="auto",
                      help="auto: MNIST if found, else the offline digits (default: auto)")


def main(args):
    try:
        if args.data_command == "download":
            return _download(args.data_dir)
        return _info(args.data_dir, args.dataset)
    except DataError as err:
        print(f"grader data: error: {err}", file=sys.stderr)
        return exits.USAGE


def _download(data_dir):
    dest = download_mnist(data_dir, progress=ProgressPrinter(sys.stderr))
    print(f"MNIST is ready in {dest}")
    return exits.OK


def _info(data_dir, name):
    data = load_raw(name, data_dir)
    sizes = data.sizes()
    print(f"dataset: {data.name}")
    print(f"source:  {data.source}")
    print(f"splits:  train {sizes['train']:,}, val {sizes['val']:,}, test {sizes['test']:,} (784 pixels each)")
    if data.name == "digits" and name == "auto" and find_mnist(data_dir) is None:
        print(f"note:    MNIST not found; looked in:\n{describe_search(data_dir)}")
        print("         run `grader data download` to grade on MNIST")
    return exits.OK


class ProgressPrinter:
    """progress(name, done, total) callback: a line per file, redrawn in place on a terminal."""

    def __init__(self, stream):
        self.stream = stream
        self.live = stream.isatty()

    def __call__(self, name, done, total):
        if done < total and not self.live:
            return
        line = f"{name}: {done / 1e6:5.1f} / {total / 1e6:.1f} MB"
        end = "\n" if done >= total else ""
        self.stream.write(("\r" if self.live else "") + line + end)
        self.stream.flush()
