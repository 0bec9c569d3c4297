"""The proof-of-grader corpus: submissions whose correct grade is known in advance.

tests/corpus/<kind>/<case>/ holds case.toml, and the module files a case rewrites (if any):

    description = "softmax without max subtraction overflows for large scores"
    fails = ["softmax"]          # areas that must lose points (a check failed in each)
    passes = ["activations", ...]  # areas whose checks must all pass
    max_seconds = 120            # optional: bound on the grading wall time
    budget_s = 60                # optional: the grade's time budget (--budget), instead of the rubric's
    untouched = ["/tmp/results.json"]  # optional: files grading must not create or change
    listen = 47811               # optional: a TCP port on 127.0.0.1 the self-test listens on while
                                 # grading; any connection that arrives fails the case
    must_fail = ["two_layer_net.TwoLayerNet.forward/central-differences"]  # optional: check-id globs
                                 # (fnmatch, as in results.json's tests[].id; a name glob works too); each
                                 # must match a check, and every check it matches must have failed
    blame = ["two_layer_net.TwoLayerNet.forward"]  # bugs: the function(s) at fault, as a check group
                                 # (<module>.<function>); every failed check must be of that group or
                                 # name it in its feedback ("TwoLayerNet.forward")
    [[edit]]                     # optional, repeatable: a small change to one reference module, instead
    module = "perceptron"        # of a whole copy of it; `old` must occur exactly once in the module (its
    old = "b = 0.0"              # solution markers removed), and is replaced by `new`. Edits apply after
    new = "b = np.zeros(1)"      # the case's own file for that module, when it has one.

A change in a few places is stated as edits (in '''...''' strings: whole lines, written verbatim); a case
holds a whole module file only when it rewrites a quarter of it or more, or another test opens that file by its
path (tests/test_corpus_logic.py holds to both: READ_AS_FILES).

kinds: bugs (one realistic defect each), alternatives (correct, different code:
full marks) and hostile (attacks on the grader: contained, and never forging
the report). The graded submission is the reference overlaid with the case's
files and edits. Every case, whatever its kind, also needs a report free of control
characters: no string in results.json may hold a C0 or C1 control character
(ESC included) other than newline and tab, or DEL. Everything here is pure
except load_case/load_cases, case_source and materialize.
"""

import fnmatch
import math
import os
import re
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import toml
from .budget import MARGIN_S
from .paths import PROJECT_DIR, REFERENCE_DIR
from .skeleton import unmarked_source
from .harness.contract import HELPER_MODULES, HELPER_USERS
from .submission import MODULES

CORPUS_DIR = PROJECT_DIR / "tests" / "corpus"
CASE_FILE = "case.toml"
KINDS = ("bugs", "alternatives", "hostile")
AREAS = ("activations", "softmax", "perceptron", "two_layer_net", "optimizer", "training", "performance")
TAG_PREFIX = "corpus-case="  # hostile cases put f"{TAG_PREFIX}{name}" in their children's argv, so strays can be found
KEYS = {"description", "fails", "passes", "max_seconds", "budget_s", "untouched", "listen", "must_fail", "blame", "edit"}


class CaseError(ValueError):
    """A case folder or its case.toml is malformed. The message names the file."""


@dataclass(frozen=True)
class Edit:
    """One replacement in one module of the reference: `old` occurs there exactly once."""
    module: str
    old: str
    new: str


