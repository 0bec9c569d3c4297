"""`grader experiments`, in order: read the tuned config, open the implementation and the
dataset, plan the configs, run them (cached, resumable, `jobs` at a time), run the theory
calls, then write results.json, the figures and report.md."""

from dataclasses import dataclass
from pathlib import Path

from grader import exits
from grader.harness.train_config import TrainConfig

from .cache import write_json_atomic
from .plots import plot_gates, plot_jacobian, plot_run, plot_xor
from .progress import Progress
from .report import (Header, build_report, failures_section, header_section, results_document, sweep_section,
                     theory_section, tuned_section)
from .runs import RunResult, run_all
from .sweeps import PARTS, SWEEPS, TUNED_FILE, config_slug, load_tuned, sweep_configs, with_epochs
from .tables import config_table, sweep_table
from .theory import collect_theory
from .workspace import default_out_dir, open_workspace


@dataclass(frozen=True)
class Options:
    submission: Path | None = None  # folder or .zip; None means reference/
    parts: tuple = PARTS  # of "lr", "reg", "tuned", "theory"
    epochs: int | None = None  # overrides every run's epochs
    jobs: int = 1  # runs in parallel, each its own sandbox process
    out: Path | None = None  # default reports/experiments/<implementation name>/
    dataset: str = "auto"  # "auto", "mnist" or "digits"
    data_dir: Path | None = None  # where to look for MNIST first
    tuned_config: Path = TUNED_FILE


@dataclass(frozen=True)
class Plan:
    sweeps: dict  # sweep name -> (value, config) pairs, in table order
    tuned: object  # TrainConfig of the tuned run, or None when not selected
    default: object  # the default TrainConfig with the same epochs (the tuned run's comparison)

    def configs(self):
        """Every config the plan trains, duplicates included (run_all runs each once)."""
        configs = [c for pairs in self.sweeps.values() for _, c in pairs]
        return configs + ([self.tuned] if self.tuned is not None else [])


def make_plan(parts, tuned, epochs=None):
    """The configs of the selected parts; tuned: the TrainConfig read from the tuned file."""
    sweeps = {name: tuple(zip(SWEEPS[name].values, sweep_configs(SWEEPS[name], epochs=epochs)))
              for name in ("lr", "reg") if name in parts}
    return Plan(sweeps, with_epochs(tuned, epochs) if "tuned" in parts else None, with_epochs(TrainConfig(), epochs))


def draw_runs(outcomes, figures_dir):
    """One PNG per finished run; config -> path relative to the report."""
    figures = {}
    for outcome in outcomes:
        if isinstance(outcome, RunResult):
            name = f"run_{config_slug(outcome.config)}.png"
            plot_run(outcome, figures_dir / name)
            figures[outcome.config] = f"figures/{name}"
    return figures


def draw_theory(theory, figures_dir):
    figures = {}
    if theory.jacobian is not None:
        figures["jacobian"] = plot_jacobian(theory.jacobian, figures_dir / "theory_softmax_jacobian.png")
    if theory.gates:
        figures["gates"] = plot_gates(theory.gates, figures_dir / "theory_and_or.png")
    figures["xor"] = plot_xor(theory.xor_net, figures_dir / "theory_xor.png")
    return {k: f"figures/{Path(v).name}" for k, v in figures.items()}


def write_report(out, header, plan, outcomes, cached, theory):
    """results.json, figures/ and report.md under out; returns the report's path."""
    figures_dir = out / "figures"
    figures_dir.mkdir(parents=True, exist_ok=True)
    ordered = list(outcomes.values())
    write_json_atomic(out / "results.json", results_document(ordered))
    run_figures = draw_runs(ordered, figures_dir)
    sections = [header_section(header, cached, len(ordered))]
    for name, pairs in plan.sweeps.items():
        sections.append(sweep_section(SWEEPS[name], [(v, outcomes[c]) for v, c in pairs], run_figures))
    if plan.tuned is not None:
        sections.append(tuned_section(outcomes[plan.tuned], outcomes.get(plan.default), run_figures))
    if theory is not None:
        sections.append(theory_section(theory, draw_theory(theory, figures_dir)))
    sections.append(failures_section(ordered))
    path = out / "report.md"
    tmp = out / ".report.md.tmp"
    tmp.write_text(build_report(sections), encoding="utf-8")
    tmp.replace(path)
    return path


def summary_tables(plan, outcomes):
    """The sweep tables as printed on stdout at the end."""
    blocks = [f"{name}:\n{sweep_table(SWEEPS[name], [(v, outcomes[c]) for v, c in pairs])}"
              for name, pairs in plan.sweeps.items()]
    if plan.tuned is not None:
        blocks.append(f"tuned:\n{config_table([outcomes[plan.tuned]])}")
    return "\n\n".join(blocks)


def run_experiments(options, progress=None, stdout=None):
    """Run the selected parts and write the report. Returns 0, or 1 when a run or theory call failed.

    Raises ValueError (bad tuned file), SubmissionError or DataError before anything runs.
    """
    progress = progress or Progress()
    tuned = load_tuned(options.tuned_config)
    with open_workspace(options.submission, options.dataset, options.data_dir) as ws:
        out = Path(options.out) if options.out is not None else default_out_dir(ws.name)
        plan = make_plan(options.parts, tuned, options.epochs)
        store = ws.store(out / "cache")
        configs = list(dict.fromkeys(plan.configs()))
        cached = sum(store.get(c) is not None for c in configs)
        progress.note(f"{ws.name} on {ws.dataset.name}: {len(configs)} run(s), {cached} cached, "
                      f"{options.jobs} at a time; finished runs are kept in {out / 'cache'}")
        try:
            outcomes = run_all(configs, ws.runner(), store, options.jobs, progress)
        except KeyboardInterrupt:
            progress.note(f"interrupted: finished runs are saved in {out / 'cache'}; run the same command to resume")
            raise
        theory = collect_theory(ws.modules) if "theory" in options.parts else None
        header = Header(ws.name, str(ws.root), ws.source_id, ws.dataset.name, ws.dataset.source,
                        ws.dataset.sizes(), options.epochs)
        path = write_report(out, header, plan, outcomes, cached, theory)
    if configs:
        print(summary_tables(plan, outcomes), file=stdout)
    print(f"wrote {path}", file=stdout)
    failed = any(not isinstance(o, RunResult) for o in outcomes.values()) or bool(theory and theory.errors)
    return exits.FAILED if failed else exits.OK
