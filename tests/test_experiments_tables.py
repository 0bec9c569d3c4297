"""Tables are github markdown with 4-decimal accuracies; the sentences come from the numbers."""

from grader.experiments.findings import lr_findings, reg_findings, tuned_findings
from grader.experiments.runs import RunFailure, RunResult
from grader.experiments.sweeps import LR, REG, sweep_config
from grader.experiments.tables import config_table, format_accuracy, sweep_table
from grader.harness.train_config import TrainConfig


def run(config, train, val, test):
    return RunResult(config, train, val, test, 1.0, ())


def lr_rows(tests, trains=None):
    trains = trains or tests
    return [(v, run(sweep_config(LR, v), tr, te, te)) for v, tr, te in zip(LR.values, trains, tests)]


def test_the_lr_table_shows_training_and_test_accuracy_per_rate():
    rows = lr_rows([0.9507, 0.9312, 0.92, 0.8812345], trains=[0.9433, 0.93, 0.91, 0.88])
    assert sweep_table(LR, rows).splitlines() == [
        "|   learning rate |   training accuracy |   test accuracy |",
        "|-----------------|---------------------|-----------------|",
        "|               1 |              0.9433 |          0.9507 |",
        "|             0.1 |              0.9300 |          0.9312 |",
        "|            0.05 |              0.9100 |          0.9200 |",
        "|            0.01 |              0.8800 |          0.8812 |",
    ]


def test_the_reg_table_has_a_validation_column_and_marks_failed_runs():
    rows = [(v, run(sweep_config(REG, v), 0.9, 0.8, 0.7)) for v in REG.values[:-1]]
    rows.append((1e-4, RunFailure(sweep_config(REG, 1e-4), "timed out")))
    lines = sweep_table(REG, rows).splitlines()
    assert lines[0] == "|    reg |   training accuracy |   validation accuracy |   test accuracy |"
    assert lines[2] == "|      1 |              0.9000 |                0.8000 |          0.7000 |"
    assert lines[-1] == "| 0.0001 |              failed |                failed |          failed |"


def test_the_config_table_lists_every_field_that_matters():
    tuned = TrainConfig(batch_size=32, learning_rate=0.55, reg=5e-4, hidden_size=256)
    table = config_table([run(tuned, 0.99, 0.98, 0.97)])
    assert table.splitlines()[2] == ("|           32 |            0.55 | 0.0005 |      256 |       10 |"
                                     "              0.9900 |                0.9800 |          0.9700 |")


def test_non_finite_accuracies_print_as_nan():
    assert format_accuracy(float("nan")) == "nan" and format_accuracy(0.12345) == "0.1235"


def test_lr_findings_name_the_best_rate_and_the_margins():
    text = lr_findings(lr_rows([0.9507, 0.9445, 0.92, 0.90]))
    assert text.startswith("The best test accuracy, 0.9507, comes with learning rate 1, "
                           "0.62 percentage points above the runner-up, learning rate 0.1 (0.9445); "
                           "the worst, learning rate 0.01, is 5.07 percentage points below the best (0.9000).")


def test_findings_say_when_runs_tie_or_fail():
    rows = lr_rows([0.9, 0.9, 0.9, 0.9])
    assert lr_findings(rows).startswith("All 4 runs reach the same test accuracy, 0.9000.")
    rows[3] = (0.01, RunFailure(rows[3][1].config, "crashed"))
    assert "The run with learning rate 0.01 failed and is left out." in lr_findings(rows)
    failed = [(v, RunFailure(sweep_config(LR, v), "x")) for v in LR.values]
    assert lr_findings(failed) == "No run of this sweep finished."


def test_reg_findings_select_on_validation_and_describe_the_training_trend():
    rows = [(v, run(sweep_config(REG, v), tr, va, 0.95)) for v, tr, va in
            zip(REG.values, [0.80, 0.90, 0.95, 0.97, 0.98], [0.80, 0.90, 0.96, 0.955, 0.95])]
    text = reg_findings(rows)
    assert "The best validation accuracy, 0.9600, comes with reg 0.01" in text
    assert "From reg 1 to 0.0001, training accuracy rises steadily (0.8000 to 0.9800)." in text


def test_tuned_findings_compare_with_the_default_config():
    tuned = run(TrainConfig(batch_size=32), 0.99, 0.98, 0.978)
    default = run(TrainConfig(), 0.95, 0.95, 0.9512)
    assert tuned_findings(tuned, default).endswith("the tuning gains 2.68 percentage points of test accuracy.")
    assert tuned_findings(RunFailure(TrainConfig(), "timed out")) == "The tuned run failed: timed out"
