"""`grader experiments` end to end on digits for one epoch: results.json, PNGs, report.md."""

import json

import pytest
from matplotlib.image import imread

from grader.cli import main
from grader.experiments.plots import plot_run
from grader.experiments.runs import RunResult
from grader.harness.train_config import TrainConfig
from grader.harness.training import EpochRecord

RUN_KEYS = {"config", "train_accuracy", "val_accuracy", "test_accuracy", "seconds", "history"}
CONFIG_KEYS = {"batch_size", "learning_rate", "reg", "hidden_size", "epochs", "momentum", "seed"}
HISTORY_KEYS = {"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy"}


def assert_not_blank(path):
    pixels = imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.shape[1] > 100
    assert pixels[..., :3].var() > 1e-3, f"{path.name} is blank"


def test_a_run_figure_is_a_non_blank_png(tmp_path):
    history = (EpochRecord(1, 2.3, 0.1, 2.2, 0.12), EpochRecord(2, 1.1, 0.6, 1.0, 0.7))
    path = plot_run(RunResult(TrainConfig(epochs=2), 0.6, 0.7, 0.69, 1.0, history), tmp_path / "run.png")
    assert_not_blank(path)


@pytest.fixture(scope="module")
def lr_sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("experiments")
    code = main(["experiments", "--dataset", "digits", "--epochs", "1", "--sweep", "all", "--jobs", "2",
                 "--out", str(out)])
    return out, code


@pytest.mark.slow  # waits on the OS or trains: the full suite runs it, the inner loop does not
def test_the_sweep_completes_and_writes_results_json_in_the_documented_shape(lr_sweep):
    out, code = lr_sweep
    assert code == 0
    runs = json.loads((out / "results.json").read_text())["runs"]
    assert len(runs) == 9  # 4 rates + 5 strengths - the shared default + tuned
    for run in runs:
        assert set(run) == RUN_KEYS and set(run["config"]) == CONFIG_KEYS
        assert run["config"]["epochs"] == 1 and len(run["history"]) == 1
        assert set(run["history"][0]) == HISTORY_KEYS and run["history"][0]["epoch"] == 1
        assert 0 <= run["test_accuracy"] <= 1 and run["seconds"] > 0
    assert sorted(r["config"]["learning_rate"] for r in runs if r["config"]["batch_size"] == 64
                  and r["config"]["reg"] == 0.001) == [0.01, 0.05, 0.1, 1.0]


@pytest.mark.slow  # waits on the OS or trains: the full suite runs it, the inner loop does not
def test_every_run_and_the_theory_get_a_non_blank_png(lr_sweep):
    out, _ = lr_sweep
    figures = sorted((out / "figures").glob("*.png"))
    assert len([f for f in figures if f.name.startswith("run_")]) == 9
    assert {f.name for f in figures if f.name.startswith("theory_")} == {
        "theory_softmax_jacobian.png", "theory_and_or.png", "theory_xor.png"}
    for path in figures:
        assert_not_blank(path)


@pytest.mark.slow  # waits on the OS or trains: the full suite runs it, the inner loop does not
def test_the_report_has_the_tables_the_sentences_and_the_figures(lr_sweep):
    out, _ = lr_sweep
    report = (out / "report.md").read_text()
    assert "|   learning rate |   training accuracy |   test accuracy |" in report
    assert "|    reg |   training accuracy |   validation accuracy |   test accuracy |" in report
    assert "The best test accuracy" in report or "All 4 runs reach the same test accuracy" in report
    assert "![batch 64, lr 1, reg 0.001, hidden 128, 1 epoch](figures/run_b64_lr1_reg0.001_h128_e1.png)" in report
    assert "whose sum is w1 + w2 + 2b > 0" in report and "0 separate XOR" in report
    assert "The analytic Jacobian agrees with central differences" in report
    for link in [line.split("](")[1].rstrip(")") for line in report.splitlines() if line.startswith("![")]:
        assert (out / link).is_file(), link


@pytest.mark.slow  # waits on the OS or trains: the full suite runs it, the inner loop does not
def test_re_running_a_finished_sweep_uses_the_cache(lr_sweep, capsys):
    out, _ = lr_sweep
    assert main(["experiments", "--dataset", "digits", "--epochs", "1", "--sweep", "lr", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert err.count(": cached") == 4 and "started" not in err


def test_the_skeleton_gets_a_report_of_failures_not_a_crash(tmp_path, capsys):
    from grader.paths import ASSIGNMENT_DIR
    code = main(["experiments", "--submission", str(ASSIGNMENT_DIR), "--dataset", "digits", "--epochs", "1",
                 "--sweep", "theory", "--out", str(tmp_path)])
    report = (tmp_path / "report.md").read_text()
    assert code == 1
    assert "Unavailable: softmax_jacobian raised NotImplementedError" in report
    assert "**No line separates XOR.**" in report


def test_usage_errors_exit_2_with_a_message(tmp_path, capsys):
    bad = tmp_path / "tuned.toml"
    bad.write_text("hiden_size = 3\n")
    assert main(["experiments", "--dataset", "digits", "--tuned-config", str(bad), "--out", str(tmp_path)]) == 2
    assert "hiden_size" in capsys.readouterr().err
    assert main(["experiments", "--submission", str(tmp_path / "nope"), "--dataset", "digits"]) == 2
