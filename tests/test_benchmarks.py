"""pytest-benchmark of the reference's training epoch (batch 64, hidden 128) on real MNIST.

Run with `pytest -m benchmark_epoch --benchmark-enable`; under the default
`--benchmark-disable` the epoch runs once. Timing never fails the test: the ratio
to the FLOP bound is recorded in benchmark.extra_info for the report.
"""

import statistics
import time

import numpy as np
import pytest

from conftest import real_mnist_dir
from tools import bench_epoch as be

N_IMAGES = 12_000  # the first 12,000 training images
BATCH_SIZE, HIDDEN_SIZE = be.TARGET_CONFIG
ROUNDS = 3


@pytest.fixture(scope="module")
def mnist_subset():
    """X (12000, 784) float64 in [0, 1], y (12000,) int64, from the real MNIST files (the test is marked mnist)."""
    X, y, source = be.load_training_data(real_mnist_dir())
    return np.ascontiguousarray(X[:N_IMAGES]), y[:N_IMAGES], source


@pytest.mark.slow
@pytest.mark.mnist
@pytest.mark.benchmark_epoch
def test_reference_epoch_speed(benchmark, mnist_subset):
    X, y, source = mnist_subset
    config = be.TrainConfig(batch_size=BATCH_SIZE, hidden_size=HIDDEN_SIZE)
    seconds = []  # our own clock, so the ratio is known with the benchmark enabled or disabled

    def fresh_model():
        model = be.TwoLayerNet(X.shape[1], HIDDEN_SIZE, be.NUM_CLASSES, seed=config.seed)
        return (model, be.SGD(config.learning_rate, config.reg, config.momentum)), {}

    def one_epoch(model, optimizer):
        start = time.perf_counter()
        result = be.train_epoch(model, optimizer, X, y, config, be.EPOCH)
        seconds.append(time.perf_counter() - start)
        return result

    rate_before = be.matmul_rate(2000, 3)["flops_per_s"]
    loss, acc = benchmark.pedantic(one_epoch, setup=fresh_model, rounds=ROUNDS, warmup_rounds=1, iterations=1)

    assert seconds, "the epoch never ran"
    assert np.isfinite(loss) and 0.0 <= acc <= 1.0
    rate = max(rate_before, be.matmul_rate(2000, 3)["flops_per_s"])  # the faster: load only ever slows it
    epoch_s = statistics.median(seconds[-ROUNDS:])  # the counted rounds (one call when disabled)
    bound_s = be.flop_bound(X.shape[0], HIDDEN_SIZE, rate, input_size=X.shape[1])
    benchmark.extra_info.update({
        "data": source, "n": int(X.shape[0]), "batch_size": BATCH_SIZE, "hidden_size": HIDDEN_SIZE,
        "matmul_gflops": rate / 1e9, "epoch_s": epoch_s, "bound_s": bound_s,
        "ratio_to_bound": be.ratio(epoch_s, bound_s), "target_ratio": be.TARGET_RATIO,
        "train_loss": loss, "train_accuracy": acc,
    })
