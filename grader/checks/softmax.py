"""Checks of softmax.py: softmax, softmax_jacobian, cross_entropy_loss, accuracy."""

import numpy as np

from ..blame import SOFTMAX
from .base import Verdict
from .common import add, add_input_check, call, requires_ok, rng_for, values_match, warning_free
from .compare import compare_array, compare_form, relative_error, result_value, returned_type

M = "softmax"


def true_softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def numeric_jacobian(z, eps):
    """(C, C) central-difference Jacobian of the softmax: column j is dS/dz_j."""
    C = z.shape[0]
    J = np.empty((C, C))
    for j in range(C):
        step = np.zeros(C)
        step[j] = eps
        J[:, j] = (true_softmax(z + step) - true_softmax(z - step)) / (2 * eps)
    return J


def zero_probabilities(rng):
    """(4, 3) probabilities with an exact 0 in a wrong class of every row (labels 2, 0, 1, 1)."""
    p = rng.uniform(0.2, 1.0, (4, 3))
    p[[0, 1, 2, 3], [0, 2, 0, 2]] = 0.0  # never the label's column
    return p / p.sum(axis=1, keepdims=True)


def rows_sum_to_one(rule):
    @requires_ok
    def judge(student, reference, probes):
        a, b = (result_value(s) for s in student)
        for label, got, p in (("softmax(scores)", a, probes[0]), ("softmax(scores + 100)", b, probes[1])):
            problem = compare_form(label, p.inputs["a0"].shape, got, returned_type(student[0]))
            if problem:
                return Verdict(False, problem)
        sums = a.sum(axis=-1)
        problem = compare_array("the row sums of softmax(scores)", np.ones_like(sums), sums, 0, 1e-9)
        if problem:
            return Verdict(False, problem)
        problem = compare_array("softmax(scores + 100) compared with softmax(scores)", a, b, 1e-9, 1e-12)
        if problem:
            return Verdict(False, problem + "; softmax must be invariant to adding a constant to every score")
        return Verdict(True, "rows sum to 1 and a shift of the scores changes nothing")
    return judge


def jacobian_properties(rule):
    eps, limit = rule.params.eps, rule.params.max_rel_error

    @requires_ok
    def judge(student, reference, probes):
        z = probes[0].inputs["a0"]
        J = result_value(student[0])
        problem = compare_form("softmax_jacobian(z)", (z.size, z.size), J, returned_type(student[0]))
        if problem:
            return Verdict(False, problem)
        sums = J.sum(axis=1)
        problem = compare_array("the row sums of softmax_jacobian(z)", np.zeros_like(sums), sums, 0, 1e-9)
        if problem:
            return Verdict(False, problem + " (each row of the Jacobian sums to 0 because the outputs sum to 1)")
        err = relative_error(J, numeric_jacobian(z, eps))
        if err > limit:
            return Verdict(False, f"relative error against the central-difference Jacobian is {err:.2g} (limit {limit:g}); "
                                  "check J[i, j] = S_i (delta_ij - S_j)")
        return Verdict(True, f"rows sum to 0; relative error against central differences {err:.1e}")
    return judge


