"""Generate the student skeleton `assignment/` from `reference/`.

Every region between `# BEGIN SOLUTION` and `# END SOLUTION` becomes
`raise NotImplementedError("<function>: <hint>")` at the region's indentation.
A hint may follow the opening marker: `# BEGIN SOLUTION: subtract the row max`.
Everything outside the regions (signatures, docstrings, provided code) is kept.
"""

import re
from dataclasses import dataclass
from pathlib import Path

BEGIN = re.compile(r"^(\s*)# BEGIN SOLUTION(?::\s*(.*?))?\s*$")
END = re.compile(r"^\s*# END SOLUTION\s*$")
DEF = re.compile(r"^(\s*)(?:def|class)\s+(\w+)")
DEFAULT_HINT = "not implemented yet; see the docstring"
PACKAGE_DOC = '"""Assignment 1: your solution. Fill in every function that raises NotImplementedError."""\n'


class MarkerError(ValueError):
    """A malformed solution region; the message names the file and line."""


@dataclass(frozen=True)
class Region:
    begin: int  # 1-based line of the BEGIN marker
    end: int  # 1-based line of the END marker
    indent: str
    qualname: str  # e.g. "TwoLayerNet.forward"
    hint: str


def enclosing_qualname(lines, index, where):
    """Qualified name of the def enclosing line `index` (0-based), e.g. 'SGD.update'."""
    names, depth = [], None
    for line in reversed(lines[:index]):
        m = DEF.match(line)
        if m and (depth is None or len(m.group(1)) < depth):
            names.append(m.group(2))
            depth = len(m.group(1))
            if depth == 0:
                break
    if not names:
        raise MarkerError(f"{where}: BEGIN SOLUTION outside any function")
    return ".".join(reversed(names))


def find_regions(text, filename="<string>"):
    """Parse solution regions strictly: nested, stray or unterminated markers raise MarkerError."""
    lines = text.splitlines()
    regions, open_at = [], None
    for i, line in enumerate(lines):
        where = f"{filename}:{i + 1}"
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if open_at is not None:
                raise MarkerError(f"{where}: nested BEGIN SOLUTION (the region opened at line {open_at[0] + 1} is not closed)")
            open_at = (i, begin)
        elif end:
            if open_at is None:
                raise MarkerError(f"{where}: stray END SOLUTION with no BEGIN SOLUTION before it")
            start, m = open_at
            qualname = enclosing_qualname(lines, start, f"{filename}:{start + 1}")
            regions.append(Region(start + 1, i + 1, m.group(1), qualname, m.group(2) or DEFAULT_HINT))
            open_at = None
        elif "BEGIN SOLUTION" in line or "END SOLUTION" in line:
            raise MarkerError(f"{where}: malformed marker {line.strip()!r}; write '# BEGIN SOLUTION' or '# END SOLUTION' on its own line")
    if open_at is not None:
        raise MarkerError(f"{filename}:{open_at[0] + 1}: unterminated BEGIN SOLUTION (no END SOLUTION before the end of the file)")
    return regions


def stub_source(text, filename="<string>"):
    """The student version of one reference module."""
    lines = text.splitlines(keepends=True)
    out, last = [], 0
    for r in find_regions(text, filename):
        out.extend(lines[last:r.begin - 1])
        message = f"{r.qualname}: {r.hint}"
        out.append(f"{r.indent}raise NotImplementedError({message!r})\n")
        last = r.end
    out.extend(lines[last:])
    return "".join(out)


def unmarked_source(text, filename="<string>"):
    """One reference module with its solution markers removed and every line they enclosed kept: the solution as a
    student would write it (the corpus's cases start from it)."""
    lines = text.splitlines(keepends=True)
    markers = {i for r in find_regions(text, filename) for i in (r.begin - 1, r.end - 1)}
    return "".join(line for i, line in enumerate(lines) if i not in markers)


def generate(reference_dir, out_dir):
    """Write the skeleton of every module of reference_dir into out_dir. Returns the paths written."""
    reference_dir, out_dir = Path(reference_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for src in sorted(reference_dir.glob("*.py")):
        text = PACKAGE_DOC if src.name == "__init__.py" else stub_source(src.read_text(), str(src))
        dest = out_dir / src.name
        dest.write_text(text)
        written.append(dest)
    return written


def drift(reference_dir, assignment_dir):
    """Names of the files where assignment_dir differs from what generate() would write."""
    reference_dir, assignment_dir = Path(reference_dir), Path(assignment_dir)
    expected = {}
    for src in sorted(reference_dir.glob("*.py")):
        expected[src.name] = PACKAGE_DOC if src.name == "__init__.py" else stub_source(src.read_text(), str(src))
    actual = {p.name: p.read_text() for p in assignment_dir.glob("*.py")}
    return sorted(name for name in expected.keys() | actual.keys() if expected.get(name) != actual.get(name))
