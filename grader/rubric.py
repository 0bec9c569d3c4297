"""The rubric: one TOML file loaded into frozen dataclasses. Unknown keys are errors."""

import math
from dataclasses import dataclass, field
from pathlib import Path

from . import toml

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
RULE_KEYS = {"points", "visibility", "timeout", "rtol", "atol"}
PARAM_KEYS = {  # group-specific parameters, documented in the README
    "threshold", "margin", "reference_accuracy", "epochs", "subset", "steps", "max_ratio", "repeats",
    "eps", "max_rel_error", "digits_threshold", "digits_epochs", "batch_size",
}
TOP_KEYS = {"total", "seed", "memory_mb", "import_timeout", "budget_s", "defaults", "groups", "checks"}
BUDGET_S = 240.0  # default total seconds of one grade (grader.budget)
MIN_BUDGET_S = 1.0


class RubricError(ValueError):
    """The rubric file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class GroupRule:
    points: float
    visibility: str = "visible"
    timeout: float = 10.0  # seconds of wall time per call into the submission
    rtol: float = 1e-6
    atol: float = 1e-9
    params: dict = field(default_factory=dict)  # group-specific, e.g. {"threshold": 0.85}

    def param(self, key, default=None):
        return self.params.get(key, default)


@dataclass(frozen=True)
class Rubric:
    total: float
    seed: int  # base seed of every generated input
    memory_mb: int
    import_timeout: float
    groups: dict  # group name -> GroupRule
    check_visibility: dict  # full check name -> visibility override
    source: str = "<builtin>"
    budget_s: float = BUDGET_S  # seconds one whole grade may take (grader.budget splits it)

    def rule(self, group):
        return self.groups[group]

    def visibility(self, check_name, group):
        return self.check_visibility.get(check_name, self.groups[group].visibility)


def _number(where, key, value, minimum=0.0):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < minimum:
        raise RubricError(f"{where}: {key} must be a number >= {minimum:g}, got {value!r}")
    return value


def _rule(where, table, defaults):
    if not isinstance(table, dict):
        raise RubricError(f"{where} must be a table")
    unknown = sorted(set(table) - RULE_KEYS - PARAM_KEYS)
    if unknown:
        raise RubricError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(RULE_KEYS | PARAM_KEYS))})")
    merged = {**defaults, **table}
    if "points" not in merged:
        raise RubricError(f"{where}: missing 'points'")
    visibility = merged.get("visibility", "visible")
    if visibility not in VISIBILITIES:
        raise RubricError(f"{where}: visibility must be one of {', '.join(VISIBILITIES)}, got {visibility!r}")
    for key in ("points", "timeout", "rtol", "atol", *PARAM_KEYS):
        if key in merged:
            _number(where, key, merged[key])
    params = {k: v for k, v in merged.items() if k in PARAM_KEYS}
    rule_args = {k: merged[k] for k in RULE_KEYS if k in merged}
    return GroupRule(**rule_args, params=params)


def parse_rubric(doc, source="<string>"):
    """Build a Rubric from a parsed TOML document."""
    unknown = sorted(set(doc) - TOP_KEYS)
    if unknown:
        raise RubricError(f"{source}: unknown key {unknown[0]!r} (known: {', '.join(sorted(TOP_KEYS))})")
    defaults = doc.get("defaults", {})
    bad = sorted(set(defaults) - (RULE_KEYS - {"points"}))
    if bad:
        raise RubricError(f"{source}: [defaults] unknown key {bad[0]!r} (known: {', '.join(sorted(RULE_KEYS - {'points'}))})")
    groups = {name: _rule(f"{source}: [groups.\"{name}\"]", table, defaults) for name, table in doc.get("groups", {}).items()}
    if not groups:
        raise RubricError(f"{source}: no [groups.\"...\"] tables")
    overrides = {}
    for name, table in doc.get("checks", {}).items():
        if not isinstance(table, dict) or set(table) - {"visibility"}:
            extra = sorted(set(table) - {"visibility"}) if isinstance(table, dict) else ["(not a table)"]
            raise RubricError(f"{source}: [checks.\"{name}\"] unknown key {extra[0]!r} (only 'visibility' may be set per check)")
        if table.get("visibility") not in VISIBILITIES:
            raise RubricError(f"{source}: [checks.\"{name}\"] visibility must be one of {', '.join(VISIBILITIES)}")
        overrides[name] = table["visibility"]
    total = _number(source, "total", doc.get("total", 100))
    points = sum(g.points for g in groups.values())
    if not math.isclose(points, total, abs_tol=1e-9):
        raise RubricError(f"{source}: the groups' points add up to {points:g}, but total is {total:g}")
    seed = doc.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise RubricError(f"{source}: seed must be an integer, got {seed!r}")
    return Rubric(total=total, seed=seed, memory_mb=int(_number(source, "memory_mb", doc.get("memory_mb", 3072), 256)),
                  import_timeout=_number(source, "import_timeout", doc.get("import_timeout", 15.0), 1),
                  groups=groups, check_visibility=overrides, source=source,
                  budget_s=float(_number(source, "budget_s", doc.get("budget_s", BUDGET_S), MIN_BUDGET_S)))


def load_rubric(path):
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise RubricError(f"cannot read rubric {path}: {exc.strerror}") from None
    try:
        doc = toml.loads(text)
    except toml.TOMLDecodeError as exc:
        raise RubricError(f"{path}: not valid TOML ({exc})") from None
    return parse_rubric(doc, str(path))


def validate_against(rubric, group_names):
    """Every check group needs a rubric entry and every rubric entry a check group."""
    missing = [g for g in group_names if g not in rubric.groups]
    if missing:
        raise RubricError(f"{rubric.source}: no [groups.\"{missing[0]}\"] entry for the checks of that group")
    unused = [g for g in rubric.groups if g not in group_names]
    if unused:
        raise RubricError(f"{rubric.source}: [groups.\"{unused[0]}\"] matches no check (known groups: {', '.join(group_names)})")
