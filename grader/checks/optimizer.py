"""Checks of optimizer.py: SGD.apply_regularization and SGD.update."""


from .. import blame
from .base import Check, Probe, Verdict, first_failure
from .common import bind, rng_for
from .compare import compare_array, result_value

M = "optimizer"
from ..contract import KEYS
SHAPES = {"W1": (4, 3), "b1": (3,), "W2": (3, 2), "b2": (2,)}


def sgd_inputs(rng, steps):
    inputs = {f"w.{k}": rng.normal(0, 1, s) for k, s in SHAPES.items()}
    for t in range(steps):
        inputs.update({f"g{t}.{k}": rng.normal(0, 1, s) for k, s in SHAPES.items()})
    return inputs


def regularization_judge(keys, rule):
    def judge(student, reference, probes):
        failed = first_failure(student)
        if failed:
            return Verdict(False, failed)
        spec = probes[0].spec
        for k in keys:
            problem = compare_array(f"gradients[{k!r}] after apply_regularization (reg={spec['reg']:g})",
                                    result_value(reference[0], f"gradients.{k}"), result_value(student[0], f"gradients.{k}"), rule.rtol, rule.atol)
            if problem:
                hint = " (biases are never regularized)" if k.startswith("b") else " (add reg * W, once)"
                return Verdict(False, problem + hint)
        return Verdict(True, f"{' and '.join(keys)} as expected")
    return judge


def steps_judge(rule):
    def judge(student, reference, probes):
        failed = first_failure(student)
        if failed:
            return Verdict(False, failed)
        spec = probes[0].spec
        for t in range(spec["steps"]):
            for k in KEYS:
                problem = compare_array(f"weights[{k!r}] after update {t + 1}", result_value(reference[0], f"step{t}.{k}"),
                                        result_value(student[0], f"step{t}.{k}"), rule.rtol, rule.atol)
                if problem:
                    return Verdict(False, f"{problem} (lr={spec['learning_rate']:g}, reg={spec['reg']:g}, momentum={spec['momentum']:g})")
        return Verdict(True, f"{spec['steps']} steps match the reference")
    return judge


def checks(rubric):
    seed, rule = rubric.seed, rubric.rule
    out = []
    group = "optimizer.SGD.apply_regularization"
    spec = {"learning_rate": 0.1, "reg": 0.05, "momentum": 0.0}
    probes = (Probe("sgd_regularize", spec, sgd_inputs(rng_for(seed, group), 1)),)
    out.append(Check(f"{group}: adds reg * W to the gradients of W1 and W2", (M,), probes,
                     bind(regularization_judge(("W1", "W2"), rule(group)), probes), "gradients[k] += reg * weights[k] for W1 and W2"))
    out.append(Check(f"{group}: leaves the bias gradients untouched", (M,), probes,
                     bind(regularization_judge(("b1", "b2"), rule(group)), probes), "never regularize b1 and b2"))
    group = "optimizer.SGD.update"
    for momentum, what in ((0.0, "plain SGD steps match the reference"), (0.9, "momentum steps match the reference")):
        spec = {"learning_rate": 0.1, "reg": 0.01, "momentum": momentum, "steps": 3}
        probes = (Probe("sgd_steps", spec, sgd_inputs(rng_for(seed, f"{group} {momentum}"), 3)),)
        judge = bind(steps_judge(rule(group)), probes)
        out.append(Check(f"{group}: {what}", (M,), probes, judge,
                         "call apply_regularization, then v = momentum v + g and w -= lr v, in place",
                         depends_on=("optimizer.SGD.apply_regularization",),
                         diagnose=blame.with_correct(blame.REGULARIZE, probes, judge)))
    return out