@dataclass(frozen=True)
class Case:
    name: str  # the folder name, e.g. "softmax_no_max_shift"
    kind: str  # one of KINDS ("oracle" for the reference itself)
    description: str
    fails: tuple  # areas that must lose points
    passes: tuple  # areas that must keep every point
    max_seconds: float | None  # bound on grading wall time, or None
    path: Path  # the case folder
    untouched: tuple = ()  # files that grading must not create or modify ("~" and "{project}" expanded)
    listen: int | None = None  # a port on 127.0.0.1 that must receive no connection while grading
    must_fail: tuple = ()  # check-name globs: each matches a check, and every check it matches failed
    budget_s: float | None = None  # the grade's time budget, or None for the rubric's
    blame: tuple = ()  # groups at fault, e.g. ("two_layer_net.TwoLayerNet.forward",): every failed check names one
    edits: tuple = ()  # of Edit, applied to the reference's modules (after the case's own file, if any)

    @property
    def files(self):
        """The module files the case folder holds, e.g. ("softmax",)."""
        return tuple(sorted(p.stem for p in self.path.glob("*.py") if p.stem in MODULES))

    @property
    def modules(self):
        """The modules this case changes, by a file or an edit, e.g. ("optimizer", "softmax")."""
        return tuple(sorted(set(self.files) | {e.module for e in self.edits}))

    @property
    def tag(self):
        return f"{TAG_PREFIX}{self.name}"

    @property
    def label(self):
        return f"{self.kind}/{self.name}"


REFERENCE_CASE = Case("reference", "oracle", "the reference solution itself", (), AREAS, None, REFERENCE_DIR)

# -- loading -------------------------------------------------------------------


def _areas(value, key, where):
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        raise CaseError(f"{where}: {key} must be a list of area names, got {value!r}")
    unknown = [a for a in value if a not in AREAS]
    if unknown:
        raise CaseError(f"{where}: unknown area(s) in {key}: {', '.join(unknown)}; known: {', '.join(AREAS)}")
    if len(set(value)) != len(value):
        raise CaseError(f"{where}: {key} lists an area twice: {value!r}")
    return tuple(value)


def _expand(path):
    return os.path.expanduser(path.replace("{project}", str(PROJECT_DIR)))


def parse_case(doc, name, kind, path):
    """Build a Case from a parsed case.toml, checking every rule of the corpus."""
    where = f"{path / CASE_FILE}"
    unknown = sorted(set(doc) - KEYS)
    if unknown:
        raise CaseError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(KEYS))}")
    description = doc.get("description")
    if not isinstance(description, str) or not description.strip():
        raise CaseError(f"{where}: description must be a non-empty string")
    for key in ("fails", "passes"):
        if key not in doc:
            raise CaseError(f"{where}: missing {key} (a list of areas)")
    fails, passes = _areas(doc["fails"], "fails", where), _areas(doc["passes"], "passes", where)
    both = sorted(set(fails) & set(passes))
    if both:
        raise CaseError(f"{where}: area(s) both in fails and passes: {', '.join(both)}")
    if kind == "bugs" and not fails:
        raise CaseError(f"{where}: a bug must make at least one area fail")
    if kind == "alternatives" and (fails or set(passes) != set(AREAS)):
        raise CaseError(f"{where}: an alternative must pass every area ({', '.join(AREAS)}) and fail none")
    max_seconds = doc.get("max_seconds")
    if max_seconds is not None and (isinstance(max_seconds, bool) or not isinstance(max_seconds, (int, float)) or max_seconds <= 0):
        raise CaseError(f"{where}: max_seconds must be a positive number, got {max_seconds!r}")
    budget_s = doc.get("budget_s")
    if budget_s is not None and (isinstance(budget_s, bool) or not isinstance(budget_s, (int, float)) or budget_s < 1):
        raise CaseError(f"{where}: budget_s must be a number of seconds >= 1, got {budget_s!r}")
    untouched = doc.get("untouched", [])
    if not isinstance(untouched, list) or not all(isinstance(p, str) and p for p in untouched):
        raise CaseError(f"{where}: untouched must be a list of paths, got {untouched!r}")
    listen = doc.get("listen")
    if listen is not None and (isinstance(listen, bool) or not isinstance(listen, int) or not 1024 <= listen <= 65535):
        raise CaseError(f"{where}: listen must be a TCP port number from 1024 to 65535, got {listen!r}")
    must_fail = doc.get("must_fail", [])
    if not isinstance(must_fail, list) or not all(isinstance(g, str) and g.strip() for g in must_fail):
        raise CaseError(f"{where}: must_fail must be a list of check-name globs, got {must_fail!r}")
    for glob in must_fail:
        literal = re.split(r"[*?\[]", glob, maxsplit=1)[0]  # the part before the first wildcard
        if literal and area_of(literal) not in AREAS and not any(a.startswith(literal) for a in AREAS):
            raise CaseError(f"{where}: must_fail glob {glob!r} names no area; check names start with one of {', '.join(AREAS)}")
    blame = doc.get("blame", [])
    if not isinstance(blame, list) or not all(isinstance(b, str) and re.fullmatch(r"[a-z_]+(\.[A-Za-z_]+)+", b) for b in blame):
        raise CaseError(f"{where}: blame must be a list of functions as check groups, e.g. "
                        f"[\"two_layer_net.TwoLayerNet.forward\"], got {blame!r}")
    unknown = [b for b in blame if area_of(b) not in AREAS]
    if unknown:
        raise CaseError(f"{where}: blame names no module of the assignment: {', '.join(unknown)}")
    if kind == "bugs" and not blame:
        raise CaseError(f"{where}: a bug must say which function its feedback must blame (blame = [\"module.function\"])")
    return Case(name, kind, description.strip(), fails, passes, None if max_seconds is None else float(max_seconds),
                path, tuple(_expand(p) for p in untouched), listen, tuple(must_fail),
                None if budget_s is None else float(budget_s), tuple(blame), _edits(doc.get("edit", []), where))


