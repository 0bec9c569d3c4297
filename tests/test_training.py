"""The provided training loop: batches, shuffling, bookkeeping and best-validation weights."""

import types

import numpy as np
import pytest

from grader.harness.train_config import TrainConfig
from grader.harness.training import epoch_batches, train
from reference.optimizer import SGD
from reference.two_layer_net import TwoLayerNet


def test_defaults_are_the_assignments():
    assert TrainConfig().to_dict() == {"batch_size": 64, "learning_rate": 0.1, "reg": 1e-3, "epochs": 10,
                                       "hidden_size": 128, "momentum": 0.0, "seed": 1024}


@pytest.mark.parametrize("values, message", [({"batch_size": 0}, "batch_size"), ({"lr": 1}, "unknown training option"),
                                             ({"momentum": 1.0}, "momentum"), ({"reg": -1}, "reg")])
def test_bad_configs_are_rejected_with_the_option_named(values, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig.from_dict(values)


def test_an_epoch_visits_every_sample_once_keeping_the_last_partial_batch():
    batches = epoch_batches(130, 64, seed=1, epoch=1)
    assert [len(b) for b in batches] == [64, 64, 2]
    assert sorted(np.concatenate(batches).tolist()) == list(range(130))


def test_shuffling_depends_on_seed_and_epoch_and_nothing_else():
    a, b = epoch_batches(100, 10, 1, 1), epoch_batches(100, 10, 1, 1)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(np.concatenate(a), np.concatenate(epoch_batches(100, 10, 1, 2)))
    assert not np.array_equal(np.concatenate(a), np.concatenate(epoch_batches(100, 10, 2, 1)))


def tiny_data(seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 1, (3, 8))
    def split(n):
        y = rng.integers(0, 3, n)
        return centers[y] + 0.3 * rng.normal(0, 1, (n, 8)), y
    d = types.SimpleNamespace()
    d.X_train, d.y_train = split(300)
    d.X_val, d.y_val = split(60)
    d.X_test, d.y_test = split(60)
    return d


def test_training_records_one_entry_per_epoch_and_tests_the_best_validation_weights():
    data, config = tiny_data(), TrainConfig(epochs=4, hidden_size=6, learning_rate=1.0, batch_size=16)
    net = TwoLayerNet(input_size=8, hidden_size=6, num_classes=3)
    seen = []
    result = train(net, SGD(1.0, 1e-3), data, config, on_epoch=lambda r, c: seen.append(r.epoch))
    assert seen == [1, 2, 3, 4] and len(result.history) == 4
    best = max(result.history, key=lambda r: r.val_accuracy)
    assert result.val_accuracy == best.val_accuracy and result.best_epoch == best.epoch
    assert result.train_accuracy == result.history[-1].train_accuracy
    check = TwoLayerNet(input_size=8, hidden_size=6, num_classes=3)
    check.weights = {k: v.copy() for k, v in result.best_weights.items()}
    assert check.forward(data.X_test, data.y_test, "eval")[1] == result.test_accuracy


def test_training_is_deterministic():
    runs = [train(TwoLayerNet(8, 6, 3), SGD(0.5, 1e-3), tiny_data(), TrainConfig(epochs=2, hidden_size=6)) for _ in range(2)]
    assert [r.to_dict() for r in runs[0].history] == [r.to_dict() for r in runs[1].history]


def test_the_training_split_is_scaled_a_batch_at_a_time_to_the_values_of_scaling_it_whole(tmp_path):
    from grader.harness.probes import load_data
    rng = np.random.default_rng(3)
    for split, n in (("train", 50), ("val", 20), ("test", 10)):
        np.save(tmp_path / f"X_{split}.npy", rng.integers(0, 256, (n, 784), dtype=np.uint8))
        np.save(tmp_path / f"y_{split}.npy", rng.integers(0, 10, n))
    data = load_data(str(tmp_path))
    raw = np.load(tmp_path / "X_train.npy")
    idx = np.array([7, 0, 49, 7])
    assert data.X_train.shape == (50, 784) and len(data.X_train) == 50
    assert data.X_train[idx].dtype == np.float64 and np.array_equal(data.X_train[idx], raw.astype(np.float64)[idx] / 255.0)
    assert isinstance(data.X_val, np.ndarray) and data.X_val.shape == (20, 784)  # forward gets these whole
    whole = load_data(str(tmp_path), subset=30, splits=("train",), batched=False)  # timed epochs: scaled before timing
    assert isinstance(whole.X_train, np.ndarray) and np.array_equal(whole.X_train, raw[:30] / 255.0)


def test_training_on_batched_images_is_training_on_the_scaled_array():
    from grader.harness.training import UnitScaled
    data = tiny_data()
    raw = np.random.default_rng(4).integers(0, 256, data.X_train.shape, dtype=np.uint8)
    config = TrainConfig(epochs=2, batch_size=16, hidden_size=8)
    runs = []
    for X in (UnitScaled(raw), raw / 255.0):
        net = TwoLayerNet(raw.shape[1], 8, 3, seed=0)
        runs.append(train(net, SGD(learning_rate=0.1, reg=1e-3), types.SimpleNamespace(**{**vars(data), "X_train": X}), config))
    assert runs[0].history == runs[1].history
    assert all(np.array_equal(runs[0].best_weights[k], runs[1].best_weights[k]) for k in runs[0].best_weights)
