"""Numbers a student reported, read from a claims file, and their comparison with re-runs.

A claim is (sweep, swept value, metric, claimed accuracy). Sweeps: "lr" and "reg" (the
default config with that one value changed; any value, not only the swept ones) and
"tuned" (the tuned config file, no value). Metrics: "train", "val", "test" (also
"training", "validation", with or without "accuracy"). An accuracy above 1 is read as a
percentage (94.33 -> 0.9433), and so is one written with "%".

Formats, chosen by the file's suffix:

TOML (.toml), long form, one table per claim:

    [[claim]]
    sweep = "lr"
    value = 1
    metric = "train"
    claimed = 0.9433

TOML, short form, one table per run with any of train/val/test (mixable with the long form):

    [[lr]]
    value = 1
    train = 0.9433
    test = 0.9507

    [[reg]]
    value = 0.001
    val = 0.9612

    [tuned]
    test = 0.978

CSV (.csv), with a header: either `sweep,value,metric,claimed` (one claim per row) or
`sweep,value` followed by any of `train,val,test` (one run per row); value empty for tuned.

Text (any other suffix), one run per line; blank lines and lines starting with # are skipped:

    lr=1: train 0.9433, test 0.9507
    reg=0.001: train 95.1%, val 94.9%, test 94.8%
    tuned: test 0.978

Unknown keys, sweeps, metrics and unparseable lines are errors that name the place.
"""

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

from .. import toml
from .runs import RunResult
from .sweeps import SWEEPS, sweep_config, with_epochs
from .tables import format_accuracy, format_value, github_table

DEFAULT_TOLERANCE = 0.005  # absolute, in accuracy (0.5 percentage points)
SWEEP_NAMES = {"lr": "lr", "learning_rate": "lr", "reg": "reg", "tuned": "tuned"}
METRIC_NAMES = {"train": "train", "training": "train", "val": "val", "validation": "val", "test": "test"}
TEXT_LINE = re.compile(r"^\s*(?P<sweep>[A-Za-z_]+)\s*(?:=\s*(?P<value>[^:\s]+))?\s*:\s*(?P<rest>.+?)\s*$")
TEXT_PAIR = re.compile(r"^(?P<metric>[A-Za-z_]+?)(?:[ _]accuracy)?\s*[:=]?\s*(?P<number>[-+0-9.eE]+)\s*(?P<pct>%)?$")


class ClaimsError(ValueError):
    """The claims file cannot be read; the message names the file and the place."""


@dataclass(frozen=True)
class Claim:
    sweep: str  # "lr", "reg" or "tuned"
    value: float | None  # the swept value; None for tuned
    metric: str  # "train", "val" or "test"
    claimed: float  # accuracy in [0, 1]
    where: str  # e.g. "claims.toml, [[claim]] 3", for messages

    @property
    def label(self):
        """'lr 1, train' or 'tuned, test'."""
        run = self.sweep if self.value is None else f"{self.sweep} {format_value(self.value)}"
        return f"{run}, {self.metric}"


@dataclass(frozen=True)
class ClaimCheck:
    claim: Claim
    reproduced: float | None  # the re-run's accuracy; None when the run failed
    tolerance: float
    message: str = ""  # why there is no reproduced value

    @property
    def difference(self):
        """reproduced - claimed, or None."""
        return None if self.reproduced is None else self.reproduced - self.claim.claimed

    @property
    def within(self):
        d = self.difference
        return d is not None and math.isfinite(d) and abs(d) <= self.tolerance + 1e-12


# ---------------------------------------------------------------- reading one claim

def read_sweep(text, where):
    name = SWEEP_NAMES.get(str(text).strip().lower())
    if name is None:
        raise ClaimsError(f"{where}: unknown sweep {text!r}; use one of lr, reg, tuned")
    return name


def read_metric(text, where):
    key = str(text).strip().lower()
    key = re.sub(r"[ _]accuracy$", "", key)
    name = METRIC_NAMES.get(key)
    if name is None:
        raise ClaimsError(f"{where}: unknown metric {text!r}; use one of train, val, test")
    return name


