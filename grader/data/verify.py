"""Check the official files' sizes and md5 checksums."""

import hashlib
from pathlib import Path

from .errors import DataError
from .sources import FILES, REDOWNLOAD

CHUNK = 1 << 20


def md5_of(path):
    """Hex md5 of a file, read in 1 MiB chunks."""
    digest = hashlib.md5()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(path, source, check_md5=True):
    """Raise DataError unless `path` exists with `source`'s size (and md5)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise DataError(f"{path}: file is missing; run `grader data download`") from None
    if size != source.size:
        raise DataError(f"{path}: wrong size: expected {source.size:,} bytes, got {size:,}: {REDOWNLOAD}")
    if check_md5:
        try:
            got = md5_of(path)
        except OSError as err:
            raise DataError(f"{path}: cannot be read ({err.strerror}); check its permissions") from None
        if got != source.md5:
            raise DataError(f"{path}: wrong md5: expected {source.md5}, got {got}: {REDOWNLOAD}")


def verify_dir(directory, check_md5=True):
    """Verify all four official files in `directory`; name -> Path."""
    paths = {f.name: Path(directory) / f.name for f in FILES}
    for source in FILES:
        verify_file(paths[source.name], source, check_md5)
    return paths
