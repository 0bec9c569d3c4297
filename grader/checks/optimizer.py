"""Checks of optimizer.py: SGD.apply_regularization and SGD.update.

The momentum steps include a step with a zero gradient, after which only the velocity moves the
weights: an optimizer that resets (or never keeps) its velocity cannot hide there.
"""

import numpy as np

from .. import blame
from ..contract import KEYS, REGULARIZED
from .base import Probe, Verdict
from .common import add, bind, requires_ok, rng_for
from .compare import compare_array, result_value

M = "optimizer"
SHAPES = {"W1": (4, 3), "b1": (3,), "W2": (3, 2), "b2": (2,)}


def sgd_inputs(rng, steps, zero_steps=()):
    """Weights w.K and per-step gradients gT.K; the steps in zero_steps get all-zero gradients."""
    inputs = {f"w.{k}": rng.normal(0, 1, s) for k, s in SHAPES.items()}
    for t in range(steps):
        inputs.update({f"g{t}.{k}": rng.normal(0, 1, s) * (t not in zero_steps) for k, s in SHAPES.items()})
    return inputs


def regularization_judge(keys, rule):
    @requires_ok
    def judge(student, reference, probes):
        spec = probes[0].spec
        for k in keys:
            problem = compare_array(f"gradients[{k!r}] after apply_regularization (reg={spec['reg']:g})",
                                    result_value(reference[0], f"gradients.{k}"), result_value(student[0], f"gradients.{k}"),
                                    rule.rtol, rule.atol)
            if problem:
                hint = " (biases are never regularized)" if k not in REGULARIZED else " (add reg * W, once)"
                return Verdict(False, problem + hint)
        return Verdict(True, f"{' and '.join(keys)} as expected")
    return judge


def steps_judge(rule):
    @requires_ok
    def judge(student, reference, probes):
        spec, inputs = probes[0].spec, probes[0].inputs
        for t in range(spec["steps"]):
            for k in KEYS:
                problem = compare_array(f"weights[{k!r}] after update {t + 1}", result_value(reference[0], f"step{t}.{k}"),
                                        result_value(student[0], f"step{t}.{k}"), rule.rtol, rule.atol)
                if problem:
                    zero = not np.any(inputs[f"g{t}.{k}"])
                    why = (" (this update's gradient was zero, so only the velocity kept from earlier updates moves the weights)"
                           if zero else "")
                    return Verdict(False, f"{problem} (lr={spec['learning_rate']:g}, reg={spec['reg']:g}, "
                                          f"momentum={spec['momentum']:g}){why}")
        return Verdict(True, f"{spec['steps']} steps match the reference")
    return judge


def checks(rubric):
    seed, rule = rubric.seed, rubric.rule
    out = []
    group = "optimizer.SGD.apply_regularization"
    spec = {"learning_rate": 0.1, "reg": 0.05, "momentum": 0.0}
    probes = (Probe("sgd_regularize", spec, sgd_inputs(rng_for(seed, group), 1)),)
    add(out, f"{group}/weights", "adds reg * W to the gradients of W1 and W2", probes, regularization_judge(REGULARIZED, rule(group)),
        "gradients[k] += reg * weights[k] for W1 and W2", "L2's gradient is reg times the weight, added once to the loss's gradient")
    add(out, f"{group}/biases", "leaves the bias gradients untouched", probes, regularization_judge(("b1", "b2"), rule(group)),
        "loop over W1 and W2 only, never b1 and b2", "L2's gradient applies to the weights, not the biases",
        requires=(f"{group}/weights",))
    group = "optimizer.SGD.update"
    for momentum, slug, what, zero, hint, concept in (
            (0.0, "plain", "plain SGD steps match the reference", (),
             "call apply_regularization, then w -= lr * g for each of the four weights, in place",
             "plain SGD moves each weight a step of lr times its (regularized) gradient, downhill"),
            (0.9, "momentum", "momentum steps match the reference, a zero-gradient step included", (2,),
             "call apply_regularization, then v = momentum * v + g and w -= lr * v, in place, keeping v between calls",
             "the velocity is a running, decaying sum of past gradients that lives as long as the optimizer")):
        spec = {"learning_rate": 0.1, "reg": 0.01, "momentum": momentum, "steps": 4}
        probes = (Probe("sgd_steps", spec, sgd_inputs(rng_for(seed, f"{group} {momentum}"), 4, zero)),)
        judge = steps_judge(rule(group))
        add(out, f"{group}/{slug}", what, probes, judge, hint, concept,
            depends_on=("optimizer.SGD.apply_regularization",),
            diagnose=blame.with_correct(blame.REGULARIZE, probes, bind(judge, probes)))
    return out
