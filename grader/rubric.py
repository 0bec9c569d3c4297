"""The rubric: one TOML file loaded into frozen dataclasses. Unknown keys are errors."""

import difflib
import math
import os
import re
from collections.abc import Collection, Iterable
from dataclasses import MISSING, dataclass, fields
from pathlib import Path

from . import toml
from .checks.base import HINT_LEVELS  # `hints`: full may name the fix; concept explains without it

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
RULE_KEYS = {"points", "visibility", "timeout", "rtol", "atol"}
ENVELOPE_KEYS = {  # the sandbox's envelope, all its processes together (grader.envelope): key -> (default, minimum)
    "sandbox_memory_mb": (4096, 256),  # memory of all its processes
    "max_processes": (64, 8),  # processes and threads at once
    "disk_mb": (256, 1),  # its scratch folder (process isolation)
    "output_mb": (64, 1),  # all that its processes print, every call together
}
TOP_KEYS = {"total", "seed", "memory_mb", "import_timeout", "budget_s", "defaults", "groups", "checks", "hints", *ENVELOPE_KEYS}
BUDGET_S = 240.0  # default total seconds of one grade (grader.budget)
MIN_BUDGET_S = 1.0
CHECK_KEYS = {"visibility", "advice", "points"}  # of a [checks."<id>"] table
STRONG_SEED_BITS = 128  # a seed with fewer bits is weak: the machine's key is mixed in (grader.machine_key)
HEX_SEED = re.compile(r"0x([0-9a-fA-F]+)")  # a seed as a string: "0x" and hex digits (TOML integers stop at 64 bits)


