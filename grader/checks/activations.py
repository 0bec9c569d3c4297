"""Checks of activations.py: sigmoid, sigmoid_grad, relu, relu_grad."""

import numpy as np

from ..blame import RELU, SIGMOID
from .base import Verdict
from .common import add, add_input_check, call, dtype_is, requires_ok, rng_for, values_match, warning_free
from .compare import compare_form, relative_error, result_value, returned_type

M = "activations"
PROMOTED = "fiub"  # dtype kinds NumPy promotes harmlessly in gradient arithmetic


def reference_sigmoid(x):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def numeric_derivative(f, x, eps):
    """Central differences (f(x + eps) - f(x - eps)) / 2 eps, element-wise."""
    return (f(x + eps) - f(x - eps)) / (2 * eps)


def gradcheck_judge(rule, f):
    """Judge: the returned derivative agrees with central differences of the true function."""
    eps, limit = rule.params.eps, rule.params.max_rel_error

    @requires_ok
    def judge(student, reference, probes):
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
    seed, rule = rubric.seed, rubric.rule
    out = []
    large = np.array([-1e4, -1000.0, -40.0, 0.0, 40.0, 1000.0, 1e4])

    id = "activations.sigmoid/values"
    add(out, id, "matches the reference on random inputs", [call(M, "sigmoid", rng_for(seed, id).normal(0, 3, (4, 5)))],
        values_match(rule("activations.sigmoid")),
        "sigmoid(x) = 1 / (1 + np.exp(-x)), element-wise", "the logistic function squashes each entry into (0, 1)")
    add(out, "activations.sigmoid/large-inputs", "right values, no nan, for abs(x) up to 1e4", [call(M, "sigmoid", large)],
        values_match(rule("activations.sigmoid")),
        "for x < 0 use e^x / (1 + e^x), for x >= 0 use 1 / (1 + e^-x); never compute inf / inf",
        "exp overflows to inf for large arguments; inf / inf is nan, while 1 / inf is a harmless 0")
    add(out, "activations.sigmoid/warning-free", "raises no overflow warning for abs(x) up to 1e4", [call(M, "sigmoid", large)],
        warning_free,
        "np.where evaluates both branches: compute exp only of -abs(x), e.g. e = np.exp(-np.abs(x)), then pick by the sign",
        "a warning means some intermediate value overflowed, even if the final value is right",
        requires=("activations.sigmoid/large-inputs",))

    id = "activations.sigmoid_grad/values"
    add(out, id, "matches the reference at the pre-activation", [call(M, "sigmoid_grad", rng_for(seed, id).normal(0, 3, (3, 6)))],
        values_match(rule("activations.sigmoid_grad")),
        "sigmoid_grad(x) is sigmoid(x) * (1 - sigmoid(x)), computed from x",
        "sigmoid_grad takes the pre-activation x, not the sigmoid's output",
        calls=SIGMOID)
    id = "activations.sigmoid_grad/central-differences"
    add(out, id, "agrees with central differences of the sigmoid", [call(M, "sigmoid_grad", rng_for(seed, id).normal(0, 2, (10,)))],
        gradcheck_judge(rule("activations.sigmoid_grad"), reference_sigmoid),
        "the derivative of the sigmoid at x is s(x) * (1 - s(x))", "differentiate 1 / (1 + e^-x) with the chain rule",
        run_reference=False, calls=SIGMOID)

    id = "activations.relu/values"
    x = np.concatenate([rng_for(seed, id).normal(0, 2, 8), [0.0, -0.0]])
    add(out, id, "matches the reference, zeros included", [call(M, "relu", x)], values_match(rule("activations.relu")),
        "relu(x) = np.maximum(0, x), element-wise, as floats", "relu keeps positive entries and zeroes the others")

    id = "activations.relu_grad/values"
    x = rng_for(seed, id).normal(0, 2, (2, 5))
    x[x == 0] = 1.0  # away from 0: the points training meets
    add(out, id, "is 1 where x > 0 and 0 where x < 0", [call(M, "relu_grad", x)],
        values_match(rule("activations.relu_grad"), kinds=PROMOTED),
        "return (x > 0) as floats: 1.0 where x > 0, else 0.0", "the slope of relu is 1 on the positive side and 0 on the negative side",
        calls=RELU)
    add(out, "activations.relu_grad/at-zero", "is 0 at exactly x = 0", [call(M, "relu_grad", np.array([0.0, -0.0, 1.0, -1.0]))],
        values_match(rule("activations.relu_grad"), kinds=PROMOTED),
        "use a strict x > 0, not x >= 0", "the course's convention for relu's slope at exactly 0 is 0")
    id = "activations.relu_grad/float"
    add(out, id, "returns floats", [call(M, "relu_grad", rng_for(seed, id).normal(0, 2, (6,)))], dtype_is("f", "a float array"),
        "convert with .astype(np.float64)", "a gradient is a real-valued array; a bool or int mask only works through NumPy's promotion",
        requires=("activations.relu_grad/values",))
    for fn in ("sigmoid", "sigmoid_grad", "relu", "relu_grad"):
        group = f"{M}.{fn}"
        add_input_check(out, group, call(M, fn, rng_for(seed, f"{group}/input-unchanged").normal(0, 3, (3, 4))),
                        calls={"sigmoid_grad": SIGMOID, "relu_grad": RELU}.get(fn))
    return out
