"""Epoch-speed benchmark: how close one training epoch of the reference comes to the
machine's float64 matrix-multiply speed, and how it compares with PyTorch eager.

    python -m grader.bench_epoch [--repeats 5] [--configs 64x128,32x256] [--json FILE]

In one run it measures
  * the float64 matmul rate: median time of an (S, S) @ (S, S) product -> FLOP/s, once
    before and once after the numpy epochs; the bound uses the faster of the two, since
    on a shared machine a busy spell during either one would otherwise flatter the ratio;
  * per config BxH (batch size, hidden units): the median wall time of ONE epoch of the
    provided loop `train_epoch` over the MNIST training split, with a fresh reference
    TwoLayerNet + SGD (lr 0.1, reg 1e-3, momentum 0) per repeat, after one uncounted warm-up;
  * the lower bound: the epoch's matmul FLOPs, 2*N*(2*D*H + 3*C*H), at the measured rate
    (forward X@W1 and backward X.T@dH are 2*N*D*H each; the three (N,H)x(H,C) products
    of the output layer are 2*N*H*C each; everything element-wise is ignored);
  * when torch imports: the same model, batches and shuffle order in torch eager mode,
    float32 and float64.
The target is ratio <= 2.5 at 64x128; missing it is reported, never an error (exit 0).
Progress goes to stderr, the table to stdout, and --json FILE gets the same figures.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from grader.data.errors import DataError
from grader.harness.train_config import TrainConfig
from grader.harness.training import epoch_batches, train_epoch
from reference.optimizer import SGD
from reference.two_layer_net import TwoLayerNet

TARGET_CONFIG = (64, 128)  # (batch size, hidden units) the target applies to
TARGET_RATIO = 2.5  # epoch time / FLOP bound at TARGET_CONFIG
NUM_CLASSES = 10
DEFAULT_CONFIGS = "64x128,32x256"
EPOCH = 1  # every timed epoch uses the shuffle order of epoch 1


# ---------------------------------------------------------------- pure arithmetic

def epoch_flops(n, hidden, input_size=784, num_classes=NUM_CLASSES):
    """Matmul FLOPs of one training epoch over n samples: 2*n*(2*D*H + 3*C*H)."""
    return 2 * n * (2 * input_size * hidden + 3 * num_classes * hidden)


def flop_bound(n, hidden, rate, input_size=784, num_classes=NUM_CLASSES):
    """Seconds one epoch would take if it did only its matmuls at `rate` FLOP/s."""
    if rate <= 0:
        raise ValueError(f"the matmul rate must be positive, got {rate!r}")
    return epoch_flops(n, hidden, input_size, num_classes) / rate


def ratio(numerator, denominator):
    """numerator / denominator, or None when either is missing or the denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def parse_configs(text):
    """'64x128,32x256' -> [(64, 128), (32, 256)]: (batch size, hidden units) pairs."""
    configs = []
    for item in text.split(","):
        item = item.strip().lower()
        if not item:
            continue
        parts = item.split("x")
        if len(parts) != 2 or not all(p.isdigit() and int(p) > 0 for p in parts):
            raise argparse.ArgumentTypeError(f"bad config {item!r}: expected BATCHxHIDDEN, e.g. 64x128")
        configs.append((int(parts[0]), int(parts[1])))
    if not configs:
        raise argparse.ArgumentTypeError("no configs given")
    return configs


def positive_int(text):
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def config_name(batch_size, hidden_size):
    return f"{batch_size}x{hidden_size}"


# ---------------------------------------------------------------- timing

