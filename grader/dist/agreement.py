"""How often the kit's self-check agrees with `grader check`, over the corpus.

    python -m grader.dist.agreement [--rubric FILE] [--kinds bugs,alternatives] [--case NAME ...] [--json FILE]

For every case (the reference overlaid with the case's files and edits, as grader/corpus.py materializes it),
both verdicts of every visible check are compared: pass/fail only, since the grader draws its inputs
from a per-submission challenge seed and the kit from its public seed. Checks are matched by their
stable id (the performance check's criterion differs, but its id is the same). The kit is built
from the same rubric. Prints one line per disagreement and the rate; exits 0 (a measurement).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..paths import REFERENCE_DIR, RUBRIC_FILE


@dataclass(frozen=True)
class Comparison:
    case: str
    check: str
    grader: bool  # passed in `grader check`
    kit: bool | None  # passed in the kit's check; None when the kit has no such check

    @property
    def agrees(self):
        return self.grader == self.kit




def compare(case, grader_verdicts, kit_verdicts):
    """[Comparison] of one case: grader_verdicts and kit_verdicts are {check id: passed}."""
    return [Comparison(case, id, v, kit_verdicts.get(id)) for id, v in grader_verdicts.items()]


def rate(comparisons):
    """(agreeing, total) over comparisons."""
    return sum(c.agrees for c in comparisons), len(comparisons)


def grader_verdicts(path, rubric):
    """{visible check id: passed} of `grader check path` (in this process, as the command runs it)."""
    from .. import isolation, pipeline
    chosen = isolation.choose("auto", strict=False)
    result = pipeline.grade(path, rubric, pipeline.Options(visible_only=True, isolation=chosen.mode))
    return {r.id: r.passed for r in result.results}


def kit_verdicts(kit, path, out):
    """{check id: passed} of the kit's `grader check path --out out`."""
    env = dict(os.environ, PYTHONPATH=str(kit))
    subprocess.run([sys.executable, "-m", "checker", "check", str(path), "--out", str(out), "--quiet"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tests = json.loads((Path(out) / "results.json").read_text())["tests"]
    return {t["id"]: t["status"] == "passed" for t in tests}


def measure(rubric_path, kinds, names=None, progress=print):
    """[Comparison] over the corpus cases of the given kinds (only those named, when names is given)."""
    from ..corpus import load_cases, materialize
    from ..rubric import load_rubric
    from .build import build_student_kit
    rubric = load_rubric(rubric_path)
    comparisons = []
    with tempfile.TemporaryDirectory(prefix="kit-agreement-") as tmp:
        tmp = Path(tmp)
        kit = build_student_kit(tmp / "kit", rubric, REFERENCE_DIR).folder
        cases = [c for c in load_cases(kinds=kinds) if not names or c.name in names]
        for n, case in enumerate(cases, 1):
            t0 = time.monotonic()
            path = materialize(case, tmp / "cases" / case.name)
            ours = compare(case.name, grader_verdicts(path, rubric), kit_verdicts(kit, path, tmp / "out" / case.name))
            comparisons += ours
            off = [c for c in ours if not c.agrees]
            progress(f"[{n}/{len(cases)}] {case.kind}/{case.name}: {rate(ours)[0]}/{len(ours)} agree"
                     f"{''.join(f'; DIFFERS {c.check} (grader {c.grader}, kit {c.kit})' for c in off)} ({time.monotonic() - t0:.1f} s)")
    return comparisons


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grader.dist.agreement", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rubric", type=Path, default=RUBRIC_FILE)
    parser.add_argument("--kinds", default="bugs,alternatives", help="corpus kinds, comma-separated")
    parser.add_argument("--case", action="append", help="a case by name (repeatable); default: every case of --kinds")
    parser.add_argument("--json", type=Path, help="also write every comparison to FILE")
    args = parser.parse_args(argv)
    t0 = time.monotonic()
    comparisons = measure(args.rubric, tuple(args.kinds.split(",")), args.case, lambda m: print(m, flush=True))
    agreeing, total = rate(comparisons)
    cases = sorted({c.case for c in comparisons})
    whole = sum(all(c.agrees for c in comparisons if c.case == name) for name in cases)
    print(f"agreement: {agreeing}/{total} check verdicts ({100 * agreeing / max(total, 1):.1f}%); "
          f"{whole}/{len(cases)} cases agree on every check; {time.monotonic() - t0:.0f} s")
    if args.json:
        args.json.write_text(json.dumps([c.__dict__ for c in comparisons], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
