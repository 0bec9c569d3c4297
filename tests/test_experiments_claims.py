"""Claims files in three formats, and verify-report's verdict per claim."""

import pytest

from grader.cli import main
from grader.experiments.claims import (Claim, ClaimsError, check_claims, claim_config, claims_table, parse_claims,
                                       summary)
from grader.experiments.runs import RunFailure, RunResult
from grader.experiments.sweeps import load_tuned
from grader.harness.train_config import TrainConfig
from grader.paths import REFERENCE_DIR

TUNED = load_tuned()
EXPECTED = [("lr", 1.0, "train", 0.9433), ("lr", 1.0, "test", 0.9507), ("reg", 0.001, "val", 0.9612),
            ("tuned", None, "test", 0.978)]


def parsed(path):
    return [(c.sweep, c.value, c.metric, pytest.approx(c.claimed)) for c in parse_claims(path)]


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_long_toml_form_has_one_table_per_claim(tmp_path):
    path = write(tmp_path, "c.toml", "".join(
        f'[[claim]]\nsweep = "{s}"\n' + (f"value = {v}\n" if v is not None else "") + f'metric = "{m}"\nclaimed = {c}\n'
        for s, v, m, c in EXPECTED))
    assert parsed(path) == EXPECTED


def test_the_short_toml_form_has_one_table_per_run(tmp_path):
    path = write(tmp_path, "c.toml", "[[lr]]\nvalue = 1\ntrain = 0.9433\ntest = 0.9507\n\n"
                                     "[[reg]]\nvalue = 0.001\nval = 96.12\n\n[tuned]\ntest = 0.978\n")
    assert parsed(path) == EXPECTED  # 96.12 > 1 is read as a percentage


def test_csv_in_long_or_wide_form(tmp_path):
    long = write(tmp_path, "long.csv", "sweep,value,metric,claimed\nlr,1,train,0.9433\nlr,1,test,95.07%\n"
                                       "reg,0.001,validation,0.9612\ntuned,,test,0.978\n")
    wide = write(tmp_path, "wide.csv", "sweep,value,train,val,test\nlr,1,0.9433,,0.9507\nreg,0.001,,0.9612,\n"
                                       "tuned,,,,0.978\n")
    assert parsed(long) == EXPECTED and parsed(wide) == EXPECTED


def test_text_lines_like_a_writeup(tmp_path):
    path = write(tmp_path, "report.txt", "# from my report\nlr=1: train 0.9433, test 0.9507\n\n"
                                         "reg = 0.001: validation accuracy 96.12%\ntuned: test 0.978\n")
    assert parsed(path) == EXPECTED


@pytest.mark.parametrize("name, text, message", [
    ("c.toml", '[[claim]]\nsweep = "lr"\nvalue = 1\nmetric = "train"\nclaimed = 0.9\ncomment = "x"\n',
     r"c\.toml, \[\[claim\]\] 1: unknown key\(s\) comment"),
    ("c.toml", "[[lr]]\nvalue = 1\ntset = 0.9\n", r"\[\[lr\]\] 1: unknown key\(s\) tset"),
    ("c.toml", "[momentum]\ntest = 0.9\n", r"unknown key\(s\) momentum"),
    ("c.toml", '[[claim]]\nsweep = "lr"\nmetric = "test"\nclaimed = 0.9\n', r"a lr claim needs the swept value"),
    ("c.txt", "lr=1: train 0.9\nlr=0.1 test 0.9\n", r"c\.txt, line 2: cannot read"),
    ("c.txt", "lr=1: trian 0.9\n", r"line 1: unknown metric 'trian'"),
    ("c.txt", "momentum=0.9: test 0.9\n", r"unknown sweep 'momentum'"),
    ("c.txt", "tuned=3: test 0.9\n", r"a tuned claim takes no value"),
    ("c.txt", "lr=1: test 150\n", r"outside 0\.\.1"),
    ("c.csv", "sweep,value,metric\nlr,1,test\n", r"c\.csv, header: unknown key\(s\) metric"),
    ("c.txt", "# nothing\n", r"no claims found"),
])
def test_unreadable_claims_are_errors_that_name_the_place(tmp_path, name, text, message):
    with pytest.raises(ClaimsError, match=message):
        parse_claims(write(tmp_path, name, text))


