"""What a run's result depends on, as hashes: the config, the dataset and the source code.

A run key changes when any of them changes, so a cached result is never reused for
different code or data.
"""

import hashlib
import json
from pathlib import Path

import numpy as np

from grader.data.dataset import ARRAY_NAMES
from grader.paths import HARNESS_DIR
from grader.submission import MODULES

from .sweeps import canonical


def dataset_id(raw):
    """'<name>:<sha256 of the six arrays' names, dtypes, shapes and bytes>'."""
    digest = hashlib.sha256()
    for name in ARRAY_NAMES:
        array = np.ascontiguousarray(getattr(raw, name))
        digest.update(f"{name} {array.dtype.str} {array.shape}\n".encode())
        digest.update(memoryview(array).cast("B"))
    return f"{raw.name}:{digest.hexdigest()}"


def source_id(modules, harness_dir=HARNESS_DIR):
    """sha256 of the implementation's five modules (absent ones marked) and the harness's .py files.

    modules: module name -> Path, as Submission.modules.
    """
    digest = hashlib.sha256()
    for name in MODULES:
        path = modules.get(name)
        digest.update(f"module {name}\n".encode())
        digest.update(Path(path).read_bytes() if path is not None else b"<missing>")
    harness_dir = Path(harness_dir)
    for path in sorted(p for p in harness_dir.rglob("*.py") if "__pycache__" not in p.parts):
        digest.update(f"harness {path.relative_to(harness_dir).as_posix()}\n".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def run_key(config, dataset, source):
    """sha256 hex of (canonical config, dataset_id, source_id): the name of a cached run."""
    text = json.dumps({"config": canonical(config).to_dict(), "dataset": dataset, "source": source}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()
