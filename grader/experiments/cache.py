"""Finished runs on disk: one JSON file per run key, written atomically.

A file appears only complete (temp file, then os.replace), so an interrupted sweep
leaves every finished run readable and nothing half-written. An unreadable file is
a miss, never an error.
"""

import json
import os
import tempfile
from pathlib import Path


class RunCache:
    """A folder of <key>.json documents (dicts)."""

    def __init__(self, folder):
        self.folder = Path(folder)

    def path(self, key):
        return self.folder / f"{key}.json"

    def get(self, key):
        """The stored dict, or None when absent or unreadable."""
        try:
            with open(self.path(key), encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError):
            return None
        return doc if isinstance(doc, dict) else None

    def put(self, key, doc):
        """Store doc (JSON-able dict) under key, atomically."""
        self.folder.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.path(key), doc)


def write_json_atomic(path, doc):
    """Write doc as indented JSON to path via a temp file in the same folder and os.replace."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1, allow_nan=False)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