def read_accuracy(value, where, percent=False):
    """A number in [0, 1], or a percentage (written with %, or above 1) scaled to it."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ClaimsError(f"{where}: {value!r} is not a number") from None
    if isinstance(value, bool) or not math.isfinite(number):
        raise ClaimsError(f"{where}: {value!r} is not a number")
    if percent or number > 1:
        number /= 100
    if not 0 <= number <= 1:
        raise ClaimsError(f"{where}: accuracy {value!r} is outside 0..1 (or 0..100%)")
    return number


def read_value(sweep, value, where):
    """The swept value: a positive number for lr, non-negative for reg, absent for tuned."""
    if sweep == "tuned":
        if value not in (None, ""):
            raise ClaimsError(f"{where}: a tuned claim takes no value (got {value!r})")
        return None
    if value in (None, ""):
        raise ClaimsError(f"{where}: a {sweep} claim needs the swept value")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ClaimsError(f"{where}: value {value!r} is not a number") from None
    if isinstance(value, bool) or not math.isfinite(number) or number < 0 or (sweep == "lr" and number == 0):
        raise ClaimsError(f"{where}: {value!r} is not a valid {sweep} value")
    return number


def claim(sweep, value, metric, claimed, where, percent=False):
    sweep = read_sweep(sweep, where)
    return Claim(sweep, read_value(sweep, value, where), read_metric(metric, where),
                 read_accuracy(claimed, where, percent), where)


def run_claims(sweep, value, metrics, where):
    """One claim per (metric, number) of one run. metrics: {metric: number or "94.3%"}."""
    if not metrics:
        raise ClaimsError(f"{where}: no train, val or test accuracy given")
    found = []
    for metric, number in metrics.items():
        percent = isinstance(number, str) and number.strip().endswith("%")
        found.append(claim(sweep, value, metric, number.strip().rstrip("%") if percent else number, where, percent))
    return found


def check_keys(table, allowed, where):
    if not isinstance(table, dict):
        raise ClaimsError(f"{where}: expected a table, got {type(table).__name__}")
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise ClaimsError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(allowed)}")


# ---------------------------------------------------------------- the three formats

def parse_toml(text, name):
    try:
        doc = toml.loads(text)
    except toml.TOMLDecodeError as exc:
        raise ClaimsError(f"{name}: not valid TOML ({exc})") from None
    check_keys(doc, ("claim", "lr", "reg", "tuned"), name)
    found = []
    for i, table in enumerate(_tables(doc.get("claim", []), f"{name}, [[claim]]"), 1):
        where = f"{name}, [[claim]] {i}"
        check_keys(table, ("sweep", "value", "metric", "claimed"), where)
        missing = [k for k in ("sweep", "metric", "claimed") if k not in table]
        if missing:
            raise ClaimsError(f"{where}: missing {', '.join(missing)}")
        found.append(claim(table["sweep"], table.get("value"), table["metric"], table["claimed"], where))
    for sweep in ("lr", "reg", "tuned"):
        for i, table in enumerate(_tables(doc.get(sweep, []), f"{name}, [{sweep}]"), 1):
            where = f"{name}, [[{sweep}]] {i}" if isinstance(doc.get(sweep), list) else f"{name}, [{sweep}]"
            keys = ("train", "val", "test", "training", "validation") + (("value",) if sweep != "tuned" else ())
            check_keys(table, keys, where)
            metrics = {k: v for k, v in table.items() if k != "value"}
            found += run_claims(sweep, table.get("value"), metrics, where)
    return found


def _tables(item, where):
    if isinstance(item, dict):
        return [item]
    if isinstance(item, list):
        return item
    raise ClaimsError(f"{where}: expected a table or an array of tables")


def parse_csv(text, name):
    rows = list(csv.reader(text.splitlines()))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise ClaimsError(f"{name}: empty")
    header = [h.strip().lower() for h in rows[0]]
    long_form = {"sweep", "metric", "claimed"} <= set(header)
    allowed = ("sweep", "value", "metric", "claimed") if long_form else \
        ("sweep", "value", "train", "val", "test", "training", "validation")
    check_keys(dict.fromkeys(header), allowed, f"{name}, header")
    if "sweep" not in header:
        raise ClaimsError(f"{name}, header: needs a sweep column")
    found = []
    for line, row in enumerate(rows[1:], 2):
        where = f"{name}, line {line}"
        if len(row) != len(header):
            raise ClaimsError(f"{where}: {len(row)} fields, the header has {len(header)}")
        cells = {h: c.strip() for h, c in zip(header, row)}
        if long_form:
            percent = cells["claimed"].endswith("%")
            found.append(claim(cells["sweep"], cells.get("value"), cells["metric"], cells["claimed"].rstrip("%"),
                               where, percent))
        else:
            metrics = {h: cells[h] for h in header if h not in ("sweep", "value") and cells[h]}
            found += run_claims(cells["sweep"], cells.get("value"), metrics, where)
    return found


def parse_text(text, name):
    found = []
    for line, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        where = f"{name}, line {line}"
        match = TEXT_LINE.match(stripped)
        if not match:
            raise ClaimsError(f"{where}: cannot read {stripped!r}; expected e.g. 'lr=1: train 0.9433, test 0.9507'")
        metrics = {}
        for part in match["rest"].split(","):
            pair = TEXT_PAIR.match(part.strip())
            if not pair:
                raise ClaimsError(f"{where}: cannot read {part.strip()!r}; expected e.g. 'test 0.9507'")
            metrics[pair["metric"]] = pair["number"] + (pair["pct"] or "")
        found += run_claims(match["sweep"], match["value"], metrics, where)
    return found


def parse_claims(path):
    """The claims in the file at path, in file order. Raises ClaimsError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ClaimsError(f"{path}: cannot be read ({exc})") from None
    parser = {".toml": parse_toml, ".csv": parse_csv}.get(path.suffix.lower(), parse_text)
    found = parser(text, str(path))
    if not found:
        raise ClaimsError(f"{path}: no claims found")
    return tuple(found)


