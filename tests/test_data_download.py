"""Downloading MNIST from mirrors: verified, atomic, falling through to the next mirror on any failure.

The mirrors are a local http.server on 127.0.0.1 serving copies of the real files:
  good/     the official files
  corrupt/  right size, one byte flipped (wrong md5)
  short/    cut short (wrong size)
  empty/    nothing (HTTP 404)
"""

import argparse
import functools
import shutil

import pytest

from grader.commands import data as data_command
from grader.data import DataError, download_mnist
from grader.data.sources import FILES
from grader.data.verify import md5_of
from conftest import real_mnist_dir
from data_server import serve_directory

UNREACHABLE = "http://127.0.0.1:1/"  # nothing listens on port 1: connection refused


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    """Base URL of the local mirror server; it stops when the module's tests end."""
    root = tmp_path_factory.mktemp("www")
    real = real_mnist_dir()
    for folder in ("good", "corrupt", "short", "empty"):
        (root / folder).mkdir()
    for source in FILES:
        shutil.copyfile(real / source.name, root / "good" / source.name)
        body = bytearray((real / source.name).read_bytes())
        body[len(body) // 2] ^= 0xFF
        (root / "corrupt" / source.name).write_bytes(bytes(body))
        (root / "short" / source.name).write_bytes(bytes(body[: len(body) // 2]))
    with serve_directory(root) as base:
        yield base


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("MNIST_DIR", raising=False)


def assert_exactly_the_official_files(directory):
    """Only the four files, each with its official md5: no temporary or partial files."""
    assert sorted(p.name for p in directory.iterdir()) == sorted(f.name for f in FILES)
    for source in FILES:
        assert md5_of(directory / source.name) == source.md5


@pytest.mark.mnist
def test_download_fetches_and_verifies_all_four_files(mirror, tmp_path):
    dest = download_mnist(tmp_path / "mnist", mirrors=[f"{mirror}/good/"])
    assert dest == tmp_path / "mnist"
    assert_exactly_the_official_files(dest)


@pytest.mark.mnist
def test_mirror_url_without_trailing_slash_works(mirror, tmp_path):
    assert_exactly_the_official_files(download_mnist(tmp_path, mirrors=[f"{mirror}/good"]))


@pytest.mark.mnist
def test_first_mirror_404_falls_through_to_the_second(mirror, tmp_path):
    download_mnist(tmp_path, mirrors=[f"{mirror}/empty/", f"{mirror}/good/"])
    assert_exactly_the_official_files(tmp_path)


@pytest.mark.mnist
def test_unreachable_mirror_falls_through_to_the_next(mirror, tmp_path):
    download_mnist(tmp_path, mirrors=[UNREACHABLE, f"{mirror}/good/"], timeout=5)
    assert_exactly_the_official_files(tmp_path)


@pytest.mark.mnist
def test_corrupted_copy_is_rejected_and_the_next_mirror_used_leaving_no_partial_file(mirror, tmp_path):
    download_mnist(tmp_path, mirrors=[f"{mirror}/corrupt/", f"{mirror}/good/"])
    assert_exactly_the_official_files(tmp_path)


@pytest.mark.mnist
def test_cut_short_copy_is_rejected_and_the_next_mirror_used(mirror, tmp_path):
    download_mnist(tmp_path, mirrors=[f"{mirror}/short/", f"{mirror}/good/"])
    assert_exactly_the_official_files(tmp_path)


@pytest.mark.mnist
def test_all_mirrors_failing_raises_data_error_listing_each_mirror(mirror, tmp_path):
    mirrors = [f"{mirror}/empty/", f"{mirror}/corrupt/", f"{mirror}/short/", UNREACHABLE]
    with pytest.raises(DataError) as caught:
        download_mnist(tmp_path, mirrors=mirrors, timeout=5)
    message = str(caught.value)
    first = FILES[0].name
    assert str(tmp_path / first) in message
    assert f"{mirror}/empty/{first}: HTTP 404" in message
    assert f"{mirror}/corrupt/{first}: served a corrupt copy" in message
    assert f"{mirror}/short/{first}: served" in message and "expected 9,912,422" in message
    assert f"{UNREACHABLE}{first}: cannot connect" in message
    assert list(tmp_path.iterdir()) == []  # nothing left behind, not even a temp file


@pytest.mark.mnist
def test_files_already_present_and_valid_are_not_downloaded_again(tmp_path):
    real = real_mnist_dir()
    for source in FILES:
        shutil.copyfile(real / source.name, tmp_path / source.name)
    download_mnist(tmp_path, mirrors=[UNREACHABLE])  # would fail if it tried the network
    assert_exactly_the_official_files(tmp_path)


@pytest.mark.mnist
def test_a_corrupt_file_already_present_is_replaced(mirror, tmp_path):
    (tmp_path / FILES[1].name).write_bytes(b"not mnist")
    download_mnist(tmp_path, mirrors=[f"{mirror}/good/"])
    assert_exactly_the_official_files(tmp_path)


@pytest.mark.mnist
def test_progress_reports_growing_byte_counts_up_to_each_total(mirror, tmp_path):
    calls = []
    download_mnist(tmp_path, mirrors=[f"{mirror}/good/"], progress=lambda *call: calls.append(call))
    for source in FILES:
        done = [d for name, d, total in calls if name == source.name and total == source.size]
        assert done == sorted(done) and done[-1] == source.size


@pytest.mark.mnist
def test_interrupted_download_leaves_no_partial_file(mirror, tmp_path):
    def interrupt(name, done, total):
        if done < total:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        download_mnist(tmp_path, mirrors=[f"{mirror}/good/"], progress=interrupt)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.mnist
def test_default_destination_is_the_per_user_cache(mirror, tmp_path):
    dest = download_mnist(mirrors=[f"{mirror}/good/"])
    assert dest == tmp_path / "xdg-cache" / "dl-grader" / "mnist"
    assert_exactly_the_official_files(dest)


def run_cli(*argv):
    parser = argparse.ArgumentParser(prog="grader data")
    data_command.add_arguments(parser)
    return data_command.main(parser.parse_args(argv))


@pytest.mark.mnist
def test_cli_download_prints_progress_to_stderr_and_the_location(mirror, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(data_command, "download_mnist",
                        functools.partial(download_mnist, mirrors=[f"{mirror}/good/"]))
    assert run_cli("download", "--data-dir", str(tmp_path / "here")) == 0
    out, err = capsys.readouterr()
    assert str(tmp_path / "here") in out
    assert all(f"{source.name}:" in err for source in FILES)
    assert_exactly_the_official_files(tmp_path / "here")


def test_cli_download_failure_exits_2_with_the_reason(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(data_command, "download_mnist", functools.partial(download_mnist, mirrors=[UNREACHABLE]))
    assert run_cli("download", "--data-dir", str(tmp_path)) == 2
    assert "could not download from any mirror" in capsys.readouterr().err
