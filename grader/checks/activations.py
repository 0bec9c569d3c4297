"""Checks of activations.py: sigmoid, sigmoid_grad, relu, relu_grad."""

import numpy as np

from .base import Verdict, first_failure
from .common import adder, call, rng_for, values_match
from .compare import compare_form, relative_error, result_value, returned_type

M = "activations"


def reference_sigmoid(x):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def numeric_derivative(f, x, eps):
    """Central differences (f(x + eps) - f(x - eps)) / 2 eps, element-wise."""
    return (f(x + eps) - f(x - eps)) / (2 * eps)


def gradcheck_judge(rule, f):
    """Judge: the returned derivative agrees with central differences of the true function."""
    eps, limit = rule.param("eps", 1e-5), rule.param("max_rel_error", 1e-6)

    def judge(student, reference, probes):
        failed = first_failure(student)
        if failed:
            return Verdict(False, failed)
        x = probes[0].inputs["a0"]
        got = result_value(student[0])
        problem = compare_form(f"{probes[0].spec['function']}(x)", x.shape, got, returned_type(student[0]))
        if problem:
            return Verdict(False, problem)
        err = relative_error(got, numeric_derivative(f, x, eps))
        if err > limit:
            return Verdict(False, f"relative error against central differences is {err:.2g} (limit {limit:g}); the derivative is wrong")
        return Verdict(True, f"relative error against central differences {err:.1e}")
    return judge


def checks(rubric):
    seed = rubric.seed
    rule = rubric.rule
    out = []

    add = adder(out, M)

    name = "activations.sigmoid: matches the reference on random inputs"
    x = rng_for(seed, name).normal(0, 3, (4, 5))
    add(name, [call(M, "sigmoid", x)], values_match(rule("activations.sigmoid")), "sigmoid(x) = 1 / (1 + e^-x), element-wise")

    name = "activations.sigmoid: stable and warning-free for abs(x) up to 1e4"
    x = np.array([-1e4, -1000.0, -40.0, 0.0, 40.0, 1000.0, 1e4])
    add(name, [call(M, "sigmoid", x)], values_match(rule("activations.sigmoid"), no_warnings=True),
        "avoid computing exp of a large positive number: use the form that is stable for the sign of x")

    name = "activations.sigmoid_grad: matches the reference at the pre-activation"
    x = rng_for(seed, name).normal(0, 3, (3, 6))
    add(name, [call(M, "sigmoid_grad", x)], values_match(rule("activations.sigmoid_grad")),
        "sigmoid_grad takes the pre-activation x and returns s(x) * (1 - s(x))")

    name = "activations.sigmoid_grad: agrees with central differences of the sigmoid"
    x = rng_for(seed, name).normal(0, 2, (10,))
    add(name, [call(M, "sigmoid_grad", x)], gradcheck_judge(rule("activations.sigmoid_grad"), reference_sigmoid),
        "the derivative of the sigmoid at x is s(x) * (1 - s(x))", run_reference=False)

    name = "activations.relu: matches the reference, zeros included"
    x = np.concatenate([rng_for(seed, name).normal(0, 2, 8), [0.0, -0.0]])
    add(name, [call(M, "relu", x)], values_match(rule("activations.relu")), "relu(x) = max(0, x), element-wise, as floats")

    name = "activations.relu_grad: is 1.0 where x > 0 and 0.0 elsewhere, at 0 too"
    x = np.concatenate([rng_for(seed, name).normal(0, 2, 8), [0.0, 0.0]]).reshape(2, 5)
    add(name, [call(M, "relu_grad", x)], values_match(rule("activations.relu_grad")),
        "return a float array: 1.0 where x > 0, else 0.0 (the gradient at exactly 0 is 0)")
    return out
