"""Where the MNIST files live: --data-dir, then $MNIST_DIR, then the per-user cache."""

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import DataError
from .sources import FILES

ENV_VAR = "MNIST_DIR"
APP_NAME = "dl-grader"


@dataclass(frozen=True)
class Location:
    path: Path
    origin: str  # how it was chosen: "--data-dir", "MNIST_DIR" or "cache"


def cache_root():
    """$XDG_CACHE_HOME/dl-grader, or ~/.cache/dl-grader."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / APP_NAME


def cache_dir():
    """The per-user directory `grader data download` fills by default."""
    return cache_root() / "mnist"


def candidates(data_dir=None):
    """Places to look, in resolution order, as Locations."""
    places = []
    if data_dir is not None:
        places.append(Location(Path(data_dir).expanduser(), "--data-dir"))
    if os.environ.get(ENV_VAR):
        places.append(Location(Path(os.environ[ENV_VAR]).expanduser(), ENV_VAR))
    places.append(Location(cache_dir(), "cache"))
    return places


def missing_files(directory):
    """Names of the official files absent from `directory`."""
    return [f.name for f in FILES if not (Path(directory) / f.name).is_file()]


def find_mnist(data_dir=None):
    """The first Location holding all four files, or None.

    A directory the user named with --data-dir must hold them: it is never
    skipped in favour of another place (DataError instead).
    """
    if data_dir is not None:
        missing = missing_files(data_dir)
        if missing:
            raise DataError(f"--data-dir {data_dir} lacks {', '.join(missing)}; run `grader data download --data-dir {data_dir}` "
                            "or point --data-dir at the folder holding the four MNIST .gz files")
    for place in candidates(data_dir):
        if not missing_files(place.path):
            return place
    return None


def find_mnist_dir(data_dir=None):
    """The first directory holding all four files, or None."""
    place = find_mnist(data_dir)
    return place.path if place else None


def describe_search(data_dir=None):
    """One line per place looked, saying what it lacks, for error messages."""
    lines = []
    for place in candidates(data_dir):
        missing = missing_files(place.path)
        if not place.path.is_dir():
            status = "no such directory"
        elif len(missing) == len(FILES):
            status = "none of the four files"
        elif missing:
            status = "missing " + ", ".join(missing)
        else:
            status = "all four files"
        lines.append(f"  {place.origin}: {place.path} ({status})")
    if not os.environ.get(ENV_VAR):
        lines.append(f"  ({ENV_VAR} is not set)")
    return "\n".join(lines)
