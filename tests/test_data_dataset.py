"""Finding and loading the dataset: resolution order, MNIST splits, the parse cache, the digits fallback."""

import argparse
import shutil

import numpy as np
import pytest

from grader.commands import data as data_command
from grader.data import DataError, Dataset, RawDataset, cache_dir, describe_search, find_mnist_dir, load_dataset, load_raw
from grader.data import dataset as dataset_module
from grader.data import digits as digits_module
from grader.data.idx import read_labels
from grader.data.sources import FILES, TRAIN_LABELS
from conftest import real_mnist_dir


@pytest.fixture(scope="module")
def mnist_cache_home(tmp_path_factory):
    """An XDG_CACHE_HOME shared by this module's MNIST tests, so MNIST is parsed once."""
    return tmp_path_factory.mktemp("xdg-mnist")


@pytest.fixture(scope="module")
def mnist_loads(mnist_cache_home):
    """(first, second) load_raw("mnist"): the first parses; the second must not (parsing would raise)."""
    def no_parsing(path):
        raise AssertionError(f"parsed {path} although the parse cache was warm")

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(mnist_cache_home))
        mp.setenv("MNIST_DIR", str(real_mnist_dir()))
        first = load_raw("mnist")
        mp.setattr(dataset_module, "read_images", no_parsing)
        mp.setattr(dataset_module, "read_labels", no_parsing)
        second = load_raw("mnist")
    return first, second


@pytest.fixture(scope="module")
def mnist(mnist_loads):
    return mnist_loads[1].scaled()


