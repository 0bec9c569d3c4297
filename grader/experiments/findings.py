"""The sentences under each table, generated from the numbers (never typed by hand).

Every function takes [(value, RunResult | RunFailure)] rows and returns plain text.
Differences are stated in percentage points (accuracy difference x 100).
"""

from .runs import RunResult
from .sweeps import METRIC_TITLES
from .tables import format_accuracy, format_value


def points(difference):
    """0.0123 -> '1.23 percentage points'."""
    return f"{100 * difference:.2f} percentage points"


def finished(rows):
    """The rows whose run finished with finite accuracies."""
    return [(v, r) for v, r in rows if isinstance(r, RunResult)]


def failed_sentence(rows, name):
    failed = [format_value(v) for v, r in rows if not isinstance(r, RunResult)]
    if not failed:
        return ""
    many = len(failed) > 1
    return f"The run{'s' if many else ''} with {name} {', '.join(failed)} failed and {'are' if many else 'is'} left out."


def ranked(rows, metric):
    """Finished rows from best to worst on metric (NaN last); ties keep table order."""
    def score(row):
        value = row[1].accuracy(metric)
        return value if value == value else float("-inf")
    return sorted(finished(rows), key=score, reverse=True)


def best_sentence(rows, metric, name):
    """'The best test accuracy, 0.9507, comes with lr 0.1, 0.62 percentage points above the runner-up, ...'."""
    order = ranked(rows, metric)
    if not order:
        return ""
    scores = [r.accuracy(metric) for _, r in order]
    title = METRIC_TITLES[metric]
    if len(order) > 1 and scores[0] == scores[-1]:
        return f"All {len(order)} runs reach the same {title}, {format_accuracy(scores[0])}."
    tied = [format_value(v) for v, r in order[1:] if r.accuracy(metric) == scores[0]]
    text = f"The best {title}, {format_accuracy(scores[0])}, comes with {name} {format_value(order[0][0])}"
    if tied:
        text += f" (tied with {name} {', '.join(tied)})"
    elif len(order) > 1:
        text += (f", {points(scores[0] - scores[1])} above the runner-up, {name} {format_value(order[1][0])} "
                 f"({format_accuracy(scores[1])})")
    if len(order) > 2:
        text += (f"; the worst, {name} {format_value(order[-1][0])}, is {points(scores[0] - scores[-1])} "
                 f"below the best ({format_accuracy(scores[-1])})")
    return text + "."


def agreement_sentence(rows, first, second, name):
    """Whether two metrics pick the same best value, and the gap between them there."""
    a, b = ranked(rows, first), ranked(rows, second)
    if not a or not b:
        return ""
    best_a, best_b = a[0], b[0]
    if best_a[0] == best_b[0]:
        value, run = best_a
        gap = run.accuracy(first) - run.accuracy(second)
        return (f"{METRIC_TITLES[first].capitalize()} and {METRIC_TITLES[second]} agree on the best {name}; there, "
                f"{METRIC_TITLES[first]} is {points(abs(gap))} {'above' if gap >= 0 else 'below'} "
                f"{METRIC_TITLES[second]}.")
    return (f"{METRIC_TITLES[first].capitalize()} would pick {name} {format_value(best_a[0])} "
            f"({format_accuracy(best_a[1].accuracy(first))}) instead, where {METRIC_TITLES[second]} is "
            f"{format_accuracy(best_a[1].accuracy(second))}.")


def trend_sentence(rows, metric, name):
    """How metric moves from the first to the last swept value of the table, and whether monotonically."""
    done = finished(rows)
    if len(done) < 3:
        return ""
    values = [r.accuracy(metric) for _, r in done]
    steps = [b - a for a, b in zip(values, values[1:])]
    if all(s >= 0 for s in steps):
        shape = "rises steadily"
    elif all(s <= 0 for s in steps):
        shape = "falls steadily"
    else:
        shape = "is not monotonic"
    return (f"From {name} {format_value(done[0][0])} to {format_value(done[-1][0])}, {METRIC_TITLES[metric]} {shape} "
            f"({format_accuracy(values[0])} to {format_accuracy(values[-1])}).")


def lr_findings(rows):
    if not finished(rows):
        return "No run of this sweep finished."
    parts = [best_sentence(rows, "test", "learning rate"),
             agreement_sentence(rows, "train", "test", "learning rate"),
             failed_sentence(rows, "learning rate")]
    return " ".join(p for p in parts if p)


def reg_findings(rows):
    if not finished(rows):
        return "No run of this sweep finished."
    parts = [best_sentence(rows, "val", "reg"),
             agreement_sentence(rows, "val", "test", "reg"),
             trend_sentence(rows, "train", "reg"),
             failed_sentence(rows, "reg")]
    order = ranked(rows, "val")
    if order:
        value, run = order[0]
        gap = run.train_accuracy - run.val_accuracy
        parts.insert(1, f"Selected on validation accuracy, reg {format_value(value)} reaches test accuracy "
                        f"{format_accuracy(run.test_accuracy)} (train minus validation: {points(gap)}).")
    return " ".join(p for p in parts if p)


def tuned_findings(tuned, default=None):
    """tuned: the tuned run's outcome; default: the default config's outcome with the same epochs, or None."""
    if not isinstance(tuned, RunResult):
        return f"The tuned run failed: {tuned.message}"
    text = (f"The tuned config reaches test accuracy {format_accuracy(tuned.test_accuracy)} "
            f"(validation {format_accuracy(tuned.val_accuracy)}, training {format_accuracy(tuned.train_accuracy)}) "
            f"in {tuned.config.epochs} epochs.")
    if isinstance(default, RunResult):
        gain = tuned.test_accuracy - default.test_accuracy
        text += (f" The default config with as many epochs reaches {format_accuracy(default.test_accuracy)}: "
                 f"the tuning {'gains' if gain >= 0 else 'loses'} {points(abs(gain))} of test accuracy.")
    return text
