"""PNG figures: the curves of one run, and the theory part's pictures (Agg, no display).

Figures are built with matplotlib.figure.Figure (no pyplot state), so threads may plot.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .sweeps import config_label  # noqa: E402
from .theory import POINTS, TARGETS  # noqa: E402

DPI = 110
CLASS_COLORS = ("tab:red", "tab:blue")  # output 0, output 1
REGION_COLORS = ("#f6d5d5", "#d5e1f6")  # output 0, output 1


def save(fig, path):
    fig.savefig(path, dpi=DPI)
    return path


def plot_run(run, path):
    """Loss and accuracy per epoch, train vs validation, of a RunResult. Returns path."""
    epochs = [r.epoch for r in run.history]
    fig = Figure(figsize=(10, 4), layout="constrained")
    loss_ax, acc_ax = fig.subplots(1, 2)
    loss_ax.plot(epochs, [r.train_loss for r in run.history], "o-", label="train (mean over the epoch's batches)")
    loss_ax.plot(epochs, [r.val_loss for r in run.history], "s-", label="validation")
    loss_ax.set(xlabel="epoch", ylabel="cross-entropy loss", title="Loss")
    acc_ax.plot(epochs, [r.train_accuracy for r in run.history], "o-", label="train (mean over the epoch's batches)")
    acc_ax.plot(epochs, [r.val_accuracy for r in run.history], "s-", label="validation")
    acc_ax.set(xlabel="epoch", ylabel="accuracy", title="Accuracy")
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
        ax.legend()
        ax.set_xticks(epochs if len(epochs) <= 20 else ax.get_xticks())
    fig.suptitle(f"{config_label(run.config)}: test accuracy {run.test_accuracy:.4f}")
    return save(fig, path)


def plot_jacobian(check, path):
    """Heat maps of the analytic and the numeric Jacobian, and of their absolute difference."""
    fig = Figure(figsize=(12, 3.8), layout="constrained")
    axes = fig.subplots(1, 3)
    panels = ((check.analytic, "analytic: softmax_jacobian(z)"),
              (check.numeric, f"central differences, h = {check.step:g}"),
              (np.abs(check.analytic - check.numeric), "|analytic - numeric|"))
    for ax, (values, title) in zip(axes, panels):
        image = ax.imshow(values, cmap="viridis")
        fig.colorbar(image, ax=ax, shrink=0.8)
        ax.set(title=title, xlabel="j (input z_j)", ylabel="i (output S_i)")
    z = ", ".join(f"{x:g}" for x in check.z)
    fig.suptitle(f"Softmax Jacobian at z = ({z}): "
                 f"max abs error {check.max_abs_error:.2e}, relative error {check.relative_error:.2e}")
    return save(fig, path)


def _grid(lo=-0.5, hi=1.5, n=301):
    xs = np.linspace(lo, hi, n)
    gx, gy = np.meshgrid(xs, xs)  # (n, n) each
    return xs, np.stack([gx.ravel(), gy.ravel()], axis=1)  # (n*n, 2)


def _regions(ax, predict):
    """Shade where predict(points (M, 2)) -> (M,) fires."""
    xs, grid = _grid()
    outputs = predict(grid).reshape(len(xs), len(xs))
    ax.contourf(xs, xs, outputs, levels=[-0.5, 0.5, 1.5], colors=REGION_COLORS)


def _points(ax, targets, title):
    for label in (0, 1):
        chosen = POINTS[targets == label]
        ax.scatter(chosen[:, 0], chosen[:, 1], s=140, c=CLASS_COLORS[label], edgecolors="black", zorder=3,
                   label=f"target {label}")
    ax.set(xlim=(-0.5, 1.5), ylim=(-0.5, 1.5), xlabel="x1", ylabel="x2", title=title, aspect="equal")
    ax.grid(alpha=0.3)


def _boundary(ax, w, b):
    """The line w.x + b = 0 over the plotted square (nothing when w = 0)."""
    xs = np.linspace(-0.5, 1.5, 2)
    if abs(w[1]) > 1e-12:
        ax.plot(xs, -(w[0] * xs + b) / w[1], "k--", label="w·x + b = 0")
    elif abs(w[0]) > 1e-12:
        ax.axvline(-b / w[0], color="k", linestyle="--", label="w·x + b = 0")


def plot_gates(gates, path):
    """One panel per Gate: its firing region, its boundary and the four targets."""
    fig = Figure(figsize=(5 * max(len(gates), 1), 4.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, max(len(gates), 1)))
    for ax, gate in zip(axes, gates):
        _regions(ax, gate.outputs)
        _boundary(ax, gate.w, gate.b)
        verdict = "correct" if gate.correct else "WRONG"
        _points(ax, TARGETS[gate.name], f"{gate.name}: w = ({gate.w[0]:g}, {gate.w[1]:g}), b = {gate.b:g} ({verdict})")
        ax.legend(loc="upper left", fontsize=8)
    fig.suptitle("Perceptrons: blue region fires (w·x + b > 0)")
    return save(fig, path)


def plot_xor(xor_net, path):
    """Left: XOR's four points (no line separates them). Right: the xor_network's regions, when given."""
    fig = Figure(figsize=(10, 4.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    _points(left, TARGETS["XOR"], "XOR: no line separates the two colours")
    left.legend(loc="upper left", fontsize=8)
    if xor_net is not None:
        _regions(right, xor_net.outputs)
        for k in range(xor_net.W1.shape[1]):
            _boundary(right, xor_net.W1[:, k], xor_net.b1[k])
        verdict = "computes XOR" if xor_net.correct else "does NOT compute XOR"
        _points(right, TARGETS["XOR"], f"xor_network regions ({verdict})")
        right.text(-0.45, -0.45, "dashed: hidden units' lines", fontsize=8)
    else:
        right.set_axis_off()
        right.set_title("xor_network: unavailable")
    fig.suptitle("XOR")
    return save(fig, path)