def result(config, test):
    return RunResult(config, 0.95, 0.95, test, 1.0, ())


def test_a_claim_off_by_more_than_the_tolerance_is_flagged_and_one_within_is_accepted():
    claims = [Claim("lr", 1.0, "test", 0.9507, "a"), Claim("lr", 1.0, "test", 0.9600, "b"),
              Claim("tuned", None, "test", 0.97, "c")]
    outcomes = {claim_config(claims[0], TUNED): result(claim_config(claims[0], TUNED), 0.9540),
                TUNED: RunFailure(TUNED, "timed out")}
    checks = check_claims(claims, outcomes, TUNED, tolerance=0.005)
    assert [c.within for c in checks] == [True, False, False]
    assert checks[0].difference == pytest.approx(0.0033) and checks[1].difference == pytest.approx(-0.006)
    assert checks[2].reproduced is None and checks[2].message == "run failed: timed out"
    lines = claims_table(checks).splitlines()
    assert lines == [
        "| claim       |   claimed |   reproduced |   difference | within ±0.005         |",
        "|-------------|-----------|--------------|--------------|-----------------------|",
        "| lr 1, test  |    0.9507 |       0.9540 |      +0.0033 | ok                    |",
        "| lr 1, test  |    0.9600 |       0.9540 |      -0.0060 | MISMATCH              |",
        "| tuned, test |    0.9700 |            - |            - | run failed: timed out |",
    ]
    assert summary(checks) == "1 of 3 claims reproduced within ±0.005; 1 could not be re-run"


def test_a_claim_names_the_default_config_with_one_value_changed():
    assert claim_config(Claim("reg", 0.1, "val", 0.9, ""), TUNED) == TrainConfig(reg=0.1)
    assert claim_config(Claim("tuned", None, "val", 0.9, ""), TUNED, epochs=1) == TrainConfig(
        batch_size=32, learning_rate=0.55, reg=5e-4, hidden_size=256, epochs=1)


def test_verify_report_re_runs_the_claimed_configs_and_compares(tmp_path, capsys):
    """On digits for one epoch: first learn the true numbers, then claim one right and one wrong."""
    common = ["--submission", str(REFERENCE_DIR), "--dataset", "digits", "--epochs", "1",
              "--cache-dir", str(tmp_path / "cache")]
    probe = write(tmp_path, "probe.txt", "lr=1: test 0.5\n")
    assert main(["verify-report", "--claims", str(probe), *common]) == 0
    reproduced = float(capsys.readouterr().out.splitlines()[2].split("|")[3])
    claims = write(tmp_path, "claims.txt", f"lr=1: test {reproduced + 0.004:.4f}\nlr=1: test {reproduced + 0.02:.4f}\n")
    assert main(["verify-report", "--claims", str(claims), *common]) == 0
    captured = capsys.readouterr()
    rows = captured.out.splitlines()
    assert rows[2].rstrip(" |").endswith("ok") and rows[3].rstrip(" |").endswith("MISMATCH")
    assert "1 of 2 claims reproduced within ±0.005" in captured.out
    assert ": cached" in captured.err and "started" not in captured.err
    assert main(["verify-report", "--claims", str(claims), "--fail-on-mismatch", *common]) == 1
    assert main(["verify-report", "--claims", str(claims), "--tolerance", "0.05", "--fail-on-mismatch", *common]) == 0


def test_verify_report_usage_errors_exit_2(tmp_path, capsys):
    missing = ["verify-report", "--submission", str(REFERENCE_DIR), "--claims", str(tmp_path / "none.toml"),
               "--dataset", "digits"]
    assert main(missing) == 2
    assert "none.toml: cannot be read" in capsys.readouterr().err
