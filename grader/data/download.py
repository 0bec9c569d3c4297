"""Download the four MNIST files, verified, trying each mirror in turn.

Each file streams into a temporary file beside its final name, is checked
against its official size and md5, and only then is renamed into place
(atomically), so a partial or corrupt download never sits under the real name.
"""

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from .errors import DataError
from .locate import cache_dir
from .sources import FILES, MIRRORS
from .verify import verify_file

CHUNK = 1 << 16


def download_mnist(dest=None, mirrors=MIRRORS, progress=None, timeout=30):
    """Fetch every official file not already valid in `dest` (default: cache_dir()); return `dest`.

    progress(name, done_bytes, total_bytes) is called as bytes arrive, and once
    with done == total for a file already present and valid.
    """
    dest = Path(dest).expanduser() if dest is not None else cache_dir()
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataError(f"{dest}: cannot create the download directory ({err.strerror}); choose another with --data-dir") from None
    for source in FILES:
        if _is_valid(dest / source.name, source):
            if progress:
                progress(source.name, source.size, source.size)
            continue
        _download_file(source, dest, mirrors, progress, timeout)
    return dest


def _is_valid(path, source):
    try:
        verify_file(path, source)
        return True
    except DataError:
        return False


def _download_file(source, dest, mirrors, progress, timeout):
    """Try each mirror until one yields a verified copy at dest/source.name."""
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + source.name
        try:
            _fetch_verified(url, source, dest, progress, timeout)
            return
        except (DataError, OSError, http.client.HTTPException, ValueError) as err:
            failures.append(f"  {url}: {_reason(err)}")
    raise DataError(
        f"{dest / source.name}: could not download from any mirror:\n" + "\n".join(failures)
        + "\nCheck your internet connection, or download the file by hand into that directory."
    )


def _fetch_verified(url, source, dest, progress, timeout):
    """Stream `url` into a temp file in `dest`, verify it, rename it into place."""
    tmp = tempfile.NamedTemporaryFile(dir=dest, prefix=f".{source.name}.", suffix=".part", delete=False)
    tmp_path = Path(tmp.name)
    try:
        with tmp, urllib.request.urlopen(url, timeout=timeout) as response:
            size, md5 = _stream(response, tmp, source, progress)
        if size != source.size:
            raise DataError(f"served {size:,} bytes, expected {source.size:,} (a cut-off transfer?)")
        if md5 != source.md5:
            raise DataError(f"served a corrupt copy: md5 {md5}, expected {source.md5}")
        os.chmod(tmp_path, 0o644)  # NamedTemporaryFile makes it 0600; MNIST is public
        os.replace(tmp_path, dest / source.name)
    finally:
        tmp_path.unlink(missing_ok=True)  # already gone after a successful replace


def _stream(response, out, source, progress):
    """Copy the response body to `out`; (bytes, md5). Stops early if it outgrows the expected size."""
    done = 0
    digest = hashlib.md5()
    while chunk := response.read(CHUNK):
        done += len(chunk)
        if done > source.size:
            raise DataError(f"served more than the expected {source.size:,} bytes")
        out.write(chunk)
        digest.update(chunk)
        if progress:
            progress(source.name, done, source.size)
    return done, digest.hexdigest()


def _reason(err):
    if isinstance(err, urllib.error.HTTPError):
        return f"HTTP {err.code} {err.reason}"
    if isinstance(err, urllib.error.URLError):
        return f"cannot connect ({err.reason})"
    if isinstance(err, DataError):
        return str(err)
    return f"{type(err).__name__}: {err}"
