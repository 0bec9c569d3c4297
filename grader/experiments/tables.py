"""Markdown tables (tabulate, "github" format) of sweep results. Pure: values in, text out."""

from tabulate import tabulate

from .runs import RunResult
from .sweeps import METRIC_TITLES


def format_value(value):
    """A swept value as written in the assignment: 1, 0.1, 0.0001."""
    return f"{value:g}"


def format_accuracy(value):
    """0.94331 -> '0.9433'; a non-finite value -> 'nan'."""
    return f"{value:.4f}" if value == value and abs(value) != float("inf") else "nan"


def accuracy_cell(outcome, metric):
    """The cell of one metric of one run: '0.9433', or 'failed' when the run has no result."""
    return format_accuracy(outcome.accuracy(metric)) if isinstance(outcome, RunResult) else "failed"


def github_table(headers, rows, align=None):
    """Strings in, a github table out, right-aligned unless align says otherwise (no number re-formatting)."""
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True,
                    colalign=tuple(align or ("right",) * len(headers)))


def sweep_table(sweep, rows):
    """One line per swept value. rows: [(value, RunResult | RunFailure)] in table order."""
    headers = [sweep.title] + [METRIC_TITLES[m] for m in sweep.metrics]
    body = [[format_value(value)] + [accuracy_cell(outcome, m) for m in sweep.metrics] for value, outcome in rows]
    return github_table(headers, body)


def config_table(outcomes, metrics=("train", "val", "test")):
    """One line per run with its whole config. outcomes: [RunResult | RunFailure]."""
    headers = ["batch size", "learning rate", "reg", "hidden", "epochs"] + [METRIC_TITLES[m] for m in metrics]
    body = []
    for outcome in outcomes:
        c = outcome.config
        body.append([str(c.batch_size), format_value(c.learning_rate), format_value(c.reg), str(c.hidden_size),
                     str(c.epochs)] + [accuracy_cell(outcome, m) for m in metrics])
    return github_table(headers, body)