def checks(rubric):
    seed, rule = rubric.seed, rubric.rule
    out = []
    group = "softmax.softmax"

    id = f"{group}/values"
    add(out, id, "matches the reference on random scores", [call(M, "softmax", rng_for(seed, id).normal(0, 2, (5, 7)))],
        values_match(rule(group)),
        "np.exp of the shifted scores, divided by its sum over axis=-1 with keepdims=True",
        "exponentiate, then divide each row by its own sum")
    id = f"{group}/edge-shapes"
    r = rng_for(seed, id)
    add(out, id, "handles a single row, C = 2 and tiny scores",
        [call(M, "softmax", r.normal(0, 2, (1, 6))), call(M, "softmax", r.normal(0, 2, (4, 2))),
         call(M, "softmax", r.normal(0, 1e-12, (3, 4)))],
        values_match(rule(group)), "reduce with axis=-1 and keepdims=True, never over the whole array",
        "each row is normalised on its own, whatever the number of rows or classes")
    id = f"{group}/one-dim"
    add(out, id, "handles a 1-D input of shape (C,)", [call(M, "softmax", rng_for(seed, id).normal(0, 2, (6,)))],
        values_match(rule(group)), "reduce over axis=-1 with keepdims=True so that (C,) and (N, C) both work",
        "the last axis holds the classes, whether or not there is a batch axis")
    large = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4 + 1, -1e4 + 2], [5e3, 5e3, 5e3]])
    add(out, f"{group}/large-scores", "right values, no nan, for scores of magnitude 1e4", [call(M, "softmax", large)],
        values_match(rule(group)), "subtract each row's maximum (keepdims=True) before np.exp",
        "softmax is unchanged by subtracting a constant from a row, and that keeps exp from overflowing")
    add(out, f"{group}/warning-free", "raises no overflow warning for scores of magnitude 1e4", [call(M, "softmax", large)],
        warning_free, "subtract each row's maximum before np.exp, so no argument of exp is positive",
        "a warning means some intermediate value overflowed, even if the final value is right", requires=(f"{group}/large-scores",))
    id = f"{group}/normalised"
    z = rng_for(seed, id).normal(0, 3, (4, 5))
    add(out, id, "rows sum to 1 and are invariant to shifting the scores", [call(M, "softmax", z), call(M, "softmax", z + 100.0)],
        rows_sum_to_one(rule(group)), "normalise each row (axis=-1), not each column",
        "each row is a probability distribution over the classes", run_reference=False, requires=(f"{group}/values",))
    add_input_check(out, group, call(M, "softmax", rng_for(seed, f"{group}/input-unchanged").normal(0, 3, (4, 6))))

    group = "softmax.softmax_jacobian"
    id = f"{group}/values"
    add(out, id, "matches the reference", [call(M, "softmax_jacobian", rng_for(seed, id).normal(0, 1, (5,)))],
        values_match(rule(group)), "J = np.diag(s) - np.outer(s, s) with s = softmax(z)",
        "J[i, j] = S_i (delta_ij - S_j): a diagonal term minus an outer product", calls=SOFTMAX)
    id = f"{group}/central-differences"
    add(out, id, "rows sum to 0 and it agrees with central differences",
        [call(M, "softmax_jacobian", rng_for(seed, id).normal(0, 1, (4,)))],
        jacobian_properties(rule(group)), "J[i, j] = S_i (delta_ij - S_j)",
        "differentiate S_i with respect to z_j, separately for i == j and i != j", run_reference=False, calls=SOFTMAX)
    add_input_check(out, group, call(M, "softmax_jacobian", rng_for(seed, f"{group}/input-unchanged").normal(0, 1, (5,))), calls=SOFTMAX)

    group = "softmax.cross_entropy_loss"
    id = f"{group}/values"
    r = rng_for(seed, id)
    probs = true_softmax(r.normal(0, 2, (6, 4)))
    y = r.integers(0, 4, 6)
    add(out, id, "matches the reference", [call(M, "cross_entropy_loss", probs, y), call(M, "cross_entropy_loss", probs[:1], y[:1])],
        values_match(rule(group), scalar=True), "-np.mean(np.log(probs[np.arange(N), y]))",
        "the mean over rows of -log of the probability given to the true class", calls=SOFTMAX)
    id = f"{group}/zero-probability"
    add(out, id, "is finite when a wrong class has probability exactly 0",
        [call(M, "cross_entropy_loss", zero_probabilities(rng_for(seed, id)), np.array([2, 0, 1, 1]))],
        values_match(rule(group), scalar=True), "-np.mean(np.log(probs[np.arange(N), y]))",
        "the mean over rows of -log of the probability given to the true class", calls=SOFTMAX,
        kind_hints={"nonfinite": ("pick probs[np.arange(N), y] first, then take the log; never log the whole array",
                                  "only the true class's probability enters the loss: 0 * log(0) is nan in floating point, not 0")})
    r = rng_for(seed, f"{group}/input-unchanged")
    add_input_check(out, group, call(M, "cross_entropy_loss", true_softmax(r.normal(0, 2, (5, 4))), r.integers(0, 4, 5)))

    group = "softmax.accuracy"
    id = f"{group}/values"
    r = rng_for(seed, id)
    scores = r.normal(0, 2, (20, 5))
    y = np.where(r.random(20) < 0.6, scores.argmax(axis=1), r.integers(0, 5, 20))
    add(out, id, "matches the reference on scores and probabilities",
        [call(M, "accuracy", scores, y), call(M, "accuracy", true_softmax(scores), y), call(M, "accuracy", scores[:, :2], (y % 2))],
        values_match(rule(group), scalar=True), "np.mean(np.argmax(scores, axis=1) == y)",
        "compare the highest-scoring class of each row with its label; return a fraction, not a percentage")
    r = rng_for(seed, f"{group}/input-unchanged")
    add_input_check(out, group, call(M, "accuracy", true_softmax(r.normal(0, 2, (8, 5))), r.integers(0, 5, 8)))
    return out
