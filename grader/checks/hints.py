"""The hint a failed check shows, picked in one place by the kind of failure (pick).

A check has its own hints for wrong values (Check.hint, Check.concept). Some failures need another:
- "import": the module did not import (a syntax error, an exception at its top level), so the check never ran:
  the function's math is beside the point;
- "nonfinite": the result holds nan or inf where the reference's is finite (a check may give its own hint,
  e.g. cross-entropy's "never log the whole array", which fits only then);
- "batch-scale": every value that differs is the reference's times N or divided by N, N the batch size of the
  call (a sum instead of a mean, or a mean taken twice).
Everything here is pure: the kind is read from the results the check already has.
"""

import re

import numpy as np

from .compare import constant_factor

IMPORT, NONFINITE, BATCH_SCALE, VALUES, ERROR = "import", "nonfinite", "batch-scale", "values", "error"
IMPORT_STATUSES = ("import_error",)
IGNORED = ("warnings",)  # counts, not values

GENERIC = {  # kind -> (full, concept): hints that fit that kind of failure in any check
    IMPORT: ("fix the import error the message quotes first (a syntax error, a name used at the top level, an import "
             "that fails): run python -c \"import MODULE\" in your folder; none of the module's checks run until it imports",
             "a module that fails to import cannot be checked at all: make it import first, then come back to its math"),
    BATCH_SCALE: ("the result is exactly N (or 1/N) times the expected one, N the batch size: take the mean over the "
                  "batch, dividing by N exactly once (in the loss and in dscores), not a sum and not twice",
                  "the loss is a mean over the N samples of the batch, so it and every gradient carry one factor 1/N"),
}


def batch_size(probe):
    """N, the batch size of a call: the rows of its X, or of its first 2-D array argument; None when it has none."""
    for name in ("X", "a0"):
        a = probe.inputs.get(name)
        if a is not None and np.ndim(a) == 2:
            return int(np.shape(a)[0])
    return None


def compared(s, r):
    """[(name, got, expected)] of the float arrays both results hold under one name and shape."""
    out = []
    for name, got in s.arrays.items():
        want = r.arrays.get(name) if r is not None else None
        if name in IGNORED or name.startswith("arg") or want is None or np.shape(got) != np.shape(want):
            continue
        if np.asarray(got).dtype.kind in "fiu" and np.asarray(want).dtype.kind in "fiu":
            out.append((name, np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)))
    return out


def value_kind(s, r, n, rtol=1e-6, atol=1e-9):
    """The kind of a completed call's failure against the reference's result r (None when r is unknown)."""
    if r is None or not r.ok:
        results = [np.asarray(v) for k, v in s.arrays.items() if k.startswith("result")]
        bad = any(v.dtype.kind == "f" and not np.all(np.isfinite(v)) for v in results)
        return NONFINITE if bad else VALUES
    pairs = compared(s, r)
    if any(not np.all(np.isfinite(got)) and np.all(np.isfinite(want)) for _, got, want in pairs):
        return NONFINITE
    differ = [(got, want) for _, got, want in pairs if not np.allclose(got, want, rtol=rtol, atol=atol)]
    if differ and n and n > 1:
        factors = [constant_factor(want, got, rtol, atol) for got, want in differ]
        if all(f is not None and (np.isclose(f, n, rtol=1e-6) or np.isclose(f, 1.0 / n, rtol=1e-6)) for f in factors):
            return BATCH_SCALE
    return VALUES


def failure_kind(student, reference, probes):
    """import | error | nonfinite | batch-scale | values: of the first call that failed or differs."""
    if any(r.status in IMPORT_STATUSES for r in student):
        return IMPORT
    for i, s in enumerate(student):
        if not s.ok:
            return ERROR
        r = reference[i] if i < len(reference) else None
        kind = value_kind(s, r, batch_size(probes[i]) if i < len(probes) else None)
        if kind != VALUES:
            return kind
    return VALUES


def pick(verdict, check, level, student, reference):
    """The hint a report shows for check's verdict at the rubric's level ("full", "concept", "none"):
    "" at "none"; an import error's; else the verdict's own (a substitution named the culprit, a crash is
    not slowness); else the check's hint for this kind of failure, a generic one, or the check's own."""
    if level == "none":
        return ""
    if verdict.passed:
        return check.hint_at(level)
    kind = failure_kind(student, reference, check.probes)
    if kind == IMPORT:
        return import_hint(level, unimported(student, check))
    if verdict.hint:
        return verdict.hint
    if kind in check.kind_hints:
        return at_level(check.kind_hints[kind], level)
    if kind in GENERIC:
        return at_level(GENERIC[kind], level)
    return check.hint_at(level)


def unimported(student, check):
    """The module whose import failed, as the first import error names it ("softmax.py failed to import"); else the
    check's own module."""
    for r in student:
        found = re.search(r"(\w+)\.py failed to import", r.message or "") if r.status in IMPORT_STATUSES else None
        if found:
            return found.group(1)
    return check.group.split(".", 1)[0]


def import_hint(level, module):
    """The import hint at a level, naming the module to import."""
    return at_level(GENERIC[IMPORT], level).replace("MODULE", module)


def at_level(hints, level):
    """(full, concept) at a level."""
    return hints[0] if level == "full" else hints[1]