def _edits(value, where):
    """The [[edit]] tables as Edits: each names a module and holds two different, non-empty strings."""
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        raise CaseError(f"{where}: edit must be an array of tables ([[edit]] with module, old and new)")
    edits = []
    for n, table in enumerate(value, 1):
        if set(table) != {"module", "old", "new"}:
            raise CaseError(f"{where}: edit {n} must have exactly the keys module, old and new, got {sorted(table)}")
        if table["module"] not in MODULES:
            raise CaseError(f"{where}: edit {n} names no module of the assignment: {table['module']!r}; known: {', '.join(MODULES)}")
        if not all(isinstance(table[k], str) for k in ("old", "new")) or not table["old"] or table["old"] == table["new"]:
            raise CaseError(f"{where}: edit {n} needs `old` (non-empty) and `new` as two different strings")
        edits.append(Edit(table["module"], table["old"], table["new"]))
    return tuple(edits)


def edited(text, edits, where):
    """text with each Edit applied in turn; CaseError when an edit's `old` is not there exactly once."""
    for n, e in enumerate(edits, 1):
        count = text.count(e.old)
        if count != 1:
            raise CaseError(f"{where}: edit {n} of {e.module}.py: `old` occurs {count} times in the module, "
                            f"not once: {e.old[:80]!r}")
        text = text.replace(e.old, e.new)
    return text


def case_source(case, module, reference=REFERENCE_DIR):
    """The text of one changed module of a case: its own file, else the reference's without solution markers,
    then its edits for that module."""
    own = case.path / f"{module}.py"
    where = f"{case.path / CASE_FILE}"
    if own.is_file():
        text = own.read_text()
    else:
        source = Path(reference) / f"{module}.py"
        text = unmarked_source(source.read_text(), str(source))
    return edited(text, [e for e in case.edits if e.module == module], where)


def check_files(path):
    """A case folder holds case.toml and module files of the assignment, nothing else."""
    for p in sorted(path.iterdir()):
        if p.name == CASE_FILE or p.name == "__pycache__":
            continue
        if p.suffix != ".py" or p.stem not in MODULES:
            raise CaseError(f"{p}: a case may only hold {CASE_FILE} and the modules {', '.join(m + '.py' for m in MODULES)}")