def median_time(fn, repeats, setup=None, warmup=1, on_repeat=None):
    """Median wall time of fn(state) over `repeats` calls, after `warmup` uncounted ones.

    setup(): called before each call, untimed; its return value is fn's argument
    (fn() is called with no argument when setup is None).
    on_repeat(i, repeats): called before counted call i (1-based), e.g. for progress.
    Returns (median seconds, list of the counted seconds, result of the last call).
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats!r}")
    times, result = [], None
    for i in range(warmup + repeats):
        if i >= warmup and on_repeat is not None:
            on_repeat(i - warmup + 1, repeats)
        args = () if setup is None else (setup(),)
        start = time.perf_counter()
        result = fn(*args)
        elapsed = time.perf_counter() - start
        if i >= warmup:
            times.append(elapsed)
    return statistics.median(times), times, result


def progress(message):
    print(message, file=sys.stderr, flush=True)


def matmul_rate(size=2000, repeats=5, label=""):
    """float64 matmul speed: median time of an (size, size) @ (size, size) product.

    Returns {"size", "seconds" (median), "flops_per_s"}; a product is 2*size**3 FLOPs.
    """
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((size, size)), rng.standard_normal((size, size))
    out = np.empty((size, size))
    seconds, _, _ = median_time(
        lambda: np.matmul(a, b, out=out), repeats,
        on_repeat=lambda i, r: progress(f"matmul {size}x{size}{label}: repeat {i}/{r} ..."),
    )
    return {"size": size, "seconds": seconds, "flops_per_s": 2.0 * size**3 / seconds}


def time_numpy_epoch(X, y, batch_size, hidden_size, repeats):
    """Median seconds of one `train_epoch` of the reference on X (N, D) float64, y (N,) int.

    A fresh TwoLayerNet and SGD per repeat (built untimed). Returns (median, times, loss).
    """
    config = TrainConfig(batch_size=batch_size, hidden_size=hidden_size)
    name = config_name(batch_size, hidden_size)

    def setup():
        model = TwoLayerNet(X.shape[1], hidden_size, NUM_CLASSES, seed=config.seed)
        return model, SGD(config.learning_rate, config.reg, config.momentum)

    def run(state):
        return train_epoch(state[0], state[1], X, y, config, EPOCH)

    progress(f"config {name}: warm-up epoch ...")
    median, times, (loss, _acc) = median_time(
        run, repeats, setup=setup,
        on_repeat=lambda i, r: progress(f"config {name}: repeat {i}/{r} ..."),
    )
    return median, times, loss


# ---------------------------------------------------------------- PyTorch

def import_torch():
    """(torch module, None), or (None, the reason it cannot be imported)."""
    try:
        import torch
    except Exception as exc:  # ImportError, or a broken install raising something else
        return None, f"not importable: {type(exc).__name__}: {exc}"
    return torch, None


def torch_train_epoch(torch, params, X, y, config, epoch):
    """One epoch of the same model in torch eager mode, mirroring `train_epoch`.

    params: [W1 (D, H), b1 (H,), W2 (H, C), b2 (C,)] leaf tensors with requires_grad.
    X: (N, D) tensor, y: (N,) int64 tensor. Same batches and order as epoch_batches;
    loss by F.cross_entropy; SGD with L2 on W1 and W2 only. Returns (mean loss, mean acc).
    """
    F = torch.nn.functional
    W1, b1, W2, b2 = params
    lr, reg = config.learning_rate, config.reg
    losses, accuracies = [], []
    for idx in epoch_batches(X.shape[0], config.batch_size, config.seed, epoch):
        idx = torch.from_numpy(idx)
        xb, yb = X.index_select(0, idx), y.index_select(0, idx)
        scores = torch.addmm(b2, torch.sigmoid(torch.addmm(b1, xb, W1)), W2)  # (B, C)
        loss = F.cross_entropy(scores, yb)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for w in (W1, W2):
                w.grad.add_(w, alpha=reg)
            for p in params:
                p.sub_(p.grad, alpha=lr)
            losses.append(loss.item())
            accuracies.append((scores.argmax(dim=1) == yb).double().mean().item())
    return float(np.mean(losses)), float(np.mean(accuracies))


def time_torch_epoch(torch, X, y, batch_size, hidden_size, repeats, dtype_name):
    """Median seconds of torch_train_epoch in dtype_name ("float32"/"float64").

    Parameters start from the reference's initial weights; data are converted once, untimed.
    """
    config = TrainConfig(batch_size=batch_size, hidden_size=hidden_size)
    name = config_name(batch_size, hidden_size)
    dtype = getattr(torch, dtype_name)
    Xt = torch.from_numpy(np.ascontiguousarray(X, dtype=np.dtype(dtype_name)))
    yt = torch.from_numpy(np.ascontiguousarray(y, dtype=np.int64))

    def setup():
        w = TwoLayerNet(X.shape[1], hidden_size, NUM_CLASSES, seed=config.seed).weights
        return [torch.tensor(w[k], dtype=dtype, requires_grad=True) for k in ("W1", "b1", "W2", "b2")]

    def run(params):
        return torch_train_epoch(torch, params, Xt, yt, config, EPOCH)

    progress(f"torch {dtype_name} config {name}: warm-up epoch ...")
    median, times, (loss, _acc) = median_time(
        run, repeats, setup=setup,
        on_repeat=lambda i, r: progress(f"torch {dtype_name} config {name}: repeat {i}/{r} ..."),
    )
    return median, times, loss


# ---------------------------------------------------------------- threads and data

def blas_threads():
    """[{"library", "api", "threads"}] for the BLAS libraries loaded, or None without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return [
        {"library": info.get("internal_api"), "api": info.get("user_api"), "threads": info.get("num_threads")}
        for info in threadpool_info() if info.get("user_api") == "blas"
    ]


