"""Checks of two_layer_net.py: TwoLayerNet.forward, its loss, accuracy and four gradients.

The main checks probe the assignment's real shapes (784 inputs, 10 classes), so a class count
written into forward as 10 passes them; one check of its own, any-shape, covers other sizes.
Train-mode forwards start from gradient buffers full of garbage (a `+=` into them cannot hide),
and one check runs forward twice on the same object (state that leaks between calls cannot hide).

Each forward check runs twice in the student process: as submitted, and with correct activation
and softmax helpers patched in. It passes when either does, so a bug in softmax costs softmax's
points, not forward's too.
"""

from dataclasses import dataclass

import numpy as np

from ..challenge import gradcheck_points
from ..contract import INPUT_SIZE, KEYS, NUM_CLASSES, grad_fill
from .base import Probe, Verdict
from .common import add, rng_for
from .compare import compare_array, compare_scalar, gradcheck_problem, repeat_problem, result_value, scalar_value, unchanged

M = "two_layer_net"
GROUP = "two_layer_net.TwoLayerNet.forward"
HELPER_GROUPS = ("activations.sigmoid", "activations.sigmoid_grad", "softmax.softmax", "softmax.cross_entropy_loss", "softmax.accuracy")
SHAPE = {"input_size": INPUT_SIZE, "hidden_size": 8, "num_classes": NUM_CLASSES}  # the assignment's; a small hidden layer for speed
OTHER_SHAPE = {"input_size": 6, "hidden_size": 5, "num_classes": 4}  # the any-shape check's
GRADCHECK_POINTS = 8  # weight entries at which the grader forms central differences


@dataclass(frozen=True)
class GradcheckParams:
    """Rubric parameters of the forward group: the grader draws the central differences' steps itself."""
    max_rel_error: float = 1e-6  # the largest relative error of an analytic gradient that passes


def problem_inputs(rng, shape, n=6):
    """A small random problem of the given sizes: X (N, D), y (N,), and weights with entries large enough to matter."""
    D, H, C = shape["input_size"], shape["hidden_size"], shape["num_classes"]
    scale = 1.0 / np.sqrt(D)  # keeps X @ W1 of order 1 whatever D is
    return {"X": rng.normal(0, 1, (n, D)), "y": rng.integers(0, C, n),
            "w.W1": rng.normal(0, 2 * scale, (D, H)), "w.b1": rng.normal(0, 0.1, H),
            "w.W2": rng.normal(0, 0.5, (H, C)), "w.b2": rng.normal(0, 0.1, C)}


def forward_probes(inputs, shape, seed, mode="train", fill="random", repeat=False):
    """The same forward call, as submitted and with the provided helpers; gradient buffers filled with `fill`."""
    spec = {**shape, "mode": mode, "grad_fill": fill, "grad_seed": seed, "repeat": repeat}
    return tuple(Probe("net_forward", {**spec, "helpers": h}, inputs) for h in ("student", "provided"))


def either_variant(judge_one):
    """Judge both variants with judge_one(s, r, p) (run only on a completed call); pass if either
    passes, saying when the helpers made the difference."""
    def one(s, r, p):
        return judge_one(s, r, p) if s.ok else Verdict(False, s.message)

    def judge(student, reference, probes):
        first = one(student[0], reference[0] if reference else None, probes[0])
        if first.passed:
            return first
        second = one(student[1], reference[1] if reference else None, probes[1])
        if second.passed:
            return Verdict(True, second.message + " (with correct sigmoid/softmax helpers; as submitted: " + first.message + ")")
        return first
    return judge


def loss_problem(rule, s, r, prefix=""):
    """None when the (loss, accuracy) returned under prefix matches the reference's; else a message."""
    if scalar_value(s, f"{prefix}result.0") is None or scalar_value(s, f"{prefix}result.1") is None:
        return "forward should return a tuple (loss, accuracy) of two numbers"
    for i, what in ((0, "loss"), (1, "accuracy")):
        problem = compare_scalar(f"forward(X, y) {what}", result_value(r, f"{prefix}result.{i}"), scalar_value(s, f"{prefix}result.{i}"),
                                 rule.rtol, rule.atol)
        if problem:
            return problem + (loss_diagnosis(s, r, rule, prefix) if i == 0 else "")
    return None


def loss_and_accuracy(rule):
    def judge(s, r, p):
        problem = loss_problem(rule, s, r)
        return Verdict(problem is None, problem or "loss and accuracy match the reference")
    return judge