def load_case(path, kind):
    path = Path(path)
    if kind not in KINDS:
        raise CaseError(f"{path}: unknown kind {kind!r}; known: {', '.join(KINDS)}")
    if not re.fullmatch(r"[A-Za-z0-9_]+", path.name):
        raise CaseError(f"{path}: a case name uses letters, digits and underscores only")
    toml_path = path / CASE_FILE
    if not toml_path.is_file():
        raise CaseError(f"{path}: no {CASE_FILE}")
    try:
        with open(toml_path, "rb") as f:
            doc = toml.load(f)
    except toml.TOMLDecodeError as exc:
        raise CaseError(f"{toml_path}: not valid TOML ({exc})") from None
    check_files(path)
    case = parse_case(doc, path.name, kind, path)
    if not case.modules:
        raise CaseError(f"{path}: the case changes no module (add e.g. softmax.py, or an [[edit]] in {CASE_FILE})")
    for module in case.modules:
        case_source(case, module)  # every edit applies: CaseError at load, not while grading
    return case


def load_cases(root=CORPUS_DIR, kinds=KINDS):
    """Every case under root/<kind>/, in KINDS order then by name. Names are unique across kinds."""
    root = Path(root)
    cases, seen, ports = [], {}, {}
    for kind in kinds:
        folder = root / kind
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.iterdir() if p.is_dir() and p.name != "__pycache__"):
            case = load_case(path, kind)
            if case.name in seen:
                raise CaseError(f"{path}: the name {case.name!r} is also used by {seen[case.name]}")
            if case.listen is not None and case.listen in ports:  # cases are graded in parallel
                raise CaseError(f"{path}: listen = {case.listen} is also used by {ports[case.listen]}")
            seen[case.name] = path
            if case.listen is not None:
                ports[case.listen] = path
            cases.append(case)
    return cases


def materialize(case, dest, reference=REFERENCE_DIR):
    """Write the submission a case stands for into dest: the reference's modules, then the case's files."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for module in MODULES:
        shutil.copyfile(Path(reference) / f"{module}.py", dest / f"{module}.py")
    for module in case.modules:
        (dest / f"{module}.py").write_text(case_source(case, module, reference))
    return dest


# -- what the grader produced ------------------------------------------------------


def area_of(check_name):
    """The area of a check: its name up to the first '.' or ':'."""
    return re.split(r"[.:/]", check_name, maxsplit=1)[0].strip()


@dataclass(frozen=True)
class AreaResult:
    area: str
    score: float
    max_score: float
    checks: int
    failed: int  # checks not passed, or scored below their maximum

    @property
    def lost(self):
        return self.failed > 0 or self.score < self.max_score - 1e-9

    def text(self):
        return f"{self.area} {self.score:g}/{self.max_score:g}"


def _failed(test):
    """Whether a check failed, or scored below its maximum."""
    return test.get("status") != "passed" or _number(test.get("score")) < _number(test.get("max_score")) - 1e-9


def _lost(test):
    """Whether a check lost points: it failed, unless it is an advice check worth nothing (advice, not a loss)."""
    if test.get("advice") is True and _number(test.get("max_score")) == 0:
        return False
    return _failed(test)


def _number(value):
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan


def summarize(results):
    """results.json's tests grouped by area: {area: AreaResult}, AREAS first, then any other area."""
    groups = {}
    for test in results.get("tests", []):
        groups.setdefault(area_of(str(test.get("name", ""))), []).append(test)
    order = [a for a in AREAS if a in groups] + sorted(a for a in groups if a not in AREAS)
    return {a: AreaResult(a, sum(_number(t.get("score")) for t in groups[a]), sum(_number(t.get("max_score")) for t in groups[a]),
                          len(groups[a]), sum(_lost(t) for t in groups[a])) for a in order}


def forgery_problems(results, known_names):
    """Reasons to believe results.json is not the grader's own (empty when it looks genuine).

    known_names: the check names the grader wrote for the reference, or None to skip that comparison.
    """
    tests = results.get("tests")
    if not isinstance(tests, list) or not all(isinstance(t, dict) for t in tests):
        return ["results.json has no list of tests"]
    problems = []
    names = [t.get("name") for t in tests]
    if len(set(map(str, names))) != len(names):
        problems.append("results.json repeats a check name")
    if known_names is not None:
        unknown = sorted(str(n) for n in set(names) - set(known_names))
        missing = sorted(set(known_names) - set(names))
        if unknown:
            problems.append(f"results.json has checks the grader does not have: {', '.join(unknown[:3])}")
        if missing:
            problems.append(f"results.json lacks {len(missing)} of the grader's checks, e.g. {missing[0]}")
    for t in tests:
        score, top = _number(t.get("score")), _number(t.get("max_score"))
        if not (0 <= score <= top + 1e-9):
            problems.append(f"check {t.get('name')!r} scores {t.get('score')!r} of {t.get('max_score')!r}")
            break
    total = sum(_number(t.get("score")) for t in tests)
    if not math.isclose(_number(results.get("score")), total, rel_tol=1e-9, abs_tol=1e-6):
        problems.append(f"the score {results.get('score')!r} is not the sum of the checks' scores ({total:g})")
    return problems


