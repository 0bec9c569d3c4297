"""report.md and results.json from the outcomes. Pure text and dicts: report grades nothing
and runs nothing; figures are passed in as paths relative to report.md."""

from dataclasses import dataclass

import numpy as np

from . import findings
from .runs import RunResult
from .sweeps import config_label
from .tables import config_table, github_table, sweep_table
from .theory import GRID, POINTS, TARGETS, XOR_PROOF, count_separating

JACOBIAN_TOLERANCE = 1e-6  # relative error under which analytic and numeric Jacobians agree
FINDINGS = {"lr": findings.lr_findings, "reg": findings.reg_findings}
METRIC_NOTE = ("Training accuracy is the mean over the last epoch's batches, validation accuracy that of the "
               "best epoch, and test accuracy that of the best-validation weights (the provided loop).")


@dataclass(frozen=True)
class Header:
    implementation: str  # e.g. "reference"
    location: str  # folder of its modules
    source: str  # identity.source_id
    dataset: str  # e.g. "mnist"
    dataset_source: str  # where it came from
    sizes: dict  # {"train": n, "val": n, "test": n}
    epochs: int | None  # the --epochs override, if any


def inline(array):
    """An array on one line, 4 significant digits: [[1, 1], [1, 1]]."""
    def text(item):
        return "[" + ", ".join(text(x) for x in item) + "]" if isinstance(item, list) else f"{item:.4g}"
    return text(np.asarray(array, dtype=np.float64).tolist())


def results_document(outcomes):
    """{"runs": [...]} of the finished runs, in the given order."""
    return {"runs": [o.to_dict() for o in outcomes if isinstance(o, RunResult)]}


def header_section(header, cached, total):
    sizes = header.sizes
    lines = [f"# Experiments: {header.implementation}", "",
             f"- implementation: `{header.location}` (source sha256 `{header.source[:12]}`)",
             f"- dataset: {header.dataset}, {header.dataset_source}; "
             f"{sizes['train']:,} train / {sizes['val']:,} validation / {sizes['test']:,} test images",
             f"- runs: {total} ({cached} from the cache)"]
    if header.epochs is not None:
        lines.append(f"- every run trained for {header.epochs} epoch(s) (`--epochs {header.epochs}`), "
                     "not the assignment's setting")
    lines += ["", METRIC_NOTE]
    return "\n".join(lines)


def figure_lines(outcomes, figures):
    """Markdown images of the runs that have a figure. figures: config -> relative path."""
    return [f"![{config_label(o.config)}]({figures[o.config]})" for o in outcomes if o.config in figures]


def sweep_section(sweep, rows, figures):
    """rows: [(value, outcome)] in table order."""
    heading = {"lr": "Learning-rate sweep", "reg": "Regularisation sweep"}.get(sweep.name, sweep.name)
    return "\n".join([f"## {heading}", "",
                      f"The default config with only `{sweep.field}` changed.", "",
                      sweep_table(sweep, rows), "", FINDINGS[sweep.name](rows), "",
                      *figure_lines([o for _, o in rows], figures)])


def tuned_section(tuned, default, figures):
    return "\n".join(["## Tuned config", "", config_table([tuned] + ([default] if default is not None else [])), "",
                      findings.tuned_findings(tuned, default), "", *figure_lines([tuned], figures)])


def jacobian_lines(check):
    if check is None:
        return []
    agree = check.relative_error < JACOBIAN_TOLERANCE
    table = github_table(["z", "h", "max abs error", "relative error"],
                         [[inline(check.z), f"{check.step:g}", f"{check.max_abs_error:.2e}",
                           f"{check.relative_error:.2e}"]])
    verdict = (f"The analytic Jacobian {'agrees' if agree else 'does NOT agree'} with central differences of "
               f"softmax (relative error {check.relative_error:.2e}, threshold {JACOBIAN_TOLERANCE:g}).")
    return [table, "", verdict]


def truth_table(theory):
    """Rows x1, x2 then target and output of each gate and of xor_network."""
    headers, columns = ["x1", "x2"], [[f"{x:g}" for x in POINTS[:, 0]], [f"{x:g}" for x in POINTS[:, 1]]]
    for gate in theory.gates:
        headers += [f"{gate.name} target", f"{gate.name} output"]
        columns += [[str(t) for t in TARGETS[gate.name]], [str(o) for o in gate.outputs()]]
    if theory.xor_net is not None:
        headers += ["XOR target", "xor_network output"]
        columns += [[str(t) for t in TARGETS["XOR"]], [str(o) for o in theory.xor_net.outputs()]]
    return github_table(headers, [list(row) for row in zip(*columns)])


def separation_sentence():
    counts = {name: count_separating(TARGETS[name]) for name in ("AND", "OR", "XOR")}
    total = counts["XOR"][1]
    return (f"Checked exhaustively on a grid: of the {total:,} lines (w1, w2, b) with each coefficient in "
            f"{{{GRID[0]:g}, {GRID[1]:g}, ..., {GRID[-1]:g}}}, {counts['AND'][0]:,} separate AND, "
            f"{counts['OR'][0]:,} separate OR and {counts['XOR'][0]:,} separate XOR.")


def theory_section(theory, figures):
    """figures: {"jacobian", "gates", "xor"} -> relative path, for those drawn."""
    lines = ["## Theory", "", "### Softmax Jacobian", ""]
    lines += jacobian_lines(theory.jacobian) or [f"Unavailable: {theory.errors.get('jacobian', 'no result')}."]
    if "jacobian" in figures:
        lines += ["", f"![softmax Jacobian]({figures['jacobian']})"]
    lines += ["", "### AND, OR and XOR", ""]
    for gate in theory.gates:
        lines.append(f"- {gate.name}: w = ({gate.w[0]:g}, {gate.w[1]:g}), b = {gate.b:g}: "
                     f"{'computes' if gate.correct else 'does NOT compute'} {gate.name}.")
    if theory.xor_net is not None:
        net = theory.xor_net
        lines.append(f"- xor_network: {net.W1.shape[1]} hidden units, W1 = {inline(net.W1)}, "
                     f"b1 = {inline(net.b1)}, W2 = {inline(net.W2)}, "
                     f"b2 = {net.b2:g}: {'computes' if net.correct else 'does NOT compute'} XOR.")
    for part in ("AND", "OR", "xor_network"):
        if part in theory.errors:
            lines.append(f"- {part}: unavailable: {theory.errors[part]}.")
    lines += ["", truth_table(theory), ""]
    if "gates" in figures:
        lines += [f"![AND and OR perceptrons]({figures['gates']})", ""]
    lines += ["**No line separates XOR.** " + XOR_PROOF, "", separation_sentence(), ""]
    if "xor" in figures:
        lines += [f"![XOR]({figures['xor']})", ""]
    return "\n".join(lines)


def failures_section(outcomes):
    failed = [o for o in outcomes if not isinstance(o, RunResult)]
    if not failed:
        return ""
    lines = ["## Failed runs", ""]
    lines += [f"- {config_label(o.config)}: {o.message}" for o in failed]
    return "\n".join(lines)


def build_report(sections):
    """Join the non-empty sections into one markdown document."""
    return "\n\n".join(s.strip() for s in sections if s and s.strip()) + "\n"
