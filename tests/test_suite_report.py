"""tools.suite_report: the test-suite figures of docs/figures.md come from what `./dev test` recorded, not from a hand."""

from datetime import date

from tools import suite_report

RUNS = [{"python": "3.11.2", "passed": 1255, "failed": 0, "errors": 0, "skipped": 0, "mnist_skipped": 0, "seconds": 429.7},
        {"python": "3.10.14", "passed": 1069, "failed": 0, "errors": 0, "skipped": 5, "mnist_skipped": 0, "seconds": 50.2}]


def test_the_report_names_the_command_its_context_each_run_and_the_total():
    text = suite_report.markdown(RUNS, 487, 0, {"CI": "true", "MNIST_DIR": "/data/mnist"}, date(2026, 11, 28), "abc1234")
    assert text.splitlines() == [
        "`./dev test` on commit abc1234, 2026-11-28, with CI=true and MNIST_DIR=/data/mnist:",
        "- the whole suite on Python 3.11.2: 1255 passed, 0 skipped, in 430 s;",
        "- the fast tests again (`-m \"not slow\"`) on Python 3.10.14: 1069 passed, 5 skipped, in 50 s;",
        "- **487 s** of wall time in all, set-up included; the command passed.",
    ]


def test_failures_and_skips_for_want_of_mnist_are_said():
    run = {**RUNS[0], "failed": 2, "errors": 1, "skipped": 28, "mnist_skipped": 28}
    text = suite_report.markdown([run], 500, 1, {}, date(2026, 11, 28), "abc1234")
    assert "with CI=unset and MNIST_DIR=unset" in text
    assert "1255 passed, 2 failed, 1 error, 28 skipped (28 for want of MNIST), in 430 s" in text
    assert "the command FAILED (exit status 1)" in text


def test_a_record_without_runs_writes_nothing(tmp_path, monkeypatch):
    out = tmp_path / "timing.md"
    monkeypatch.setattr(suite_report, "OUT", out)
    (tmp_path / "record").write_text("")
    assert suite_report.main([str(tmp_path / "record"), "12", "0"]) == 0
    assert not out.exists()


def test_a_record_becomes_the_report(tmp_path, monkeypatch):
    import json
    out = tmp_path / "suite" / "timing.md"
    monkeypatch.setattr(suite_report, "OUT", out)
    monkeypatch.setattr(suite_report, "PROJECT_DIR", tmp_path)
    (tmp_path / "record").write_text("".join(json.dumps(r) + "\n" for r in RUNS))
    assert suite_report.main([str(tmp_path / "record"), "487", "0"]) == 0
    assert "1255 passed" in out.read_text() and "**487 s**" in out.read_text()