# -- judging one case ------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """What the runner observed while grading one case."""

    results: dict | None  # the parsed results.json, or None
    error: str  # why results is None ("" otherwise)
    seconds: float  # wall time of `grader grade`
    strays: tuple = ()  # the case's processes alive after grading, described, one per process group
    touched: tuple = ()  # files from case.untouched that were created or changed
    exit_code: int | None = 0  # of `grader grade`; None when it had to be killed
    connections: tuple = ()  # connections that reached case.listen while grading, described
    listen_error: str = ""  # why case.listen could not be listened on ("" when it was)
    budget_s: float | None = None  # the time budget the case was graded with: it must end within it plus MARGIN_S
    isolation: str = "auto"  # the --isolation the case was graded with (auto | bwrap | process)


@dataclass(frozen=True)
class Outcome:
    case: str
    kind: str
    expected: str  # e.g. "loses softmax; keeps all else"
    actual: str  # e.g. "lost softmax 4.5/18.5; 12.3 s"
    ok: bool
    problems: tuple  # why not ok, one sentence each
    seconds: float
    caught: bool = False  # every area in fails lost points
    full_marks: bool = False  # no check lost any point
    areas: dict = field(default_factory=dict)  # area -> [score, max_score, checks, failed]
    isolation: str = ""  # the mode that graded it, from results.json ("process"); the requested one, "(requested)", without a report


def expected_text(case):
    parts = []
    if case.fails:
        parts.append("loses " + ", ".join(case.fails))
    if set(case.passes) == set(AREAS):
        parts.append("full marks")
    elif set(case.passes) | set(case.fails) == set(AREAS):
        parts.append("keeps all else")
    elif case.passes:
        parts.append("keeps " + ", ".join(case.passes))
    if case.kind == "hostile":
        parts.append(f"contained{f' in {case.max_seconds:g} s' if case.max_seconds else ''}")
    return "; ".join(parts)


def actual_text(areas, seconds):
    lost = [a.text() for a in areas.values() if a.lost]
    return f"{'lost ' + ', '.join(lost) if lost else 'full marks'}; {seconds:.1f} s"


def expectation_problems(case, areas):
    """How the per-area results differ from what the case expects."""
    problems = []
    for area in case.fails:
        if area not in areas:
            problems.append(f"expected {area} to lose points, but the report has no {area} check")
        elif not areas[area].lost:
            problems.append(f"expected {area} to lose points, got {areas[area].text()}")
    for area in case.passes:
        if area not in areas:
            problems.append(f"expected every {area} check to pass, but the report has no {area} check")
        elif areas[area].lost:
            problems.append(f"expected {area} to keep every point, got {areas[area].text()} ({areas[area].failed} check(s) failed)")
    return problems


GRADER_EXIT_OK = (0, 1)  # 1: below --fail-under; 2 is a usage error, 3 a grader fault


