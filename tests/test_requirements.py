"""A check may require another: its pass counts only when the other passed (Check.requires).

The accuracy after training requires the trajectory check: a network that does not follow the reference
step for step (say, gradients N times too large) reaches the threshold or not depending on the seed of the
run, so without the requirement its points would be luck, and the secret grading seed and the student
kit's public seed could disagree on the same code.
"""

from grader.checks import catalog
from grader.checks.base import Check, Verdict, requirements_failed, with_requirements
from grader.dist import specs
from grader.paths import RUBRIC_FILE
from grader.pipeline import Options, select
from grader.rubric import load_rubric

RUBRIC = load_rubric(RUBRIC_FILE)


def check(id, requires=()):
    return Check(id, "a sentence", (), (), lambda s, r: Verdict(True, ""), "full hint", "concept hint", requires=requires)


ACCURACY = check("training/accuracy", requires=("training/trajectory",))


def test_a_pass_does_not_count_when_a_required_check_failed():
    verdict = with_requirements(ACCURACY, Verdict(True, "test accuracy 0.91"), {"training/trajectory": Verdict(False, "diverged")})
    assert not verdict.passed
    assert verdict.message.startswith("test accuracy 0.91; not counted, because training/trajectory failed")


def test_a_pass_counts_when_the_required_check_passed_or_did_not_run():
    passed = Verdict(True, "test accuracy 0.91")
    assert with_requirements(ACCURACY, passed, {"training/trajectory": Verdict(True, "")}) is passed
    assert with_requirements(ACCURACY, passed, {}) is passed


def test_a_failure_stays_as_it_was():
    failed = Verdict(False, "test accuracy 0.11, below the threshold")
    assert with_requirements(ACCURACY, failed, {"training/trajectory": Verdict(False, "diverged")}) is failed
    assert requirements_failed(ACCURACY, {"training/trajectory": Verdict(False, "")}) == ["training/trajectory"]


def data_catalog():
    return catalog.build(RUBRIC, specs.stand_in_dataset("mnist"), ".")


def test_the_accuracy_after_training_requires_the_trajectory_check():
    checks = data_catalog()
    accuracy = next(c for c in checks if c.kind == "training")
    (required,) = accuracy.requires
    assert required in {c.id for c in checks if c.group == "training" and c.kind == "unit"}


def test_selecting_a_check_runs_the_checks_it_requires():
    """`--only` the accuracy check also runs the trajectory check, so that the verdict is the full grade's."""
    checks = data_catalog()
    accuracy = next(c for c in checks if c.kind == "training")
    chosen = select(checks, RUBRIC, Options(only=accuracy.name))
    assert [c.id for c in chosen] == [c.id for c in checks if c.id in (accuracy.id, *accuracy.requires)]


def test_the_data_is_loaded_only_when_a_picked_check_trains_or_times():
    """The catalog names those checks without any data: --only matches their ids and names alike."""
    from grader.pipeline import needs_data
    assert needs_data(RUBRIC, Options())
    assert needs_data(RUBRIC, Options(only="training/accuracy"))
    assert needs_data(RUBRIC, Options(only="*test accuracy reaches the threshold*"))
    assert needs_data(RUBRIC, Options(only="performance*"))
    assert not needs_data(RUBRIC, Options(only="softmax.*"))
    assert not needs_data(RUBRIC, Options(only="*no such check*"))


def test_the_catalog_names_the_data_checks_as_the_built_checks_do():
    built = {c.id: c.text for c in data_catalog() if c.group in ("training", "performance")}
    assert catalog.data_check_texts(RUBRIC) == built
