"""The one TOML reader of the grader: tomllib from Python 3.11, its backport tomli on 3.10.

Every other module reads TOML through here (a test holds to that), so the 3.10 fallback lives
in one place. The three functions and the error are tomllib's own.
"""

import os
from typing import Any

try:
    from tomllib import TOMLDecodeError, load, loads  # type: ignore[import-not-found]  # mypy checks as Python 3.10, which lacks it
except ModuleNotFoundError:  # Python 3.10: pyproject installs tomli there
    from tomli import TOMLDecodeError, load, loads

__all__ = ["TOMLDecodeError", "load", "load_path", "loads"]


def load_path(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The TOML document in the file at path, as a dict. Raises OSError or TOMLDecodeError."""
    with open(path, "rb") as f:
        return load(f)