def containment_problems(case, evidence):
    problems = []
    if evidence.exit_code not in GRADER_EXIT_OK:
        problems.append(f"`grader grade` {'was killed' if evidence.exit_code is None else f'exited with status {evidence.exit_code}'}")
    if case.max_seconds is not None and evidence.seconds > case.max_seconds:
        problems.append(f"grading took {evidence.seconds:.1f} s, more than the {case.max_seconds:g} s allowed")
    if evidence.budget_s is not None and evidence.seconds > evidence.budget_s + MARGIN_S:
        problems.append(f"grading took {evidence.seconds:.1f} s, more than its {evidence.budget_s:g} s budget "
                        f"plus the {MARGIN_S:g} s margin")
    if evidence.strays:
        problems.append(f"{len(evidence.strays)} process group(s) survived grading: {'; '.join(evidence.strays[:3])}")
    if evidence.touched:
        problems.append(f"grading created or changed {', '.join(evidence.touched)}")
    said = evidence.results.get("isolation") if isinstance(evidence.results, dict) else None
    if evidence.isolation != "auto" and said is not None and said != evidence.isolation:
        problems.append(f"asked for --isolation {evidence.isolation}, but results.json says it was graded in {said!r}")
    if evidence.listen_error:
        problems.append(f"could not listen on 127.0.0.1:{case.listen}, so connections went unwatched: {evidence.listen_error}")
    if evidence.connections:
        problems.append(f"{len(evidence.connections)} connection(s) reached 127.0.0.1:{case.listen}: {'; '.join(evidence.connections[:3])}")
    return problems


CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 but tab and newline, DEL, C1


def control_characters(results):
    """Where the strings of a results.json (keys and values, at any depth) hold control characters:
    a list of (path, the characters' code points), e.g. [("tests[6].output", "U+001B U+0007")]."""
    found = []

    def visit(value, path):
        if isinstance(value, str):
            bad = sorted(set(CONTROL.findall(value)))
            if bad:
                found.append((path, " ".join(f"U+{ord(c):04X}" for c in bad)))
        elif isinstance(value, dict):
            for k, v in value.items():
                name = str(k) if not CONTROL.search(str(k)) else repr(k)  # the path itself stays printable
                visit(k, f"{path}[key {name}]" if path else f"[key {name}]")
                visit(v, f"{path}.{name}" if path else name)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                visit(v, f"{path}[{i}]")

    visit(results, "")
    return found


def control_problems(results):
    found = control_characters(results)
    if not found:
        return []
    where = ", ".join(f"{path} ({chars})" for path, chars in found[:3])
    return [f"results.json holds control characters in {len(found)} string(s), which a terminal would obey: {where}"]


def must_fail_problems(case, results):
    """How the checks matching case.must_fail differ from 'matched, and all failed'."""
    tests = [t for t in results.get("tests", []) if isinstance(t, dict)]
    problems = []
    for glob in case.must_fail:
        matched = [t for t in tests if fnmatch.fnmatchcase(str(t.get("id", "")), glob) or fnmatch.fnmatchcase(str(t.get("name", "")), glob)]
        passed = [str(t.get("name")) for t in matched if not _failed(t)]
        if not matched:
            problems.append(f"must_fail: no check matches {glob!r}")
        elif passed:
            problems.append(f"expected every check matching {glob!r} to fail, but {len(passed)} of {len(matched)} passed, e.g. {passed[0]}")
    return problems


def short_name(group):
    """How feedback names a function: 'TwoLayerNet.forward' for a method, 'softmax' for a function."""
    parts = group.split(".")[1:]
    return ".".join(parts[-2:]) if len(parts) > 1 else parts[0]


def names(text, function):
    """Whether text names the function (its short name) as a word of its own: "sigmoid" is not named by
    "sigmoid_grad(array ...)", nor "softmax" by "softmax_jacobian(...)" or "(at softmax.py line 9)". A module
    that fails to import is at fault as a whole: "softmax.py failed to import" names each of its functions."""
    module = re.escape(area_of(function))
    if re.search(rf"(?<!\w){module}\.py\b[^.]*\bto import\b|\bimport(ing)? {module}\.py\b", text):
        return True
    return re.search(rf"(?<!\w){re.escape(short_name(function))}(?!\w|\.py\b)", text) is not None


