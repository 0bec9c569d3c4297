"""Checks of perceptron.py: predict, and_gate, or_gate, train_perceptron, xor_network."""

import numpy as np

from .. import blame
from .base import Verdict
from .common import add, call, requires_ok, rng_for, signature, values_match
from .compare import numeric_value, scalar_value, trace_problem
from ..contract import GATES, TRUTH_X, XOR_PROOF

M = "perceptron"


def step(z):
    return (z > 0).astype(np.int64)


def linear_outputs(w, b):
    return step(TRUTH_X @ w + b)  # (4,)


def read_linear(result):
    """(w, b) from a (w, b) or (w, b, converged) return value, or an error message."""
    w, b = numeric_value(result, "result.0"), scalar_value(result, "result.1")
    if w is None or b is None:
        return None, "should return a tuple (w, b): w an array of shape (2,), b a number"
    if np.shape(w) != (2,) or np.ndim(b) != 0 or not np.all(np.isfinite(w)) or not np.isfinite(b):
        return None, f"returned w of shape {np.shape(w)} and b of shape {np.shape(b)}; expected w (2,) and a finite number b"
    return (np.asarray(w, dtype=np.float64), float(b)), None


def linear_or_verdict(student):
    """(w, b) of the first probe's result (which completed), or a failing Verdict saying why there is none."""
    wb, problem = read_linear(student[0])
    return (wb, None) if not problem else (None, Verdict(False, problem))


def gate_judge(gate):
    @requires_ok
    def judge(student, reference, probes):
        wb, verdict = linear_or_verdict(student)
        if verdict:
            return verdict
        got = linear_outputs(*wb)
        if not np.array_equal(got, GATES[gate]):
            return Verdict(False, f"on inputs (0,0), (0,1), (1,0), (1,1) the perceptron outputs {got.tolist()}, "
                                  f"expected {GATES[gate].tolist()} ({gate})")
        return Verdict(True, f"computes {gate} on the truth table")
    return judge


def trains_judge(gate):
    @requires_ok
    def judge(student, reference, probes):
        wb, verdict = linear_or_verdict(student)
        if verdict:
            return verdict
        converged = scalar_value(student[0], "result.2")
        if converged is None or converged.dtype.kind not in "biu" or converged.ndim != 0:
            return Verdict(False, "should return (w, b, converged) with converged a bool")
        got = linear_outputs(*wb)
        if not bool(converged):
            return Verdict(False, f"reported converged=False on {gate}, which is linearly separable: Rosenblatt's rule converges on it")
        if not np.array_equal(got, GATES[gate]):
            return Verdict(False, f"reported converged=True but its (w, b) gives {got.tolist()} on the truth table, "
                                  f"expected {GATES[gate].tolist()}")
        return Verdict(True, f"converged and separates {gate}")
    return judge


def rule_trace_judge(rule, data):
    """data: one description per probe, e.g. 'the AND truth table, lr=0.5, max_epochs=3'."""
    @requires_ok
    def judge(student, reference, probes):
        for i, (s, r, p) in enumerate(zip(student, reference, probes)):
            problem = trace_problem(f"{signature(p)} (call {i + 1} of {len(probes)}: {data[i]})", s, r, rule.rtol, rule.atol)
            if problem:
                return Verdict(False, problem)
        return Verdict(True, "follows Rosenblatt's rule update for update")
    return judge


@requires_ok
def xor_converged_judge(student, reference, probes):
    converged = scalar_value(student[0], "result.2")
    if converged is None or converged.dtype.kind not in "biu" or converged.ndim != 0:
        return Verdict(False, "should return (w, b, converged) with converged a bool")
    if bool(converged):
        return Verdict(False, "reported converged=True on XOR, but no line separates XOR. " + XOR_PROOF)
    return Verdict(True, "reports converged=False on XOR. " + XOR_PROOF)


