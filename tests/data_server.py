"""A throwaway local HTTP mirror for the download tests (the real MNIST folder is conftest's real_mnist_dir)."""

import contextlib
import functools
import http.server
import threading


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