def blame_problems(case, results):
    """The failed checks whose feedback names none of case.blame (and that are not of a blamed group)."""
    if not case.blame:
        return []
    problems = []
    for t in results.get("tests", []):
        if not isinstance(t, dict) or not _lost(t):
            continue
        name, output = str(t.get("name", "")), str(t.get("output", ""))
        if any(name.startswith(b + ":") or names(output, b) for b in case.blame):
            continue
        problems.append(f"blame: the failed check {name!r} does not name {' or '.join(short_name(b) for b in case.blame)} "
                        f"in its feedback: {output[:160]!r}")
    return problems


def graded_in(evidence):
    """Which isolation mode graded the case: results.json's "isolation", else the requested mode, marked so."""
    said = evidence.results.get("isolation") if isinstance(evidence.results, dict) else None
    return str(said) if said else f"{evidence.isolation} (requested)"


INDEPENDENT = tuple(m for m in MODULES if m not in HELPER_MODULES + HELPER_USERS)  # imported by no other module


def focus_of(case):
    """The --only glob that grades every check whose processes import a module the case changes, when those are
    the checks of one module alone (one that no other module imports, e.g. "perceptron.*"); else None. The case's
    code runs only in those processes, so containment is judged as fully as by a whole grade, at a fraction of it."""
    return f"{case.modules[0]}.*" if len(case.modules) == 1 and case.modules[0] in INDEPENDENT else None


def focused(case):
    """The case as judged when graded with focus_of(case): the areas it keeps are those that were graded."""
    return replace(case, passes=tuple(a for a in case.passes if a in case.modules))


def evaluate(case, evidence, known_names=None):
    """Judge one graded case against its expectation. Pure: everything observed comes in evidence."""
    problems = containment_problems(case, evidence)
    if evidence.results is None:
        problems.insert(0, f"no report: {evidence.error}")
        return Outcome(case.name, case.kind, expected_text(case), f"no report; {evidence.seconds:.1f} s", False,
                       tuple(problems), evidence.seconds, isolation=graded_in(evidence))
    areas = summarize(evidence.results)
    problems = (forgery_problems(evidence.results, known_names) + expectation_problems(case, areas)
                + must_fail_problems(case, evidence.results) + blame_problems(case, evidence.results)
                + control_problems(evidence.results) + problems)
    return Outcome(
        case=case.name, kind=case.kind, expected=expected_text(case), actual=actual_text(areas, evidence.seconds),
        ok=not problems, problems=tuple(problems), seconds=evidence.seconds,
        caught=all(a in areas and areas[a].lost for a in case.fails),
        full_marks=bool(areas) and not any(a.lost for a in areas.values()),
        areas={a.area: [a.score, a.max_score, a.checks, a.failed] for a in areas.values()},
        isolation=graded_in(evidence),
    )


# -- the corpus's figures ------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    bugs: int
    caught: int  # bugs whose expected failing areas all lost points
    alternatives: int
    false_alarms: tuple  # names of alternatives that lost any point
    hostile: int
    contained: int  # hostile cases that met every expectation
    cases: int
    ok: int  # cases that met every expectation

    @property
    def catch_rate(self):
        return self.caught / self.bugs if self.bugs else math.nan

    def lines(self):
        rate = "n/a" if not self.bugs else f"{self.catch_rate:.0%}"
        return [
            f"catch rate: {self.caught}/{self.bugs} bugs caught in every expected area ({rate})",
            f"false alarms: {len(self.false_alarms)} of {self.alternatives} alternatives lost points"
            + (f" ({', '.join(self.false_alarms)})" if self.false_alarms else ""),
            f"hostile: {self.contained}/{self.hostile} contained as expected",
            f"cases meeting their expectation: {self.ok}/{self.cases}",
        ]


def figures(outcomes):
    of = lambda kind: [o for o in outcomes if o.kind == kind]  # noqa: E731
    return Figures(
        bugs=len(of("bugs")), caught=sum(o.caught for o in of("bugs")),
        alternatives=len(of("alternatives")), false_alarms=tuple(o.case for o in of("alternatives") if not o.full_marks),
        hostile=len(of("hostile")), contained=sum(o.ok for o in of("hostile")),
        cases=len(outcomes), ok=sum(o.ok for o in outcomes),
    )