class RubricError(ValueError):
    """The rubric file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class GroupRule:
    points: float
    visibility: str = "visible"
    timeout: float = 10.0  # seconds of wall time per call into the submission
    rtol: float = 1e-6
    atol: float = 1e-9
    params: object = None  # the group's typed parameters (grader.checks.catalog.PARAMS), e.g. TrainingParams


@dataclass(frozen=True)
class CheckRule:
    """A [checks."<id>"] table: settings of one check, by its stable id."""
    visibility: str | None = None  # None: the group's
    advice: bool = False  # reported with its hint; carries no points unless `points` gives it some
    points: float | None = None  # only for advice checks; taken from the group's points


@dataclass(frozen=True)
class Rubric:
    total: float
    seed: int  # base seed of every generated input (any size: a hex string seed may hold 256 bits)
    memory_mb: int
    import_timeout: float
    groups: dict  # group name -> GroupRule
    checks: dict  # check id -> CheckRule
    source: str = "<builtin>"
    budget_s: float = BUDGET_S  # seconds one whole grade may take (grader.budget splits it)
    hints: str = "concept"  # full | concept | none: which hint reports show
    strong_seed: bool = False  # the seed was written with >= STRONG_SEED_BITS bits (a hex string): no machine key needed
    sandbox_memory_mb: int = ENVELOPE_KEYS["sandbox_memory_mb"][0]  # memory of all of a sandbox's processes
    max_processes: int = ENVELOPE_KEYS["max_processes"][0]  # processes and threads of a sandbox at once
    disk_mb: int = ENVELOPE_KEYS["disk_mb"][0]  # a sandbox's scratch folder (process isolation)
    output_mb: int = ENVELOPE_KEYS["output_mb"][0]  # all that a sandbox's processes print

    def rule(self, group: str) -> GroupRule:
        return self.groups[group]

    def visibility(self, check_id: str, group: str) -> str:
        own = self.checks.get(check_id)
        return own.visibility if own and own.visibility else self.groups[group].visibility

    def advice(self, check_id: str) -> bool:
        own = self.checks.get(check_id)
        return bool(own and own.advice)

    def fixed_points(self) -> dict[str, float]:
        """{check id: points} of the advice checks (0 unless the rubric gives them points)."""
        return {id: float(c.points or 0.0) for id, c in self.checks.items() if c.advice}


def _number(where, key, value, minimum=0.0):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < minimum:
        raise RubricError(f"{where}: {key} must be a number >= {minimum:g}, got {value!r}")
    return value


def _whole(where, key, value, minimum):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise RubricError(f"{where}: {key} must be a whole number >= {minimum}, got {value!r}")
    return value


def _envelope(source, doc):
    """{key: value} of ENVELOPE_KEYS, each a whole number >= its minimum (its default when absent)."""
    return {key: _whole(source, key, doc.get(key, default), minimum) for key, (default, minimum) in ENVELOPE_KEYS.items()}


def _rule(where, group, table, defaults):
    if not isinstance(table, dict):
        raise RubricError(f"{where} must be a table")
    merged = {**defaults, **table}
    if "points" not in merged:
        raise RubricError(f"{where}: missing 'points'")
    visibility = merged.get("visibility", "visible")
    if visibility not in VISIBILITIES:
        raise RubricError(f"{where}: visibility must be one of {', '.join(VISIBILITIES)}, got {visibility!r}")
    for key in ("points", "timeout", "rtol", "atol"):
        if key in merged:
            _number(where, key, merged[key])
    params = _params(where, group, {k: v for k, v in merged.items() if k not in RULE_KEYS})
    return GroupRule(**{k: merged[k] for k in RULE_KEYS if k in merged}, params=params)


def _params(where, group, raw):
    """The group's parameters as its dataclass (grader.checks.catalog.PARAMS); None for a group without any.
    A key the group does not use, a missing key without a default, or a value of the wrong kind is an error."""
    from .checks.catalog import PARAMS  # the checks declare their parameters; imported when a rubric is parsed
    kind = PARAMS.get(group)
    known = {f.name: f for f in fields(kind)} if kind else {}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        allowed = ", ".join(sorted(RULE_KEYS | set(known)))
        raise RubricError(f"{where}: unknown key {unknown[0]!r} (known for this group: {allowed})")
    missing = [name for name, f in known.items() if f.default is MISSING and name not in raw]
    if missing:
        raise RubricError(f"{where}: missing {missing[0]!r}, which has no default (see the README's rubric section)")
    values = {}
    for name, value in raw.items():
        if known[name].type is int:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise RubricError(f"{where}: {name} must be a whole number >= 1, got {value!r}")
            values[name] = value
        else:
            values[name] = float(_number(where, name, value))
    return kind(**values) if kind else None


def _check_rule(where, table):
    if not isinstance(table, dict):
        raise RubricError(f"{where} must be a table")
    unknown = sorted(set(table) - CHECK_KEYS)
    if unknown:
        raise RubricError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(CHECK_KEYS))})")
    visibility = table.get("visibility")
    if visibility is not None and visibility not in VISIBILITIES:
        raise RubricError(f"{where}: visibility must be one of {', '.join(VISIBILITIES)}, got {visibility!r}")
    advice = table.get("advice", False)
    if not isinstance(advice, bool):
        raise RubricError(f"{where}: advice must be true or false, got {advice!r}")
    points = table.get("points")
    if points is not None:
        if not advice:
            raise RubricError(f"{where}: points may be set only on an advice check (advice = true); "
                              "the other checks share their group's points")
        _number(where, "points", points)
    return CheckRule(visibility, advice, points)


def parse_rubric(doc: dict, source: str = "<string>") -> Rubric:
    """Build a Rubric from a parsed TOML document."""
    unknown = sorted(set(doc) - TOP_KEYS)
    if unknown:
        raise RubricError(f"{source}: unknown key {unknown[0]!r} (known: {', '.join(sorted(TOP_KEYS))})")
    defaults = doc.get("defaults", {})
    bad = sorted(set(defaults) - (RULE_KEYS - {"points"}))
    if bad:
        raise RubricError(f"{source}: [defaults] unknown key {bad[0]!r} (known: {', '.join(sorted(RULE_KEYS - {'points'}))})")
    groups = {name: _rule(f"{source}: [groups.\"{name}\"]", name, table, defaults) for name, table in doc.get("groups", {}).items()}
    if not groups:
        raise RubricError(f"{source}: no [groups.\"...\"] tables")
    checks = {id: _check_rule(f"{source}: [checks.\"{id}\"]", table) for id, table in doc.get("checks", {}).items()}
    hints = doc.get("hints", "concept")
    if hints not in HINT_LEVELS:
        raise RubricError(f"{source}: hints must be one of {', '.join(HINT_LEVELS)}, got {hints!r}")
    total = _number(source, "total", doc.get("total", 100))
    points = sum(g.points for g in groups.values())
    if not math.isclose(points, total, abs_tol=1e-9):
        raise RubricError(f"{source}: the groups' points add up to {points:g}, but total is {total:g}")
    seed, strong = parse_seed(source, doc.get("seed", 0))
    return Rubric(total=total, seed=seed, strong_seed=strong, memory_mb=int(_number(source, "memory_mb", doc.get("memory_mb", 3072), 256)),
                  import_timeout=_number(source, "import_timeout", doc.get("import_timeout", 15.0), 1),
                  groups=groups, checks=checks, source=source, hints=hints,
                  budget_s=float(_number(source, "budget_s", doc.get("budget_s", BUDGET_S), MIN_BUDGET_S)),
                  **_envelope(source, doc))


def parse_seed(source: str, value: object) -> tuple[int, bool]:
    """(seed as an int, whether it is strong) from a rubric's `seed`: a non-negative integer (weak: TOML's are
    64-bit at most), or a string "0x..." of hex digits, strong when it holds at least STRONG_SEED_BITS bits."""
    if isinstance(value, str):
        match = HEX_SEED.fullmatch(value.strip())
        if not match:
            raise RubricError(f"{source}: seed must be an integer or a string of \"0x\" and hex digits, got {value!r}")
        return int(match.group(1), 16), 4 * len(match.group(1)) >= STRONG_SEED_BITS
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RubricError(f"{source}: seed must be an integer >= 0 or a string of \"0x\" and hex digits, got {value!r}")
    return value, False


def load_rubric(path: str | os.PathLike[str]) -> Rubric:
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


def closest(name: str, valid: Iterable[str]) -> str:
    """"; the closest is 'x'" naming the valid name nearest to name ("" when there is none), for messages."""
    close = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.0)
    return f"; the closest is {close[0]!r}" if close else ""


def validate_against(rubric: Rubric, group_names: Collection[str], check_ids: Collection[str]) -> None:
    """Every check group needs a rubric entry, every rubric entry a check group, every [checks."<id>"]
    table a check, and each group's advice points may not exceed the group's points."""
    missing = [g for g in group_names if g not in rubric.groups]
    if missing:
        raise RubricError(f"{rubric.source}: no [groups.\"{missing[0]}\"] entry for the checks of that group")
    unused = [g for g in rubric.groups if g not in group_names]
    if unused:
        raise RubricError(f"{rubric.source}: [groups.\"{unused[0]}\"] matches no check (known groups: {', '.join(group_names)})")
    for id in rubric.checks:
        if id not in check_ids:
            raise RubricError(f"{rubric.source}: [checks.\"{id}\"] matches no check id{closest(id, check_ids)}")
    for group, rule in rubric.groups.items():
        members = [id for id in check_ids if id.split("/", 1)[0] == group]
        fixed = sum(p for id, p in rubric.fixed_points().items() if id in members)
        main = [id for id in members if not rubric.advice(id)]
        if fixed > rule.points + 1e-9 or (not main and members and not math.isclose(fixed, rule.points, abs_tol=1e-9)):
            raise RubricError(f"{rubric.source}: [groups.\"{group}\"] has {rule.points:g} points, but its advice checks take "
                              f"{fixed:g}" + ("" if main else " and it has no other check to take the rest"))
