"""Checks of two_layer_net.py: TwoLayerNet.forward, its loss, accuracy and four gradients.

Each forward check runs twice in the student process: as submitted, and with
correct activation and softmax helpers patched in. It passes when either does,
so a bug in softmax costs softmax's points, not forward's too.
"""

import numpy as np

from ..challenge import gradcheck_points
from .base import Check, Probe, Verdict
from .common import bind, rng_for
from .compare import compare_array, compare_scalar, gradcheck_problem, result_value, unchanged

M = "two_layer_net"
from ..contract import KEYS
HELPER_GROUPS = ("activations.sigmoid", "activations.sigmoid_grad", "softmax.softmax", "softmax.cross_entropy_loss", "softmax.accuracy")
SHAPE = {"input_size": 6, "hidden_size": 5, "num_classes": 4}


def problem_inputs(rng, n=8):
    """A small random problem: X (N, D), y (N,), and weights with entries large enough to matter."""
    D, H, C = SHAPE["input_size"], SHAPE["hidden_size"], SHAPE["num_classes"]
    return {"X": rng.normal(0, 1, (n, D)), "y": rng.integers(0, C, n),
            "w.W1": rng.normal(0, 0.5, (D, H)), "w.b1": rng.normal(0, 0.1, H),
            "w.W2": rng.normal(0, 0.5, (H, C)), "w.b2": rng.normal(0, 0.1, C)}


def forward_probes(inputs, mode="train", grad_fill=0.0):
    """The same forward call, as submitted and with the provided helpers."""
    return tuple(Probe("net_forward", {**SHAPE, "mode": mode, "grad_fill": grad_fill, "helpers": h}, inputs) for h in ("student", "provided"))


def either_variant(judge_one):
    """Judge both variants; pass if either passes, saying when the helpers made the difference."""
    def judge(student, reference, probes):
        first = judge_one(student[0], reference[0] if reference else None, probes[0])
        if first.passed:
            return first
        second = judge_one(student[1], reference[1] if reference else None, probes[1])
        if second.passed:
            return Verdict(True, second.message + " (with correct sigmoid/softmax helpers; as submitted: " + first.message + ")")
        return first
    return judge


def loss_and_accuracy(rule):
    def judge(s, r, p):
        if not s.ok:
            return Verdict(False, s.message)
        if result_value(s, "result.0") is None or result_value(s, "result.1") is None:
            return Verdict(False, "forward should return a tuple (loss, accuracy) of two numbers")
        for i, what in ((0, "loss"), (1, "accuracy")):
            problem = compare_scalar(f"forward(X, y) {what}", result_value(r, f"result.{i}"), result_value(s, f"result.{i}"), rule.rtol, rule.atol)
            if problem:
                return Verdict(False, problem + (loss_diagnosis(s, r, rule) if i == 0 else ""))
        return Verdict(True, "loss and accuracy match the reference")
    return judge


def loss_diagnosis(s, r, rule):
    """Where a wrong loss comes from, told by what else forward returned: the probabilities (through the
    gradient of b2, the batch mean of P - onehot(y)) and the accuracy. Never a guess the data do not support."""
    accuracy_wrong = compare_scalar("accuracy", result_value(r, "result.1"), result_value(s, "result.1"), rule.rtol, rule.atol)
    probs_right = compare_array("b2", result_value(r, "gradients.b2"), result_value(s, "gradients.b2"), rule.rtol, rule.atol) is None
    if accuracy_wrong or not probs_right:
        return ("; the scores are wrong before the loss is taken (" + ("the accuracy differs too" if accuracy_wrong else
                "the gradient of b2, the batch mean of P - onehot(y), differs too") + "): check X W1 + b1, the sigmoid, "
                "hidden W2 + b2 and the softmax")
    ratio = float(result_value(s, "result.0")) / float(result_value(r, "result.0"))
    n = result_value(s, "X").shape[0] if result_value(s, "X") is not None else 0
    if n > 1 and np.isclose(ratio, n, rtol=1e-6):
        return f"; it is {n} times the expected loss: average over the batch instead of summing"
    return ("; the probabilities are right (the gradient of b2 matches), so the difference is in the loss formula itself: "
            "the mean over the batch of -log P[n, y[n]], with no other term (no L2 penalty)")


