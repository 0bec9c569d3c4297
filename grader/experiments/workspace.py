"""What every experiment needs before it runs: the implementation, the dataset written
where a sandbox can read it, and the identities the run cache is keyed by."""

import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from grader.data import load_raw, write_for_sandbox
from grader.paths import REFERENCE_DIR, REPORTS_DIR
from grader.submission import cleanup, open_submission

from .cache import RunCache
from .identity import dataset_id, run_key, source_id
from .runs import CachedRuns, SandboxRunner


@dataclass(frozen=True)
class Workspace:
    name: str  # the implementation's name, e.g. "reference"
    root: Path  # the folder holding its modules
    modules: dict  # module name -> Path
    dataset: object  # the grader.data RawDataset
    dataset_id: str  # identity.dataset_id
    source_id: str  # identity.source_id
    data_dir: Path  # the six .npy files, readable by the sandbox

    def runner(self):
        return SandboxRunner(self.modules, str(self.data_dir))

    def store(self, cache_dir):
        return CachedRuns(RunCache(cache_dir), lambda config: run_key(config, self.dataset_id, self.source_id))


def default_out_dir(name):
    """reports/experiments/<implementation name>/."""
    return REPORTS_DIR / "experiments" / name


@contextmanager
def open_workspace(submission=None, dataset="auto", data_dir=None):
    """Workspace of the submission at `submission` (a folder or .zip; reference/ when None).

    Raises grader.submission.SubmissionError or grader.data.DataError when either is unusable.
    The dataset folder (and an unpacked .zip) are removed on exit.
    """
    path = Path(submission) if submission is not None else REFERENCE_DIR
    found, data_folder = None, None
    try:
        found = open_submission(path)
        raw = load_raw(dataset, data_dir)
        data_folder = Path(tempfile.mkdtemp(prefix="grader-data-"))
        write_for_sandbox(raw, data_folder)
        yield Workspace(found.name, found.root, dict(found.modules), raw, dataset_id(raw), source_id(found.modules),
                        data_folder)
    finally:
        if data_folder is not None:
            shutil.rmtree(data_folder, ignore_errors=True)
        if found is not None:
            cleanup(found)
