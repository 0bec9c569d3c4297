"""Fresh, secret challenges: what a student could not foresee, yet the same for the same submission.

Two kinds of random choice:
- reproducible ones (unit inputs, the secret transform of the dataset, the initial weights and batch
  order of training) come from one 256-bit challenge seed: a SHA-256 of the rubric's seed, of this
  machine's secret key when that seed is weak (grader.machine_key), and of the submission's content.
  The same submission therefore gets the same challenge and the same score; a sandbox that knows
  neither a strong rubric seed nor the machine's key cannot compute it;
- those that need not repeat (the timed epochs' shuffles, the points where central differences are
  taken) are drawn from `secrets` at grade time (fresh_rng, fresh_timing_seeds): nothing the sandbox
  sees, knows or guesses predicts them. The verdicts do not depend on them: the reference computes on
  the same values, and no message quotes a figure that does.
"""

import hashlib
import secrets
from dataclasses import dataclass, replace

import numpy as np

from .contract import KEYS


def submission_digest(modules):
    """SHA-256 over the submission's module files: {name: Path} -> hex string."""
    h = hashlib.sha256()
    for name in sorted(modules):
        data = modules[name].read_bytes()
        h.update(f"{name}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


def challenge_seed(rubric_seed: int, digest: str, key: bytes = b"") -> int:
    """A 256-bit seed from the rubric's seed, the machine's key (b"" when the rubric's seed is strong)
    and the submission's digest."""
    h = hashlib.sha256(f"grader-challenge\0{rubric_seed}\0{key.hex()}\0{digest}".encode()).digest()
    return int.from_bytes(h, "big")


FRESH_BITS = 128  # of the seed of every fresh draw


def fresh_rng() -> np.random.Generator:
    """A generator seeded from `secrets` now: for draws that need not repeat and must not be foreseen."""
    return np.random.default_rng(secrets.randbits(FRESH_BITS))


def rng(seed, purpose):
    """A generator for one purpose ('transform', 'timing', ...) of a challenge."""
    return np.random.default_rng([seed, int.from_bytes(hashlib.sha256(purpose.encode()).digest()[:4], "big")])


@dataclass(frozen=True)
class Transform:
    """A secret relabelling of the task: a permutation of the pixels and one of the classes."""
    pixels: np.ndarray  # (D,) new column j holds old pixel pixels[j]
    labels: np.ndarray  # (C,) old class c becomes labels[c]


def transform_for(seed, input_size, num_classes):
    r = rng(seed, "transform")
    return Transform(r.permutation(input_size), r.permutation(num_classes))


def transformed(dataset, transform):
    """The dataset with every split's pixels permuted and classes relabelled (a RawDataset again)."""
    changes = {}
    for split in ("train", "val", "test"):
        changes[f"X_{split}"] = np.take(getattr(dataset, f"X_{split}"), transform.pixels, axis=1)  # (N, D), 5x faster than X[:, pixels]
        changes[f"y_{split}"] = transform.labels[getattr(dataset, f"y_{split}")].astype(np.int64)  # (N,)
    return replace(dataset, **changes, paths_npy=None)


def fresh_timing_seeds(repeats: int) -> list:
    """The shuffle seed of each timed epoch (63 bits each), drawn from `secrets` now, sent only with 'go'."""
    return [secrets.randbits(63) for _ in range(repeats)]


def training_seed(seed):
    """The seed of the initial weights and batch order of the graded training runs."""
    return int(rng(seed, "training").integers(1, 2**31 - 1))


def gradcheck_points(r, shapes, per_key, step_range=(0.5e-5, 2e-5)):
    """Perturbation points for central differences: for each weight, up to per_key random entries,
    each with a random step h, taken at +h and -h. r: the generator (fresh_rng() when grading).
    Returns a list of (key index, flat index, step)."""
    points = []
    for k, key in enumerate(KEYS):
        size = int(np.prod(shapes[key]))
        for flat in sorted(r.choice(size, min(per_key, size), replace=False).tolist()):
            h = float(r.uniform(*step_range))
            points += [(k, flat, h), (k, flat, -h)]
    return points
