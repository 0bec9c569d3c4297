"""Fresh, secret challenges: what a student could not foresee, yet the same for the same submission.

Every random choice of a grade (unit inputs, the secret transform of the dataset,
the timed epochs' shuffles, the points where central differences are taken) is
drawn from one challenge seed: a hash of the rubric's seed (secret in a grading
deployment) and the submission's content. The same submission therefore gets the
same challenge and the same score; a different one, or a student who does not
know the rubric seed, cannot know it in advance.
"""

import hashlib
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


def challenge_seed(rubric_seed, digest):
    """A 63-bit seed from the rubric's seed and the submission's digest."""
    h = hashlib.sha256(f"grader-challenge\0{rubric_seed}\0{digest}".encode()).digest()
    return int.from_bytes(h[:8], "big") >> 1


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


def timing_seeds(seed, repeats):
    """The shuffle seed of each timed epoch."""
    return [int(s) for s in rng(seed, "timing").integers(1, 2**31 - 1, repeats)]


def training_seed(seed):
    """The seed of the initial weights and batch order of the graded training runs."""
    return int(rng(seed, "training").integers(1, 2**31 - 1))


def gradcheck_points(seed, shapes, per_key, step_range=(0.5e-5, 2e-5)):
    """Perturbation points for central differences: for each weight, up to per_key random entries,
    each with a random step h, taken at +h and -h. Returns a list of (key index, flat index, step)."""
    r = rng(seed, "gradcheck")
    points = []
    for k, key in enumerate(KEYS):
        size = int(np.prod(shapes[key]))
        for flat in sorted(r.choice(size, min(per_key, size), replace=False).tolist()):
            h = float(r.uniform(*step_range))
            points += [(k, flat, h), (k, flat, -h)]
    return points
