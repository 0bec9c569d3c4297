"""Checks of softmax.py: softmax, softmax_jacobian, cross_entropy_loss, accuracy."""

import numpy as np

from .base import Verdict, first_failure
from .common import adder, call, rng_for, values_match
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


def rows_sum_to_one(rule):
    def judge(student, reference, probes):
        failed = first_failure(student)
        if failed:
            return Verdict(False, failed)
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
    eps, limit = rule.param("eps", 1e-6), rule.param("max_rel_error", 1e-6)

    def judge(student, reference, probes):
        failed = first_failure(student)
        if failed:
            return Verdict(False, failed)
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
            return Verdict(False, f"relative error against the central-difference Jacobian is {err:.2g} (limit {limit:g}); check J[i, j] = S_i (delta_ij - S_j)")
        return Verdict(True, f"rows sum to 0; relative error against central differences {err:.1e}")
    return judge


def checks(rubric):
    seed, rule = rubric.seed, rubric.rule
    out = []

    add = adder(out, M)

    name = "softmax.softmax: matches the reference on random scores"
    z = rng_for(seed, name).normal(0, 2, (5, 7))
    add(name, [call(M, "softmax", z)], values_match(rule("softmax.softmax")), "exponentiate, then divide each row by its sum")

    name = "softmax.softmax: handles a single row, C = 2, a 1-D input and tiny scores"
    r = rng_for(seed, name)
    add(name, [call(M, "softmax", r.normal(0, 2, (1, 6))), call(M, "softmax", r.normal(0, 2, (4, 2))), call(M, "softmax", r.normal(0, 2, (6,))),
               call(M, "softmax", r.normal(0, 1e-12, (3, 4)))],
        values_match(rule("softmax.softmax")), "reduce over the last axis with keepdims=True so (C,) and (N, C) both work")

    name = "softmax.softmax: stable for scores of magnitude 1e4"
    z = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4 + 1, -1e4 + 2], [5e3, 5e3, 5e3]])
    add(name, [call(M, "softmax", z)], values_match(rule("softmax.softmax"), no_warnings=True),
        "subtract each row's maximum before exponentiating")

    name = "softmax.softmax: rows sum to 1 and are invariant to shifting the scores"
    z = rng_for(seed, name).normal(0, 3, (4, 5))
    add(name, [call(M, "softmax", z), call(M, "softmax", z + 100.0)], rows_sum_to_one(rule("softmax.softmax")),
        "normalise each row (axis=-1), not each column", run_reference=False)

    name = "softmax.softmax_jacobian: matches the reference"
    z = rng_for(seed, name).normal(0, 1, (5,))
    add(name, [call(M, "softmax_jacobian", z)], values_match(rule("softmax.softmax_jacobian")),
        "J[i, j] = S_i (delta_ij - S_j): a diagonal term minus an outer product")

    name = "softmax.softmax_jacobian: rows sum to 0 and it agrees with central differences"
    z = rng_for(seed, name).normal(0, 1, (4,))
    add(name, [call(M, "softmax_jacobian", z)], jacobian_properties(rule("softmax.softmax_jacobian")),
        "differentiate S_i with respect to z_j for i == j and i != j", run_reference=False)

    name = "softmax.cross_entropy_loss: matches the reference"
    r = rng_for(seed, name)
    probs = true_softmax(r.normal(0, 2, (6, 4)))
    y = r.integers(0, 4, 6)
    add(name, [call(M, "cross_entropy_loss", probs, y), call(M, "cross_entropy_loss", probs[:1], y[:1])],
        values_match(rule("softmax.cross_entropy_loss"), scalar=True), "the mean over rows of -log probs[n, y[n]]")

    name = "softmax.accuracy: matches the reference on scores and probabilities"
    r = rng_for(seed, name)
    scores = r.normal(0, 2, (20, 5))
    y = np.where(r.random(20) < 0.6, scores.argmax(axis=1), r.integers(0, 5, 20))
    add(name, [call(M, "accuracy", scores, y), call(M, "accuracy", true_softmax(scores), y), call(M, "accuracy", scores[:, :2], (y % 2))],
        values_match(rule("softmax.accuracy"), scalar=True), "compare the argmax of each row with its label; return a fraction, not a percentage")
    return out
