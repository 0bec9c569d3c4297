"""`grader verify-report`, in order: read the claims and the tuned config, open the
submission and the dataset, re-run each claimed config (through the experiments' run
cache), compare."""

from dataclasses import dataclass
from pathlib import Path

from .claims import DEFAULT_TOLERANCE, check_claims, claim_config, parse_claims
from .progress import Progress
from .runs import run_all
from .sweeps import TUNED_FILE, load_tuned
from .workspace import default_out_dir, open_workspace


@dataclass(frozen=True)
class VerifyOptions:
    submission: Path  # folder or .zip
    claims: Path  # the claims file (see claims.py for its formats)
    tolerance: float = DEFAULT_TOLERANCE  # absolute, in accuracy
    dataset: str = "auto"
    data_dir: Path | None = None
    tuned_config: Path = TUNED_FILE
    jobs: int = 1
    cache_dir: Path | None = None  # default reports/experiments/<name>/cache, shared with `grader experiments`
    epochs: int | None = None  # overrides every run's epochs (for quick checks; claims are about the full runs)


def verify(options, progress=None):
    """The ClaimChecks, in claims-file order. Raises ClaimsError, ValueError, SubmissionError, DataError."""
    progress = progress or Progress()
    claims = parse_claims(options.claims)
    tuned = load_tuned(options.tuned_config)
    with open_workspace(options.submission, options.dataset, options.data_dir) as ws:
        cache_dir = Path(options.cache_dir) if options.cache_dir is not None else default_out_dir(ws.name) / "cache"
        configs = [claim_config(c, tuned, options.epochs) for c in claims]
        progress.note(f"{ws.name} on {ws.dataset.name}: {len(claims)} claim(s) need {len(set(configs))} run(s)")
        outcomes = run_all(configs, ws.runner(), ws.store(cache_dir), options.jobs, progress)
    return check_claims(claims, outcomes, tuned, options.tolerance, options.epochs)