def loss_diagnosis(s, r, rule, prefix=""):
    """Where a wrong loss comes from, told by what else forward returned: the probabilities (through the
    gradient of b2, the batch mean of P - onehot(y)) and the accuracy. Never a guess the data do not support."""
    accuracy_wrong = compare_scalar("accuracy", result_value(r, f"{prefix}result.1"), scalar_value(s, f"{prefix}result.1"),
                                    rule.rtol, rule.atol)
    probs_right = compare_array("b2", result_value(r, f"{prefix}gradients.b2"), result_value(s, f"{prefix}gradients.b2"),
                                rule.rtol, rule.atol) is None
    if accuracy_wrong or not probs_right:
        return ("; the scores are wrong before the loss is taken (" + ("the accuracy differs too" if accuracy_wrong else
                "the gradient of b2, the batch mean of P - onehot(y), differs too") + "): check X W1 + b1, the sigmoid, "
                "hidden W2 + b2 and the softmax")
    loss, X = scalar_value(s, f"{prefix}result.0"), result_value(r, "X")  # the batch: the reference's copy of the input
    n = X.shape[0] if X is not None and X.ndim else 0
    if n > 1 and loss is not None and np.ndim(loss) == 0 and \
            np.isclose(float(loss), n * float(result_value(r, f"{prefix}result.0")), rtol=1e-6):
        return f"; it is {n} times the expected loss: average over the batch instead of summing"
    return ("; the probabilities are right (the gradient of b2 matches), so the difference is in the loss formula itself: "
            "the mean over the batch of -log P[n, y[n]], with no other term (no L2 penalty)")


def gradient_problem(key, rule, s, r, p, prefix=""):
    """None when gradients[key] (under prefix) matches the reference's; else a message, which says so
    when the difference is exactly what the buffer held before the call (forward added instead of setting)."""
    want, got = result_value(r, f"{prefix}gradients.{key}"), result_value(s, f"{prefix}gradients.{key}")
    problem = compare_array(f"gradients[{key!r}]", want, got, rule.rtol, rule.atol)
    if problem and got is not None and np.shape(got) == np.shape(want) and not prefix:
        before = grad_fill(p.spec, key, np.shape(want))
        if np.any(before != 0) and np.allclose(got, want + before, rtol=rule.rtol, atol=rule.atol):
            return (f"gradients[{key!r}] is the right gradient plus what the buffer held before forward was called: "
                    "forward must set the gradients, not add to them")
    return problem


def gradient_of(key, rule):
    def judge(s, r, p):
        problem = gradient_problem(key, rule, s, r, p)
        return Verdict(problem is None, problem or f"the gradient of {key} matches the reference")
    return judge


def repeatable(rule):
    """Judge: a second forward on the same object gives the same loss and gradients as the first call
    (whether they are right is the other checks' question: a wrong but stateless forward passes here)."""
    def judge(s, r, p):
        problem = repeat_problem(s, KEYS, rule.rtol, rule.atol)
        return Verdict(problem is None, problem or "a second call gives the same loss and gradients as the first")
    return judge


SIZES_NOT_THE_CAUSE = ("; forward is wrong at MNIST's sizes too (see its loss and gradient checks), so this is not about sizes: "
                       "this check can tell whether other sizes work once those pass")
FIX_AT_MNIST_FIRST = "fix the loss and gradient checks at MNIST's sizes first; this check means something only once they pass"


def any_shape_or_wrong_everywhere(rule):
    """Judge of any-shape, whose probes are the forward at other sizes (both variants), then at MNIST's: a failure
    that MNIST's sizes share is a wrong forward, not a size written into it, and its message and hint say so."""
    judge_one = either_variant(any_shape(rule))

    def judge(student, reference, probes):
        verdict = judge_one(student[:2], reference[:2] if reference else reference, probes[:2])
        if verdict.passed or judge_one(student[2:], reference[2:] if reference else reference, probes[2:]).passed:
            return verdict
        return Verdict(False, verdict.message + SIZES_NOT_THE_CAUSE, hint=FIX_AT_MNIST_FIRST)
    return judge


def any_shape(rule):
    """Judge: loss, accuracy and the four gradients match the reference on sizes other than MNIST's."""
    def judge(s, r, p):
        problem = loss_problem(rule, s, r)
        for k in KEYS:
            problem = problem or gradient_problem(k, rule, s, r, p)
        sizes = ", ".join(f"{k}={p.spec[k]}" for k in ("input_size", "hidden_size", "num_classes"))
        if problem:
            return Verdict(False, f"with {sizes}: {problem}")
        return Verdict(True, f"loss, accuracy and gradients match the reference with {sizes}")
    return judge


def gradcheck(rule, points):
    """Judge: the analytic gradients agree with central differences that the grader forms from
    losses at points it chose, and those losses agree with the reference's at the same points.
    Numbers that only the student process vouches for explain a failure, never earn the check."""
    limit = rule.params.max_rel_error

    def judge(s, r, p):
        analytic = {k: result_value(s, f"analytic.{k}") for k in KEYS}
        return Verdict(*gradcheck_problem(analytic, result_value(s, "losses"), result_value(r, "losses"), points, KEYS, limit))
    return judge


