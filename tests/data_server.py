"""Helpers for the data tests: the real MNIST directory, and a throwaway local HTTP mirror."""

import contextlib
import functools
import http.server
import os
import threading
from pathlib import Path

import pytest

from grader.data.sources import FILES

_MNIST_DIR = os.environ.get("MNIST_DIR")  # read at import, before any test monkeypatches the environment


def real_mnist_dir():
    """The directory of the four official files, from $MNIST_DIR; fails the test (never skips) without it."""
    if not _MNIST_DIR:
        pytest.fail("MNIST_DIR is not set: these tests need the four official MNIST files. "
                    "Run `MNIST_DIR=/path/to/mnist python3 -m pytest` (CI and ./dev set it).", pytrace=False)
    missing = [f.name for f in FILES if not (Path(_MNIST_DIR) / f.name).is_file()]
    if missing:
        pytest.fail(f"MNIST_DIR={_MNIST_DIR} lacks {', '.join(missing)}", pytrace=False)
    return Path(_MNIST_DIR)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # keep pytest output clean
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):  # a client hanging up early is expected here
        pass


@contextlib.contextmanager
def serve_directory(root):
    """Serve `root` on 127.0.0.1 (ephemeral port, own thread); yields the base URL; stops on exit."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
