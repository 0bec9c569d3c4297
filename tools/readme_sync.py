"""Refresh the generated sections of docs/figures.md from the commands' own output.

    python -m tools.readme_sync

Replaces the text between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`
with the matching part of reports/experiments/reference/report.md (NAME =
experiments), reports/selftest/corpus.md (NAME = corpus) or reports/suite/timing.md (NAME = suite,
written by `./dev test`), and copies the
figures it shows into docs/figures/. Nothing in those sections is typed by hand.
"""

import re
import shutil
import sys

from grader.paths import PROJECT_DIR, REPORTS_DIR

FIGURES_DOC = PROJECT_DIR / "docs" / "figures.md"  # the measured figures of the manual
FIGURES = PROJECT_DIR / "docs" / "figures"
EXPERIMENTS = REPORTS_DIR / "experiments" / "reference"
SHOWN = ("run_b64_lr0.1_reg0.001_h128_e10.png", "run_b32_lr0.55_reg0.0005_h256_e10.png")  # never the theory
# figures: they draw the AND/OR lines and the XOR network's units, i.e. the solution
SOLUTION_LINES = re.compile(r"^- (AND|OR): w = |^- xor_network: ")  # the report keeps them; the docs must not


def section(markdown, start, stop=None):
    """The text from the heading `start` up to the heading `stop` (or the end)."""
    begin = markdown.index(start)
    end = markdown.index(stop, begin) if stop else len(markdown)
    return markdown[begin:end].strip()


def experiments_text(report):
    """The report's sweeps with headings demoted, images pointed at docs/figures (or dropped), and
    no solution: the gates' weights and the XOR network stay in reports/ (the instructor's report)."""
    body = section(report, "## Learning-rate sweep")
    body = re.sub(r"^## ", "#### ", body, flags=re.M)
    body = re.sub(r"^### ", "##### ", body, flags=re.M)
    lines = []
    for line in body.splitlines():
        if SOLUTION_LINES.match(line):
            continue
        image = re.match(r"!\[(.*)\]\(figures/(.*)\)", line)
        if image:
            if image.group(2) in SHOWN:
                lines.append(f"![{image.group(1)}](figures/{image.group(2)})")
            continue
        lines.append(line)
    return "\n".join(lines)


def splice(readme, name, text):
    pattern = re.compile(rf"(<!-- generated:{name} -->\n).*?(<!-- /generated:{name} -->)", re.S)
    if not pattern.search(readme):
        raise SystemExit(f"readme_sync: {FIGURES_DOC.name} has no generated:{name} markers")
    return pattern.sub(lambda m: m.group(1) + text.strip() + "\n" + m.group(2), readme)


def main():
    readme = FIGURES_DOC.read_text()
    report = EXPERIMENTS / "report.md"
    if report.exists():
        readme = splice(readme, "experiments", experiments_text(report.read_text()))
        FIGURES.mkdir(parents=True, exist_ok=True)
        for name in SHOWN:
            shutil.copyfile(EXPERIMENTS / "figures" / name, FIGURES / name)
    else:
        print(f"readme_sync: {report} not found; run `grader experiments --sweep all` first", file=sys.stderr)
    corpus = REPORTS_DIR / "selftest" / "corpus.md"
    if corpus.exists():
        readme = splice(readme, "corpus", re.sub(r"^#+ ", "#### ", corpus.read_text().strip(), flags=re.M))
    else:
        print(f"readme_sync: {corpus} not found; run `grader selftest` first", file=sys.stderr)
    suite = REPORTS_DIR / "suite" / "timing.md"
    if suite.exists():
        readme = splice(readme, "suite", suite.read_text())
    else:
        print(f"readme_sync: {suite} not found; run `./dev test` (or `CI=true bash .ci/run`) first", file=sys.stderr)
    FIGURES_DOC.write_text(readme)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
