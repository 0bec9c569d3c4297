"""Fast tests of grader.bench_epoch's pure parts and of one tiny end-to-end run.

No timing is asserted anywhere: only arithmetic, plumbing and the report's shape.
"""

import argparse
import json
import sys

import numpy as np
import pytest

from grader import bench_epoch as be

RESULT_KEYS = {
    "config", "batch_size", "hidden_size", "epoch_s", "epoch_times_s", "train_loss", "flops", "bound_s",
    "ratio_to_bound", "torch_f32_s", "torch_f64_s", "ours_over_torch_f32", "ours_over_torch_f64",
}
TINY_ARGS = ["--repeats", "1", "--matmul-size", "32"]


def synthetic(n=96, d=784, seed=0):
    """A tiny MNIST-shaped dataset: X (n, d) float64 in [0, 1], y (n,) int64."""
    rng = np.random.default_rng(seed)
    return rng.random((n, d)), rng.integers(0, 10, n).astype(np.int64)


def test_epoch_flops_matches_the_formula():
    # 2*N*(2*784*H + 3*10*H) at N=48,000, H=128: 96,000 * (200,704 + 3,840)
    assert be.epoch_flops(48_000, 128) == 96_000 * 204_544
    assert be.epoch_flops(1, 1, input_size=1, num_classes=1) == 2 * (2 + 3)


def test_flop_bound_is_flops_over_rate():
    assert be.flop_bound(48_000, 128, 1e9) == pytest.approx(19.636224)
    assert be.flop_bound(10, 4, 2.0, input_size=3, num_classes=2) == 2 * 10 * (2 * 3 * 4 + 3 * 2 * 4) / 2.0
    with pytest.raises(ValueError):
        be.flop_bound(10, 4, 0.0)


def test_ratio():
    assert be.ratio(3.0, 1.5) == 2.0
    assert be.ratio(None, 1.0) is None
    assert be.ratio(1.0, None) is None
    assert be.ratio(1.0, 0.0) is None


def test_parse_configs():
    assert be.parse_configs("64x128,32x256") == [(64, 128), (32, 256)]
    assert be.parse_configs(" 8X16 ,") == [(8, 16)]
    for bad in ("", "64", "64x", "0x128", "64x-1", "axb", "1x2x3"):
        with pytest.raises(argparse.ArgumentTypeError):
            be.parse_configs(bad)


def test_positive_int_options_are_checked():
    assert be.positive_int("3") == 3
    for bad in ("0", "-2", "x"):
        with pytest.raises(argparse.ArgumentTypeError):
            be.positive_int(bad)
    with pytest.raises(SystemExit):
        be.build_parser().parse_args(["--subset", "0"])


def test_median_time_counts_warmup_and_calls_setup_each_time():
    calls, setups, announced = [], [], []

    def setup():
        setups.append(len(setups))
        return len(setups)

    median, times, result = be.median_time(
        lambda state: calls.append(state) or state, 3, setup=setup, warmup=1,
        on_repeat=lambda i, r: announced.append((i, r)),
    )
    assert calls == [1, 2, 3, 4]  # a fresh setup() value per call, warm-up included
    assert len(times) == 3 and median == sorted(times)[1]
    assert result == 4
    assert announced == [(1, 3), (2, 3), (3, 3)]
    with pytest.raises(ValueError):
        be.median_time(lambda: None, 0)


def test_target_verdict():
    rows = [{"config": "64x128", "ratio_to_bound": 2.4}, {"config": "32x256", "ratio_to_bound": 9.0}]
    assert be.target_verdict(rows) == {"config": "64x128", "max_ratio": 2.5, "ratio": 2.4, "passed": True}
    assert be.target_verdict([{"config": "64x128", "ratio_to_bound": 2.6}])["passed"] is False
    assert be.target_verdict(rows[1:])["passed"] is None


def test_without_mnist_it_exits_1_naming_the_folder(tmp_path, capsys):
    """The benchmark reads MNIST through grader.data, like every job; a folder without it is a clear error."""
    assert be.main(TINY_ARGS + ["--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "bench_epoch: error: cannot load the MNIST training images" in err and str(tmp_path) in err


def test_main_end_to_end_writes_json(tmp_path, capsys):
    out = tmp_path / "bench.json"
    rc = be.main(TINY_ARGS + ["--configs", "16x8,64x128", "--subset", "80", "--json", str(out)], data=synthetic())
    assert rc == 0
    report = json.loads(out.read_text())
    assert set(report) >= {"dataset", "repeats", "matmul", "torch", "threads", "results", "target"}
    assert report["dataset"] == {"n": 80, "input_size": 784, "source": "injected"}
    assert set(report["matmul"]) == {"size", "seconds", "flops_per_s", "before_flops_per_s", "after_flops_per_s"}
    assert report["matmul"]["flops_per_s"] == max(report["matmul"]["before_flops_per_s"],
                                                  report["matmul"]["after_flops_per_s"])
    assert set(report["threads"]) == {"cpu_count", "numpy_blas", "torch"}
    assert [r["config"] for r in report["results"]] == ["16x8", "64x128"]
    for r in report["results"]:
        assert set(r) == RESULT_KEYS
        assert len(r["epoch_times_s"]) == 1 and np.isfinite(r["train_loss"])
        assert r["flops"] == be.epoch_flops(80, r["hidden_size"])
        assert r["bound_s"] == pytest.approx(r["flops"] / report["matmul"]["flops_per_s"])
        assert r["ratio_to_bound"] == pytest.approx(r["epoch_s"] / r["bound_s"])
        if report["torch"]["available"]:
            assert r["ours_over_torch_f32"] == pytest.approx(r["epoch_s"] / r["torch_f32_s"])
            assert r["ours_over_torch_f64"] == pytest.approx(r["epoch_s"] / r["torch_f64_s"])
        else:
            assert r["torch_f32_s"] is None and r["ours_over_torch_f64"] is None
    assert report["target"]["config"] == "64x128" and report["target"]["passed"] in (True, False)
    printed = capsys.readouterr()
    assert "ratio to bound" in printed.out and "GFLOP/s" in printed.out
    assert ("PASS" in printed.out) or ("ABOVE TARGET" in printed.out)
    assert "config 16x8: repeat 1/1" in printed.err


def test_torch_missing_is_reported_not_an_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    out = tmp_path / "bench.json"
    rc = be.main(TINY_ARGS + ["--configs", "16x8", "--json", str(out)], data=synthetic(40))
    assert rc == 0
    report = json.loads(out.read_text())
    assert report["torch"]["available"] is False and "not importable" in report["torch"]["skipped_reason"]
    assert report["threads"]["torch"] is None
    printed = capsys.readouterr().out
    assert "torch: skipped (not importable" in printed
    assert "not measured" in printed  # 64x128 was not among the configs