def eval_mode_keeps_gradients(s, r, p):
    for k in KEYS:
        g = result_value(s, f"gradients.{k}")
        if g is None or not np.all(g == p.spec["grad_fill"]):
            return Verdict(False, f"forward(X, y, mode=\"eval\") changed gradients[{k!r}]; only mode \"train\" may write them")
    return Verdict(True, "eval mode leaves the gradients untouched")


def inputs_unmodified(s, r, p):
    for name, label in (("X", "forward(X, y): X"), ("y", "forward(X, y): y")):
        problem = unchanged(label, p.inputs[name], result_value(s, name))
        if problem:
            return Verdict(False, problem)
    for k in KEYS:
        problem = unchanged(f"forward: weights[{k!r}]", p.inputs["w." + k], result_value(s, f"weights.{k}"))
        if problem:
            return Verdict(False, problem.replace("its input", "the weights") + "; forward must not change the weights")
    return Verdict(True, "X, y and the weights are unchanged")


def checks(rubric, fresh=None):
    """fresh: the generator of the central differences' points (grader.challenge.fresh_rng when grading, so no
    sandbox foresees them); None derives them from the seed (the kit's public build)."""
    seed, rule = rubric.seed, rubric.rule(GROUP)
    out = []

    def forward_check(slug, text, probes, judge_one, hint, concept, **kw):
        add(out, f"{GROUP}/{slug}", text, probes, either_variant(judge_one), hint, concept, depends_on=HELPER_GROUPS, **kw)

    grad_seed = int(rng_for(seed, GROUP + " buffers").integers(2**31))
    base = problem_inputs(rng_for(seed, GROUP), SHAPE)
    train = forward_probes(base, SHAPE, grad_seed)
    forward_check("loss", "loss and accuracy match the reference", train, loss_and_accuracy(rule),
                  "hidden = sigmoid(X @ W1 + b1); scores = hidden @ W2 + b2; loss = cross_entropy_loss(softmax(scores), y)",
                  "the loss is the mean cross-entropy of the softmax of the output scores, without the L2 term")
    for k in KEYS:
        forward_check(f"grad-{k}", f"gradient of {k} matches the reference", train, gradient_of(k, rule),
                      f"backpropagate d loss / d {k}, averaged over the batch (divide by N once), and assign it: gradients[{k!r}] = ...",
                      "apply the chain rule from the loss back to this weight; the batch mean divides by N exactly once")
    inputs = problem_inputs(rng_for(seed, GROUP + "gradcheck"), SHAPE, 5)
    shapes = {k: inputs["w." + k].shape for k in KEYS}
    points = gradcheck_points(fresh if fresh is not None else rng_for(seed, GROUP + " points"), shapes, GRADCHECK_POINTS)
    probes = tuple(Probe("net_losses", {**SHAPE, "points": points, "grad_fill": "random", "grad_seed": grad_seed, "helpers": h}, inputs)
                   for h in ("student", "provided"))
    forward_check("central-differences", "all four gradients agree with central differences", probes, gradcheck(rule, points),
                  "the gradients must be the derivatives of the loss that forward returns",
                  "a gradient is the rate of change of the returned loss; perturb one weight and compare")
    values = (f"{GROUP}/loss", *(f"{GROUP}/grad-{k}" for k in KEYS))  # forward's value checks: the properties below
    # count once any one of them passes (a forward that computes something right), so a wrong but stateless gradient
    # or loss is charged by its own check only, and a forward that computes nothing right earns none of them
    waits = {"requires": values, "requires_any": True}
    forward_check("repeatable", "a second call on the same network gives the same gradients",
                  forward_probes(base, SHAPE, grad_seed, repeat=True), repeatable(rule),
                  "assign each gradient (gradients[k] = ...) instead of adding to it, and keep no running sums on self",
                  "forward computes the gradient of this batch's loss only; nothing may accumulate across calls", **waits)
    forward_check("eval-mode", "eval mode leaves the gradients untouched", forward_probes(base, SHAPE, grad_seed, mode="eval", fill=7.0),
                  eval_mode_keeps_gradients, "write self.gradients only when mode == \"train\"",
                  "evaluation must not disturb the gradients that training computed", run_reference=False, **waits)
    forward_check("inputs-unmodified", "does not modify X, y or the weights", train, inputs_unmodified,
                  "work on new arrays (a = a - m, not a -= m) so X and the weights stay as they were",
                  "forward reads its inputs and the weights; only the optimizer changes the weights", run_reference=False,
                  **waits)
    other = problem_inputs(rng_for(seed, GROUP + " any-shape"), OTHER_SHAPE)
    add(out, f"{GROUP}/any-shape", "works for any number of inputs, hidden units and classes",
        forward_probes(other, OTHER_SHAPE, grad_seed) + train, any_shape_or_wrong_everywhere(rule),
        "take every size from the weights' shapes (e.g. W2.shape[1] classes), never a literal 10 or 784",
        "the network is defined for any sizes; only the MNIST data fixes them to 784 and 10", depends_on=HELPER_GROUPS)
    return out
