"""The declared experiments: each sweep changes one field of the default config; the tuned file."""

import pytest

from grader.experiments.identity import run_key
from grader.experiments.sweeps import (LR, PARTS, REG, TUNED_FILE, canonical, config_label, config_slug, load_tuned,
                                       parts, sweep_configs, with_epochs)
from grader.harness.train_config import TrainConfig


def test_the_lr_sweep_is_the_assignments_four_rates_on_the_default_config():
    configs = sweep_configs(LR)
    assert [c.learning_rate for c in configs] == [1.0, 0.1, 0.05, 0.01]
    for c in configs:
        assert c == TrainConfig(learning_rate=c.learning_rate), "only the learning rate may differ"


def test_the_reg_sweep_is_five_strengths_on_the_default_config():
    configs = sweep_configs(REG)
    assert [c.reg for c in configs] == [1.0, 0.1, 0.01, 0.001, 0.0001]
    assert all(c == TrainConfig(reg=c.reg) for c in configs)
    assert LR.metrics == ("train", "test") and REG.metrics == ("train", "val", "test")


def test_epochs_override_changes_every_run_and_nothing_else():
    assert all(c.epochs == 2 for c in sweep_configs(LR, epochs=2))
    assert with_epochs(TrainConfig(), None) == TrainConfig()


def test_all_selects_every_part_in_report_order():
    assert parts("all") == PARTS == ("lr", "reg", "tuned", "theory")
    assert parts("reg") == ("reg",)
    with pytest.raises(ValueError, match="unknown sweep 'lrr'"):
        parts("lrr")


def test_the_shipped_tuned_file_holds_the_tuned_config():
    assert load_tuned(TUNED_FILE) == TrainConfig(batch_size=32, learning_rate=0.55, reg=5e-4, hidden_size=256,
                                                 epochs=10)


def test_an_unknown_key_in_the_tuned_file_is_an_error_naming_it(tmp_path):
    path = tmp_path / "tuned.toml"
    path.write_text("batch_size = 32\nlearnig_rate = 0.5\n")
    with pytest.raises(ValueError, match=r"tuned\.toml.*learnig_rate"):
        load_tuned(path)


def test_a_bad_value_or_bad_toml_in_the_tuned_file_names_the_file(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text("epochs = 0\n")
    with pytest.raises(ValueError, match=r"t\.toml.*epochs"):
        load_tuned(path)
    path.write_text("epochs = \n")
    with pytest.raises(ValueError, match=r"t\.toml: not valid TOML"):
        load_tuned(path)


def test_integer_and_float_spellings_of_a_value_are_the_same_run():
    one, one_float = TrainConfig(learning_rate=1), TrainConfig(learning_rate=1.0)
    assert run_key(one, "d", "s") == run_key(one_float, "d", "s")
    assert canonical(one).to_dict()["learning_rate"] == 1.0 and isinstance(canonical(one).learning_rate, float)


def test_labels_and_slugs_name_the_config():
    assert config_label(TrainConfig()) == "batch 64, lr 0.1, reg 0.001, hidden 128, 10 epochs"
    assert config_slug(TrainConfig(reg=1e-4, epochs=1)) == "b64_lr0.1_reg0.0001_h128_e1"
    assert "momentum 0.9" in config_label(TrainConfig(momentum=0.9))