def limit_blas_threads(n):
    """Limit numpy's BLAS to n threads; returns the threadpoolctl limiter (keep it alive), or None."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        progress("threadpoolctl is not installed: numpy's BLAS threads left at their default")
        return None
    return threadpool_limits(limits=n, user_api="blas")


def load_training_data(data_dir=None):
    """(X (N, 784) float64, y (N,) int64, source): the training split, read by grader.data like every job."""
    from grader.data import load_dataset
    data = load_dataset(name="mnist", data_dir=data_dir)
    return (np.ascontiguousarray(data.X_train, dtype=np.float64), np.asarray(data.y_train, dtype=np.int64),
            f"grader.data: {data.source}")


# ---------------------------------------------------------------- report

def format_table(results):
    """The results as a tabulate table (rows are the dicts made by run_benchmark; None shows as -)."""
    from tabulate import tabulate

    columns = [("config", "config", ""), ("epoch s (median)", "epoch_s", ".4f"), ("bound s", "bound_s", ".4f"),
               ("ratio to bound", "ratio_to_bound", ".2f"), ("torch f32 s", "torch_f32_s", ".4f"),
               ("torch f64 s", "torch_f64_s", ".4f"), ("ours/torch f32", "ours_over_torch_f32", ".2f"),
               ("ours/torch f64", "ours_over_torch_f64", ".2f")]
    rows = [[r[key] for _, key, _ in columns] for r in results]
    return tabulate(rows, headers=[c[0] for c in columns], tablefmt="github", missingval="-",
                    floatfmt=[c[2] or "g" for c in columns])


def target_verdict(results):
    """{"config", "max_ratio", "ratio", "passed"} for TARGET_CONFIG (ratio/passed None if not measured)."""
    name = config_name(*TARGET_CONFIG)
    measured = [r["ratio_to_bound"] for r in results if r["config"] == name]
    value = measured[0] if measured else None
    return {"config": name, "max_ratio": TARGET_RATIO, "ratio": value,
            "passed": None if value is None else bool(value <= TARGET_RATIO)}


def build_parser():
    p = argparse.ArgumentParser(prog="python -m grader.bench_epoch", description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=positive_int, default=5, help="timed repeats per measurement (median reported; default 5)")
    p.add_argument("--configs", type=parse_configs, default=parse_configs(DEFAULT_CONFIGS),
                   help=f"comma-separated BATCHxHIDDEN configs (default {DEFAULT_CONFIGS})")
    p.add_argument("--json", metavar="FILE", help="also write the figures as JSON to FILE")
    p.add_argument("--subset", type=positive_int, metavar="N", help="use only the first N training images")
    p.add_argument("--data-dir", help="folder with the MNIST .gz files (default: $MNIST_DIR)")
    p.add_argument("--matmul-size", type=positive_int, default=2000, help="side of the square matmul (default 2000)")
    p.add_argument("--threads", type=positive_int, metavar="N",
                   help="threads for numpy's BLAS (via threadpoolctl) and torch (default: leave both as they are)")
    p.add_argument("--no-torch", action="store_true", help="skip the PyTorch comparison")
    return p


def torch_agrees_with_reference(torch, X, y):
    """Before timing torch, prove its loop computes our epoch: same init, batches and update rule,
    float64 losses and weights equal to 1e-10 over two epochs on the first 200 images."""
    X, y = X[:200], y[:200]
    config = TrainConfig(batch_size=16, hidden_size=6)
    model = TwoLayerNet(X.shape[1], 6, NUM_CLASSES, seed=config.seed)
    params = [torch.tensor(model.weights[k], dtype=torch.float64, requires_grad=True) for k in ("W1", "b1", "W2", "b2")]
    optimizer = SGD(config.learning_rate, config.reg, config.momentum)
    for epoch in (1, 2):
        ours = train_epoch(model, optimizer, X, y, config, epoch)
        theirs = torch_train_epoch(torch, params, torch.from_numpy(X), torch.from_numpy(y), config, epoch)
        if not np.allclose(theirs, ours, rtol=1e-10):
            return False
    return bool(np.allclose(params[0].detach().numpy(), model.weights["W1"], rtol=1e-10, atol=1e-13))


def run_benchmark(args, X, y):
    """Measure everything; returns the JSON-ready report dict. X: (N, D) float64, y: (N,) int64."""
    n, d = X.shape
    before = matmul_rate(args.matmul_size, args.repeats, " (before)")
    results = []
    for batch_size, hidden_size in args.configs:
        median, times, loss = time_numpy_epoch(X, y, batch_size, hidden_size, args.repeats)
        results.append({
            "config": config_name(batch_size, hidden_size), "batch_size": batch_size, "hidden_size": hidden_size,
            "epoch_s": median, "epoch_times_s": times, "train_loss": loss,
            "flops": epoch_flops(n, hidden_size, input_size=d), "bound_s": None, "ratio_to_bound": None,
            "torch_f32_s": None, "torch_f64_s": None, "ours_over_torch_f32": None, "ours_over_torch_f64": None,
        })
    after = matmul_rate(args.matmul_size, args.repeats, " (after)")
    best = max(before, after, key=lambda m: m["flops_per_s"])
    rate = best["flops_per_s"]
    report = {"dataset": {"n": n, "input_size": d}, "repeats": args.repeats,
              "matmul": dict(best, before_flops_per_s=before["flops_per_s"], after_flops_per_s=after["flops_per_s"])}
    for r in results:
        r["bound_s"] = flop_bound(n, r["hidden_size"], rate, input_size=d)
        r["ratio_to_bound"] = ratio(r["epoch_s"], r["bound_s"])

    torch, reason = (None, "--no-torch given") if args.no_torch else import_torch()
    report["torch"] = {"available": torch is not None, "version": getattr(torch, "__version__", None),
                       "skipped_reason": reason}
    if torch is not None and not torch_agrees_with_reference(torch, X, y):
        raise RuntimeError("the PyTorch loop does not reproduce the reference's epoch; its timings would not be comparable")
    report["torch"]["agrees_with_reference"] = torch is not None or None
    if torch is not None:
        if args.threads:
            torch.set_num_threads(args.threads)
        for r in results:
            for dtype_name, key in (("float32", "f32"), ("float64", "f64")):
                median, _, _ = time_torch_epoch(torch, X, y, r["batch_size"], r["hidden_size"], args.repeats, dtype_name)
                r[f"torch_{key}_s"] = median
                r[f"ours_over_torch_{key}"] = ratio(r["epoch_s"], median)

    report["threads"] = {"cpu_count": os.cpu_count(), "numpy_blas": blas_threads(),
                         "torch": torch.get_num_threads() if torch is not None else None}
    report["results"] = results
    report["target"] = target_verdict(results)
    return report


def print_report(report, source):
    """Human-readable summary on stdout."""
    ds, mm, th = report["dataset"], report["matmul"], report["threads"]
    print(f"data: {ds['n']} x {ds['input_size']} training images ({source}); median of {report['repeats']} repeats")
    blas = th["numpy_blas"]
    blas_text = ("unknown (threadpoolctl not installed)" if blas is None
                 else ", ".join(f"{b['library']} {b['threads']}" for b in blas) or "none found")
    torch_text = th["torch"] if th["torch"] is not None else "-"
    print(f"threads: numpy BLAS {blas_text}; torch {torch_text}; cpu_count {th['cpu_count']}")
    print(f"matmul {mm['size']}x{mm['size']} float64: {mm['seconds']:.4f} s -> {mm['flops_per_s'] / 1e9:.1f} GFLOP/s "
          f"(before {mm['before_flops_per_s'] / 1e9:.1f}, after {mm['after_flops_per_s'] / 1e9:.1f}: the faster is used)")
    low, high = sorted((mm["before_flops_per_s"], mm["after_flops_per_s"]))
    if low < 0.8 * high:
        print("note: the matmul rate changed by over 20% during the run: the machine was busy, figures are noisy")
    if not report["torch"]["available"]:
        print(f"torch: skipped ({report['torch']['skipped_reason']})")
    else:
        print(f"torch {report['torch']['version']}: eager mode, float32 and float64")
    print()
    print(format_table(report["results"]))
    print()
    t = report["target"]
    if t["ratio"] is None:
        print(f"target: ratio to bound <= {t['max_ratio']} at {t['config']}: not measured (config not run)")
    else:
        verdict = "PASS" if t["passed"] else "ABOVE TARGET"
        print(f"target: ratio to bound <= {t['max_ratio']} at {t['config']}: {verdict} (ratio {t['ratio']:.2f})")


def main(argv=None, data=None):
    """Run the benchmark. data: optional (X (N, D) float64, y (N,) int64) to use instead of MNIST.

    Returns 0 whether or not the target is met; 1 when the data cannot be loaded.
    """
    args = build_parser().parse_args(argv)
    try:
        if data is not None:
            X, y, source = np.ascontiguousarray(data[0], dtype=np.float64), np.asarray(data[1], dtype=np.int64), "injected"
        else:
            X, y, source = load_training_data(args.data_dir)
    except DataError as exc:
        print(f"bench_epoch: error: cannot load the MNIST training images: {exc}", file=sys.stderr)
        return 1
    if args.subset is not None:
        X, y = X[:args.subset], y[:args.subset]
    limiter = limit_blas_threads(args.threads) if args.threads else None
    try:
        report = run_benchmark(args, X, y)
    finally:
        if limiter is not None:
            limiter.restore_original_limits()
    report["dataset"]["source"] = source
    print_report(report, source)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, allow_nan=True) + "\n")
        progress(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