def gradient_of(key, rule):
    def judge(s, r, p):
        if not s.ok:
            return Verdict(False, s.message)
        problem = compare_array(f"gradients[{key!r}]", result_value(r, f"gradients.{key}"), result_value(s, f"gradients.{key}"), rule.rtol, rule.atol)
        return Verdict(problem is None, problem or f"the gradient of {key} matches the reference")
    return judge


def gradcheck(rule, points):
    """Judge: the analytic gradients agree with central differences that the grader forms from
    losses at points it chose, and those losses agree with the reference's at the same points.
    Numbers that only the student process vouches for explain a failure, never earn the check."""
    limit = rule.param("max_rel_error", 1e-6)

    def judge(s, r, p):
        if not s.ok:
            return Verdict(False, s.message)
        analytic = {k: result_value(s, f"analytic.{k}") for k in KEYS}
        return Verdict(*gradcheck_problem(analytic, result_value(s, "losses"), result_value(r, "losses"), points, KEYS, limit))
    return judge


def eval_mode_keeps_gradients(s, r, p):
    if not s.ok:
        return Verdict(False, s.message)
    for k in KEYS:
        g = result_value(s, f"gradients.{k}")
        if g is None or not np.all(g == p.spec["grad_fill"]):
            return Verdict(False, f"forward(X, y, mode=\"eval\") changed gradients[{k!r}]; only mode \"train\" may write them")
    return Verdict(True, "eval mode leaves the gradients untouched")


def inputs_unmodified(s, r, p):
    if not s.ok:
        return Verdict(False, s.message)
    for name, label in (("X", "forward(X, y): X"), ("y", "forward(X, y): y")):
        problem = unchanged(label, p.inputs[name], result_value(s, name))
        if problem:
            return Verdict(False, problem)
    for k in KEYS:
        problem = unchanged(f"forward: weights[{k!r}]", p.inputs["w." + k], result_value(s, f"weights.{k}"))
        if problem:
            return Verdict(False, problem.replace("its input", "the weights") + "; forward must not change the weights")
    return Verdict(True, "X, y and the weights are unchanged")


def checks(rubric):
    seed, rule = rubric.seed, rubric.rule
    group = "two_layer_net.TwoLayerNet.forward"
    out = []

    def add(what, probes, judge_one, hint, **kw):
        name = f"{group}: {what}"
        out.append(Check(name, (M,), probes, bind(either_variant(judge_one), probes), hint, depends_on=HELPER_GROUPS, **kw))

    base = problem_inputs(rng_for(seed, group))
    train = forward_probes(base)
    add("loss and accuracy match the reference", train, loss_and_accuracy(rule(group)),
        "hidden = sigmoid(X W1 + b1); scores = hidden W2 + b2; loss = mean cross-entropy of softmax(scores)")
    for k in KEYS:
        add(f"gradient of {k} matches the reference", train, gradient_of(k, rule(group)),
            f"backpropagate: d loss / d {k}, averaged over the batch (divide by N once)")
    inputs = problem_inputs(rng_for(seed, group + "gradcheck"), 5)
    shapes = {k: inputs["w." + k].shape for k in KEYS}
    points = gradcheck_points(seed, shapes, int(rule(group).param("gradcheck_points", 8)))
    probes = tuple(Probe("net_losses", {**SHAPE, "points": points, "helpers": h}, inputs) for h in ("student", "provided"))
    add("all four gradients agree with central differences", probes, gradcheck(rule(group), points),
        "the gradients must be the derivatives of the loss that forward returns")
    add("eval mode leaves the gradients untouched", forward_probes(base, mode="eval", grad_fill=7.0), eval_mode_keeps_gradients,
        "only mode \"train\" computes gradients", run_reference=False)
    add("does not modify X, y or the weights", train, inputs_unmodified, "work on new arrays; do not write into X or the weights",
        run_reference=False)
    return out