@requires_ok
def xor_network_judge(student, reference, probes):
    parts = {k: (scalar_value if k == "b2" else numeric_value)(student[0], f"result.{k}") for k in ("W1", "b1", "W2", "b2")}
    missing = [k for k, v in parts.items() if v is None]
    if missing:
        return Verdict(False, 'xor_network() should return a dict with numeric "W1", "b1", "W2", "b2"; '
                              f'missing or not numeric: {", ".join(missing)}')
    W1, b1, W2, b2 = (np.asarray(parts[k], dtype=np.float64) for k in ("W1", "b1", "W2", "b2"))
    if W1.ndim != 2 or W1.shape[0] != 2 or b1.shape != (W1.shape[1],) or W2.shape != (W1.shape[1],) or b2.ndim != 0:
        return Verdict(False, f"shapes W1 {W1.shape}, b1 {b1.shape}, W2 {W2.shape}, b2 {b2.shape}; "
                              "expected (2, H), (H,), (H,) and a number")
    got = step(step(TRUTH_X @ W1 + b1) @ W2 + b2)
    if not np.array_equal(got, GATES["XOR"]):
        return Verdict(False, f"step(step(X W1 + b1) W2 + b2) gives {got.tolist()} on (0,0), (0,1), (1,0), (1,1); "
                              f"expected {GATES['XOR'].tolist()}")
    return Verdict(True, "computes XOR with one hidden layer, which a single perceptron cannot: " + XOR_PROOF)


def checks(rubric):
    seed, rule = rubric.seed, rubric.rule
    out = []

    id = "perceptron.predict/values"
    r = rng_for(seed, id)
    X = np.vstack([r.normal(0, 1, (8, 3)), [[1.0, 1.0, 0.0]]])  # the last row lies on the boundary
    w = np.array([0.5, -1.0, 2.0])
    add(out, id, "matches the reference, points on the boundary included", [call(M, "predict", X, w, 0.5)],
        values_match(rule("perceptron.predict"), kinds="iubf"), "return (X @ w + b > 0).astype(int): strictly greater",
        "a point exactly on the boundary (X @ w + b == 0) is classified 0")

    for gate, fn in (("AND", "and_gate"), ("OR", "or_gate")):
        add(out, f"perceptron.{fn}/truth-table", f"computes {gate} on the truth table", [call(M, fn)], gate_judge(gate),
            f"choose w and b so that only the {gate} rows are on the positive side",
            f"draw the four inputs on a plane: which line puts exactly the {gate} rows on one side?", run_reference=False)

    def predict_blamed(probes, judge):  # train_perceptron may call predict: rerun it with a correct one
        return blame.with_correct(blame.PREDICT, tuple(probes), lambda results, reference: judge(results, reference, tuple(probes)))

    for gate in ("AND", "OR"):
        probes = [call(M, "train_perceptron", TRUTH_X, GATES[gate])]
        add(out, f"perceptron.train_perceptron/converges-{gate.lower()}", f"converges on {gate} and separates it", probes,
            trains_judge(gate), "stop and report converged=True after the first epoch with no mistake",
            "on linearly separable data Rosenblatt's rule stops making mistakes after finitely many updates", run_reference=False,
            diagnose=predict_blamed(probes, trains_judge(gate)))

    id = "perceptron.train_perceptron/rule-trace"
    r = rng_for(seed, id)
    X = r.normal(0, 1, (12, 3))
    y = (X @ np.array([1.0, -2.0, 0.5]) + 0.3 > 0).astype(np.int64)
    trace = (("the AND truth table", TRUTH_X, GATES["AND"], 0.5, 3), ("12 random points in 3-D", X, y, 1.0, 50))
    probes = [call(M, "train_perceptron", X_, y_, lr, epochs) for _, X_, y_, lr, epochs in trace]
    judge = rule_trace_judge(rule("perceptron.train_perceptron"),
                             [f"{what}, lr={lr}, max_epochs={epochs}" for what, _, _, lr, epochs in trace])
    add(out, id, "follows Rosenblatt's rule step for step", probes, judge,
        "start from w = 0, b = 0; on a mistake add lr (y - y_hat) x to w and lr (y - y_hat) to b",
        "visit the samples in the given order, update only on a mistake, scaled by the learning rate, and stop after max_epochs epochs",
        diagnose=predict_blamed(probes, judge))

    probes = [call(M, "train_perceptron", TRUTH_X, GATES["XOR"], 1.0, 50)]
    add(out, "perceptron.train_perceptron/xor-not-converged", "reports converged=False on XOR", probes, xor_converged_judge,
        "converged must be True only after an epoch without mistakes", "no line separates XOR, so some epoch always has a mistake",
        run_reference=False, diagnose=predict_blamed(probes, xor_converged_judge), requires=("perceptron.train_perceptron/rule-trace",))

    add(out, "perceptron.xor_network/truth-table", "computes XOR", [call(M, "xor_network")], xor_network_judge,
        "combine two hidden step units (for example OR and NAND) with an output unit (AND)",
        "XOR is a combination of two linearly separable gates", run_reference=False)
    return out