# ---------------------------------------------------------------- comparing

def claim_config(claim, tuned, epochs=None):
    """The TrainConfig a claim is about: the default with lr or reg changed, or the tuned config."""
    if claim.sweep == "tuned":
        return with_epochs(tuned, epochs)
    return sweep_config(SWEEPS[claim.sweep], claim.value, epochs=epochs)


def check_claims(claims, outcomes, tuned, tolerance=DEFAULT_TOLERANCE, epochs=None):
    """One ClaimCheck per claim. outcomes: config -> RunResult | RunFailure (see runs.run_all)."""
    checks = []
    for c in claims:
        outcome = outcomes[claim_config(c, tuned, epochs)]
        if isinstance(outcome, RunResult):
            checks.append(ClaimCheck(c, outcome.accuracy(c.metric), tolerance))
        else:
            checks.append(ClaimCheck(c, None, tolerance, f"run failed: {outcome.message}"))
    return tuple(checks)


def verdict(check):
    if check.reproduced is None:
        return check.message
    return "ok" if check.within else "MISMATCH"


def claims_table(checks):
    rows = [[c.claim.label, format_accuracy(c.claim.claimed),
             "-" if c.reproduced is None else format_accuracy(c.reproduced),
             "-" if c.difference is None else f"{c.difference:+.4f}", verdict(c)] for c in checks]
    tolerance = checks[0].tolerance if checks else DEFAULT_TOLERANCE
    return github_table(["claim", "claimed", "reproduced", "difference", f"within ±{tolerance:g}"], rows,
                        align=("left", "right", "right", "right", "left"))


def summary(checks):
    within = sum(c.within for c in checks)
    failed = sum(c.reproduced is None for c in checks)
    text = f"{within} of {len(checks)} claims reproduced within ±{checks[0].tolerance:g}" if checks else "no claims"
    return text + (f"; {failed} could not be re-run" if failed else "")
