"""A check may require another: its pass counts only when the other passed (Check.requires).

The accuracy after training requires the trajectory check: a network that does not follow the reference
step for step (say, gradients N times too large) reaches the threshold or not depending on the seed of the
run, so without the requirement its points would be luck, and the secret grading seed and the student
kit's public seed could disagree on the same code.
"""

import re

import pytest

from conftest import ROOT
from grader import pipeline
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


def test_a_withheld_pass_blames_what_its_failed_requirement_blames():
    """Does a property withheld because its value check failed name the same root cause (e.g. a wrong predict
    under train_perceptron), so that a bug is said once, at its root, in every check it costs?"""
    xor = check("perceptron.train_perceptron/xor", requires=("perceptron.train_perceptron/rule-trace",))
    failed = Verdict(False, "wrong w", note="with a correct predict patched in, this check passes",
                     culprits=("perceptron.predict",))
    verdict = with_requirements(xor, Verdict(True, "reports converged=False on XOR"),
                                {"perceptron.train_perceptron/rule-trace": failed})
    assert not verdict.passed and verdict.culprits == ("perceptron.predict",)
    assert verdict.note == "with a correct predict patched in, this check passes"


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


# -- no points for vacuous properties --------------------------------------------------------------------------

PROPERTIES = {  # property check -> the value check it waits for: code that computes nothing has each property too
    "activations.sigmoid/warning-free": ("activations.sigmoid/large-inputs",),
    "activations.relu_grad/float": ("activations.relu_grad/values",),
    **{f"{g}/input-unchanged": (f"{g}/values",) for g in (
        "activations.sigmoid", "activations.sigmoid_grad", "activations.relu", "activations.relu_grad", "softmax.softmax",
        "softmax.softmax_jacobian", "softmax.cross_entropy_loss", "softmax.accuracy")},
    "softmax.softmax/warning-free": ("softmax.softmax/large-scores",),
    "softmax.softmax/normalised": ("softmax.softmax/values",),
    "perceptron.train_perceptron/xor-not-converged": ("perceptron.train_perceptron/rule-trace",),
    **{f"two_layer_net.TwoLayerNet.forward/{slug}": tuple(f"two_layer_net.TwoLayerNet.forward/{v}" for v in (
        "loss", "grad-W1", "grad-b1", "grad-W2", "grad-b2")) for slug in ("repeatable", "eval-mode", "inputs-unmodified")},
    "optimizer.SGD.apply_regularization/biases": ("optimizer.SGD.apply_regularization/weights",),
}


def test_every_property_that_code_computing_nothing_has_waits_for_its_value_check():
    declared = {c.id: c.requires for c in catalog.unit_checks(RUBRIC) if c.requires}
    assert declared == PROPERTIES
    assert {c.id for c in catalog.unit_checks(RUBRIC) if c.requires_any} == {id for id in PROPERTIES if "TwoLayerNet" in id}


def test_forwards_properties_count_once_any_of_its_value_checks_passed():
    """A forward with one thing right computes something: its repeatable call, eval mode and untouched inputs count
    (a wrong loss with right gradients, say an L2 term in the loss, costs the loss check alone); with nothing right, none."""
    eval_mode = next(c for c in catalog.unit_checks(RUBRIC) if c.id.endswith("forward/eval-mode"))
    passed = Verdict(True, "eval mode leaves the gradients untouched")
    values = {id: Verdict(False, "wrong") for id in eval_mode.requires}
    assert not with_requirements(eval_mode, passed, values).passed
    assert with_requirements(eval_mode, passed, {**values, eval_mode.requires[2]: Verdict(True, "")}) is passed


def test_a_withheld_property_names_the_value_check_it_waits_for_and_why():
    normalised = next(c for c in catalog.unit_checks(RUBRIC) if c.id == "softmax.softmax/normalised")
    verdict = with_requirements(normalised, Verdict(True, "rows sum to 1"), {"softmax.softmax/values": Verdict(False, "wrong values")})
    assert not verdict.passed
    assert verdict.message == ("rows sum to 1; not counted, because softmax.softmax/values failed: code that computes nothing "
                               "has this property too, so it counts once the values are right")


NOTHING = {  # module -> {the skeleton's NotImplementedError message prefix: a body that computes nothing}
    "activations": {"sigmoid:": "return np.zeros(np.shape(x))", "sigmoid_grad:": "return np.zeros(np.shape(x))",
                    "relu:": "return np.zeros(np.shape(x))", "relu_grad:": "return np.zeros(np.shape(x))"},
    "softmax": {"softmax:": "return np.full(np.shape(scores), 1.0 / np.shape(scores)[-1])",  # rows sum to 1, uniformly
                "softmax_jacobian:": "return np.zeros((np.size(z), np.size(z)))", "cross_entropy_loss:": "return 0.0",
                "accuracy:": "return 0.0"},
    "perceptron": {"predict:": "return np.zeros(len(X), dtype=int)", "and_gate:": "return np.zeros(2), 0.0",
                   "or_gate:": "return np.zeros(2), 0.0", "train_perceptron:": "return np.zeros(np.shape(X)[1]), 0.0, False",
                   "xor_network:": "return None"},
    "optimizer": {"SGD.apply_regularization:": "return None", "SGD.update:": "return None"},
    "two_layer_net": {"TwoLayerNet.forward:": "return 0.0, 0.0"},
}


def computing_nothing(folder):
    """The skeleton with every function returning zeros of the right shape, uniform rows, (0.0, 0.0) or None."""
    for module, bodies in NOTHING.items():
        text = (ROOT / "assignment" / f"{module}.py").read_text()
        for prefix, body in bodies.items():
            text, n = re.subn(r"raise NotImplementedError\((['\"])" + re.escape(prefix) + r".*?\1\)", body, text)
            assert n == 1, (module, prefix)
        (folder / f"{module}.py").write_text("import numpy as np\n" + text)
    return folder


@pytest.mark.slow  # grades in the sandbox: waits on the OS
def test_a_submission_that_computes_nothing_scores_nothing(tmp_path):
    """Measured before the rule, from properties alone: 15.9/100 (13.65 with a softmax of zeros instead)."""
    result = pipeline.grade(computing_nothing(tmp_path), RUBRIC, Options(only="*.*/*"))  # every unit check: no data
    assert result.score == 0, [r.name for r in result.results if r.score]
    assert any("not counted, because softmax.softmax/values failed" in r.message for r in result.results)