@pytest.fixture(autouse=True)
def nothing_anywhere(tmp_path, monkeypatch):
    """Each test starts with no MNIST_DIR and an empty per-user cache under tmp_path."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("MNIST_DIR", raising=False)


def fake_mnist_dir(path):
    """A directory holding four (empty) files with the official names: enough to be found."""
    path.mkdir(parents=True, exist_ok=True)
    for source in FILES:
        (path / source.name).touch()
    return path


def copy_of_real_mnist(path):
    path.mkdir(parents=True, exist_ok=True)
    for source in FILES:
        shutil.copyfile(real_mnist_dir() / source.name, path / source.name)
    return path


# --- where data lives ----------------------------------------------------------------------------


def test_data_dir_beats_mnist_dir_beats_the_cache(tmp_path, monkeypatch):
    explicit = fake_mnist_dir(tmp_path / "explicit")
    env = fake_mnist_dir(tmp_path / "env")
    cached = fake_mnist_dir(cache_dir())
    monkeypatch.setenv("MNIST_DIR", str(env))
    assert find_mnist_dir(explicit) == explicit
    assert find_mnist_dir() == env
    monkeypatch.delenv("MNIST_DIR")
    assert find_mnist_dir() == cached


def test_an_environment_location_missing_a_file_is_passed_over(tmp_path, monkeypatch):
    partial = fake_mnist_dir(tmp_path / "partial")
    (partial / FILES[2].name).unlink()
    monkeypatch.setenv("MNIST_DIR", str(partial))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    fake_mnist_dir(tmp_path / "xdg" / "dl-grader" / "mnist")
    assert find_mnist_dir() == tmp_path / "xdg" / "dl-grader" / "mnist"


def test_a_data_dir_the_user_named_is_never_passed_over(tmp_path, monkeypatch):
    """--data-dir names a place: if it lacks a file, that is an error naming the file, even when MNIST_DIR would do."""
    partial = fake_mnist_dir(tmp_path / "partial")
    (partial / FILES[2].name).unlink()
    monkeypatch.setenv("MNIST_DIR", str(fake_mnist_dir(tmp_path / "env")))
    with pytest.raises(DataError, match=f"lacks {FILES[2].name}"):
        find_mnist_dir(partial)
    with pytest.raises(DataError, match="--data-dir"):
        load_raw("auto", data_dir=partial)


def test_nothing_found_gives_none():
    assert find_mnist_dir() is None


def test_cache_dir_follows_xdg_cache_home_else_home(tmp_path, monkeypatch):
    assert cache_dir() == tmp_path / "xdg-cache" / "dl-grader" / "mnist"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "dl-grader" / "mnist"


def test_describe_search_lists_every_place_looked_and_what_it_lacks(tmp_path, monkeypatch):
    partial = fake_mnist_dir(tmp_path / "partial")
    (partial / FILES[0].name).unlink()
    monkeypatch.setenv("MNIST_DIR", str(tmp_path / "nowhere"))
    text = describe_search(partial)
    assert f"--data-dir: {partial} (missing {FILES[0].name})" in text
    assert f"MNIST_DIR: {tmp_path / 'nowhere'} (no such directory)" in text
    assert f"cache: {cache_dir()}" in text


# --- choosing a dataset --------------------------------------------------------------------------


def test_mnist_named_but_absent_is_an_error_not_a_silent_swap(tmp_path):
    with pytest.raises(DataError) as caught:
        load_raw("mnist")
    message = str(caught.value)
    assert "MNIST not found" in message
    assert str(cache_dir()) in message
    assert "grader data download" in message and "MNIST_DIR" in message


def test_auto_with_no_mnist_anywhere_uses_digits():
    assert load_raw("auto").name == "digits"


@pytest.mark.mnist
def test_auto_with_mnist_available_uses_mnist(mnist_loads, mnist_cache_home, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(mnist_cache_home))  # warm parse cache: no second parse
    monkeypatch.setenv("MNIST_DIR", str(real_mnist_dir()))
    data = load_raw("auto")
    assert data.name == "mnist" and str(real_mnist_dir()) in data.source and "MNIST_DIR" in data.source


def test_unknown_dataset_name_is_an_error_listing_the_valid_names():
    with pytest.raises(DataError, match="unknown dataset 'fashion'; choose one of: auto, mnist, digits"):
        load_raw("fashion")


@pytest.mark.mnist
def test_a_corrupt_mnist_file_is_reported_by_name_even_under_auto(tmp_path):
    found = copy_of_real_mnist(tmp_path / "mnist")
    (found / TRAIN_LABELS.name).write_bytes(bytes(TRAIN_LABELS.size))
    with pytest.raises(DataError) as caught:
        load_raw("auto", data_dir=found)
    assert str(found / TRAIN_LABELS.name) in str(caught.value) and "wrong md5" in str(caught.value)


# --- MNIST -----------------------------------------------------------------------------------------


@pytest.mark.mnist
def test_mnist_splits_48000_train_12000_val_10000_test(mnist):
    assert isinstance(mnist, Dataset) and mnist.name == "mnist"
    assert mnist.sizes() == {"train": 48_000, "val": 12_000, "test": 10_000}
    assert mnist.X_train.shape == (48_000, 784) and mnist.X_val.shape == (12_000, 784)
    assert mnist.X_test.shape == (10_000, 784)


@pytest.mark.mnist
def test_mnist_images_are_float64_in_0_1_and_labels_int64_0_to_9(mnist):
    for X, y in ((mnist.X_train, mnist.y_train), (mnist.X_val, mnist.y_val), (mnist.X_test, mnist.y_test)):
        assert X.dtype == np.float64 and X.min() == 0.0 and X.max() == 1.0
        assert y.dtype == np.int64 and set(np.unique(y)) == set(range(10))


@pytest.mark.mnist
def test_raw_mnist_is_uint8_and_scaling_divides_by_255(mnist_loads, mnist):
    raw = mnist_loads[0]
    assert isinstance(raw, RawDataset) and raw.X_train.dtype == np.uint8 and raw.y_train.dtype == np.int64
    assert np.array_equal(mnist.X_test, raw.X_test / 255.0)


@pytest.mark.mnist
def test_validation_is_the_last_12000_of_the_training_file_in_order(mnist):
    labels = read_labels(real_mnist_dir() / TRAIN_LABELS.name)
    assert np.array_equal(mnist.y_train, labels[:48_000]) and np.array_equal(mnist.y_val, labels[48_000:])


@pytest.mark.mnist
def test_second_load_comes_from_the_npy_parse_cache_without_parsing(mnist_loads, mnist_cache_home):
    first, second = mnist_loads  # the fixture made parsing raise for the second load
    for key, array in first.arrays().items():
        assert np.array_equal(array, second.arrays()[key])
    cache = mnist_cache_home / "dl-grader" / "mnist"
    assert second.paths_npy == first.paths_npy
    assert all(path.parent.parent == cache and path.parent.name.startswith("parsed-") for path in second.paths_npy.values())
    assert all(np.array_equal(np.load(path), second.arrays()[key]) for key, path in second.paths_npy.items())


@pytest.mark.mnist
def test_nothing_is_written_beside_the_source_files(mnist_loads):
    assert sorted(p.name for p in real_mnist_dir().iterdir() if p.suffix != ".md") == sorted(f.name for f in FILES)


@pytest.mark.mnist
def test_a_damaged_parse_cache_is_rebuilt(mnist_loads, mnist_cache_home, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(mnist_cache_home))
    damaged = mnist_loads[0].paths_npy["X_test"]
    head = damaged.read_bytes()[:1000]
    damaged.unlink()  # a new inode: the other loads' memory maps of the old file stay valid
    damaged.write_bytes(head)
    data = load_raw("mnist", data_dir=real_mnist_dir())
    assert data.X_test.shape == (10_000, 784) and np.array_equal(data.X_test, mnist_loads[0].X_test)
    assert np.load(damaged, mmap_mode="r").shape == (10_000, 784)


def test_save_npy_writes_the_six_arrays_for_a_child_process(tmp_path):
    raw = load_raw("digits")
    paths = raw.save_npy(tmp_path / "arrays")
    assert sorted(paths) == sorted(raw.arrays())
    for key, path in paths.items():
        assert path == tmp_path / "arrays" / f"{key}.npy"
        assert np.array_equal(np.load(path), raw.arrays()[key])
    assert sorted(p.name for p in (tmp_path / "arrays").iterdir()) == sorted(f"{k}.npy" for k in paths)


# --- the digits fallback -------------------------------------------------------------------------


def test_digits_split_1200_train_300_val_297_test_in_file_order():
    data = load_dataset("digits")
    assert data.name == "digits" and "scikit-learn digits" in data.source
    assert data.sizes() == {"train": 1200, "val": 300, "test": 297}
    assert data.y_train[:10].tolist() == list(range(10))  # the file starts 0, 1, ..., 9


def test_digits_look_like_raw_mnist_uint8_28x28_with_a_4_pixel_zero_border():
    raw = load_raw("digits")
    images = np.concatenate([raw.X_train, raw.X_val, raw.X_test]).reshape(-1, 28, 28)
    assert images.dtype == np.uint8 and images.max() == 255
    inner = images[:, 4:24, 4:24]
    assert images.sum() == inner.sum() and (inner.sum(axis=(1, 2)) > 0).all()
    assert raw.y_train.dtype == np.int64 and set(np.unique(raw.y_test)) <= set(range(10))


def test_digits_scaled_are_float64_in_0_1():
    data = load_dataset("digits")
    assert data.X_train.dtype == np.float64 and data.X_train.shape == (1200, 784)
    assert 0.0 == data.X_train.min() and data.X_train.max() == 1.0


def test_bilinear_resize_keeps_a_constant_image_constant_and_the_corner_values():
    image = np.arange(64, dtype=float).reshape(1, 8, 8)
    big = digits_module.resize_bilinear(image, 20)
    assert big.shape == (1, 20, 20)
    assert big[0, 0, 0] == image[0, 0, 0] and big[0, -1, -1] == image[0, -1, -1]
    assert np.allclose(digits_module.resize_bilinear(np.full((2, 8, 8), 7.0), 20), 7.0)


def test_digits_without_scikit_learn_is_an_error_saying_so(monkeypatch):
    monkeypatch.setattr(digits_module.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DataError, match="scikit-learn is not installed.*pip install scikit-learn"):
        load_raw("digits")


# --- `grader data info` --------------------------------------------------------------------------


def run_cli(*argv):
    parser = argparse.ArgumentParser(prog="grader data")
    data_command.add_arguments(parser)
    return data_command.main(parser.parse_args(argv))


def test_info_with_nothing_found_reports_digits_and_how_to_get_mnist(capsys):
    assert run_cli("info") == 0
    out = capsys.readouterr().out
    assert "dataset: digits" in out and "train 1,200, val 300, test 297" in out
    assert "grader data download" in out


@pytest.mark.mnist
def test_info_for_mnist_reports_the_directory_and_split_sizes(mnist_loads, mnist_cache_home, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(mnist_cache_home))
    assert run_cli("info", "--dataset", "mnist", "--data-dir", str(real_mnist_dir())) == 0
    out = capsys.readouterr().out
    assert "dataset: mnist" in out and str(real_mnist_dir()) in out and "--data-dir" in out
    assert "train 48,000, val 12,000, test 10,000" in out


def test_info_for_absent_mnist_exits_2_saying_where_it_looked(tmp_path, capsys):
    assert run_cli("info", "--dataset", "mnist") == 2
    err = capsys.readouterr().err
    assert "MNIST not found" in err and str(cache_dir()) in err
