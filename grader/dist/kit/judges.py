"""The kit's judges: pure functions of the student's results and the expected ones, as in the course grader.

judge(kind, params, probes, student, expected) -> Verdict, where probes is a list of Probe, student a
list of CallResult (one per probe) and expected the reference's results stored in the kit.
"""

from dataclasses import dataclass

import numpy as np

from .compare import (compare_array, compare_form, compare_scalar, gradcheck_problem, inputs_problem, numeric_value, one_number,
                      relative_error, repeat_problem, result_value, returned_type, scalar_value, trace_problem, unchanged)
from .contract import GATES, KEYS, TRUTH_X, XOR_PROOF, grad_fill
from .results import Verdict
from .standins import first_difference


@dataclass(frozen=True)
class Probe:
    probe: str  # key of probes.PROBES
    spec: dict  # JSON parameters
    inputs: dict  # name -> ndarray


def first_failure(results):
    for r in results:
        if not r.ok:
            return r.message
    return None


def signature(probe):
    """'softmax(array of shape (5, 7))' for messages."""
    parts = []
    for a in probe.spec.get("args", []):
        parts.append(f"array of shape {probe.inputs[a['array']].shape}" if "array" in a else repr(a["value"]))
    return f"{probe.spec['function']}({', '.join(parts)})"


# ---------------------------------------------------------------- functions compared with the reference

def values(params, probes, student, expected):
    failed = first_failure(student)
    if failed:
        return Verdict(False, failed)
    for s, r, p in zip(student, expected, probes):
        label = signature(p)
        got = result_value(s)
        problem = (compare_scalar(label, result_value(r), got, params["rtol"], params["atol"], returned_type(s)) if params.get("scalar")
                   else compare_array(label, result_value(r), got, params["rtol"], params["atol"], returned_type(s), params.get("kinds", "f")))
        if problem:
            return Verdict(False, problem)
    return Verdict(True, "matches the reference")


def input_unchanged(params, probes, student, expected):
    """Every array argument came back as it was passed (values are the value checks' question)."""
    failed = first_failure(student)
    if failed:
        return Verdict(False, failed)
    problem = inputs_problem(student, probes, signature)
    return Verdict(problem is None, problem or "leaves its input arrays unchanged")


def derivative(params, probes, student, expected):
    """The returned derivative against central differences of the true function (stored as 'numeric')."""
    failed = first_failure(student)
    if failed:
        return Verdict(False, failed)
    x, got = probes[0].inputs["a0"], result_value(student[0])
    problem = compare_form(f"{probes[0].spec['function']}(x)", x.shape, got, returned_type(student[0]))
    if problem:
        return Verdict(False, problem)
    err, limit = relative_error(got, expected[0].arrays["numeric"]), params["max_rel_error"]
    if err > limit:
        return Verdict(False, f"relative error against central differences is {err:.2g} (limit {limit:g}); the derivative is wrong")
    return Verdict(True, f"relative error against central differences {err:.1e}")


def rows_sum_to_one(params, probes, student, expected):
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


def jacobian(params, probes, student, expected):
    failed = first_failure(student)
    if failed:
        return Verdict(False, failed)
    z, J = probes[0].inputs["a0"], result_value(student[0])
    problem = compare_form("softmax_jacobian(z)", (z.size, z.size), J, returned_type(student[0]))
    if problem:
        return Verdict(False, problem)
    sums = J.sum(axis=1)
    problem = compare_array("the row sums of softmax_jacobian(z)", np.zeros_like(sums), sums, 0, 1e-9)
    if problem:
        return Verdict(False, problem + " (each row of the Jacobian sums to 0 because the outputs sum to 1)")
    err, limit = relative_error(J, expected[0].arrays["numeric"]), params["max_rel_error"]
    if err > limit:
        return Verdict(False, f"relative error against the central-difference Jacobian is {err:.2g} (limit {limit:g}); check J[i, j] = S_i (delta_ij - S_j)")
    return Verdict(True, f"rows sum to 0; relative error against central differences {err:.1e}")


def warning_free(params, probes, student, expected):
    """No call raised a NumPy warning (overflow, invalid value, division by zero)."""
    failed = first_failure(student)
    if failed:
        return Verdict(False, failed)
    for s, p in zip(student, probes):
        warned = one_number(result_value(s, "warnings"))
        warned = int(warned) if warned is not None and warned.ndim == 0 and np.isfinite(warned) else 0
        if warned > 0:
            return Verdict(False, f"{signature(p)} raised {warned} numpy warning(s) (overflow?); "
                                  "the values may be right, but a warning means some branch computed inf or nan")
    return Verdict(True, "raises no numpy warning")


def dtype(params, probes, student, expected):
    """Every call returned an array of one of params["kinds"]."""
    failed = first_failure(student)
    if failed:
        return Verdict(False, failed)
    for s, p in zip(student, probes):
        got = result_value(s)
        if got is not None and got.dtype.kind not in params["kinds"]:
            return Verdict(False, f"{signature(p)} returned dtype {got.dtype}; the contract asks for {params['what']}")
    return Verdict(True, f"returns {params['what']}")


# ---------------------------------------------------------------- perceptrons

def step(z):
    return (z > 0).astype(np.int64)


def linear_or_verdict(student):
    """((w, b), None) from the first result, or (None, a failing Verdict)."""
    failed = first_failure(student)
    if failed:
        return None, Verdict(False, failed)
    w, b = numeric_value(student[0], "result.0"), scalar_value(student[0], "result.1")
    if w is None or b is None:
        return None, Verdict(False, "should return a tuple (w, b): w an array of shape (2,), b a number")
    if np.shape(w) != (2,) or np.ndim(b) != 0 or not np.all(np.isfinite(w)) or not np.isfinite(b):
        return None, Verdict(False, f"returned w of shape {np.shape(w)} and b of shape {np.shape(b)}; expected w (2,) and a finite number b")
    return (np.asarray(w, dtype=np.float64), float(b)), None


def gate(params, probes, student, expected):
    wb, verdict = linear_or_verdict(student)
    if verdict:
        return verdict
    name, got = params["gate"], step(TRUTH_X @ wb[0] + wb[1])
    if not np.array_equal(got, GATES[name]):
        return Verdict(False, f"on inputs (0,0), (0,1), (1,0), (1,1) the perceptron outputs {got.tolist()}, expected {GATES[name].tolist()} ({name})")
    return Verdict(True, f"computes {name} on the truth table")


def converged_flag(result):
    flag = scalar_value(result, "result.2")
    return None if flag is None or flag.dtype.kind not in "biu" or flag.ndim != 0 else bool(flag)


def trains(params, probes, student, expected):
    wb, verdict = linear_or_verdict(student)
    if verdict:
        return verdict
    name, converged = params["gate"], converged_flag(student[0])
    if converged is None:
        return Verdict(False, "should return (w, b, converged) with converged a bool")
    got = step(TRUTH_X @ wb[0] + wb[1])
    if not converged:
        return Verdict(False, f"reported converged=False on {name}, which is linearly separable: Rosenblatt's rule converges on it")
    if not np.array_equal(got, GATES[name]):
        return Verdict(False, f"reported converged=True but its (w, b) gives {got.tolist()} on the truth table, expected {GATES[name].tolist()}")
    return Verdict(True, f"converged and separates {name}")


def rule_trace(params, probes, student, expected):
    failed = first_failure(student)
    if failed:
        return Verdict(False, failed)
    for i, (s, r, p) in enumerate(zip(student, expected, probes)):
        scalars = ", ".join(repr(a["value"]) for a in p.spec.get("args", []) if "value" in a)
        problem = trace_problem(f"call {i + 1} of {len(probes)} (lr, max_epochs = {scalars})", s, r, params["rtol"], params["atol"])
        if problem:
            return Verdict(False, problem)
    return Verdict(True, "follows Rosenblatt's rule update for update")


def xor_not_converged(params, probes, student, expected):
    failed = first_failure(student)
    if failed:
        return Verdict(False, failed)
    converged = converged_flag(student[0])
    if converged is None:
        return Verdict(False, "should return (w, b, converged) with converged a bool")
    if converged:
        return Verdict(False, "reported converged=True on XOR, but no line separates XOR. " + XOR_PROOF)
    return Verdict(True, "reports converged=False on XOR. " + XOR_PROOF)


def xor_network(params, probes, student, expected):
    failed = first_failure(student)
    if failed:
        return Verdict(False, failed)
    parts = {k: (scalar_value if k == "b2" else numeric_value)(student[0], f"result.{k}") for k in KEYS}
    missing = [k for k, v in parts.items() if v is None]
    if missing:
        return Verdict(False, f'xor_network() should return a dict with numeric "W1", "b1", "W2", "b2"; missing or not numeric: {", ".join(missing)}')
    W1, b1, W2, b2 = (np.asarray(parts[k], dtype=np.float64) for k in KEYS)
    if W1.ndim != 2 or W1.shape[0] != 2 or b1.shape != (W1.shape[1],) or W2.shape != (W1.shape[1],) or b2.ndim != 0:
        return Verdict(False, f"shapes W1 {W1.shape}, b1 {b1.shape}, W2 {W2.shape}, b2 {b2.shape}; expected (2, H), (H,), (H,) and a number")
    got = step(step(TRUTH_X @ W1 + b1) @ W2 + b2)
    if not np.array_equal(got, GATES["XOR"]):
        return Verdict(False, f"step(step(X W1 + b1) W2 + b2) gives {got.tolist()} on (0,0), (0,1), (1,0), (1,1); expected {GATES['XOR'].tolist()}")
    return Verdict(True, "computes XOR with one hidden layer, which a single perceptron cannot: " + XOR_PROOF)


# ---------------------------------------------------------------- the network: as submitted, or with recorded helpers

def either_variant(judge_one):
    """Judge the run as submitted and the run with recorded helpers; pass if either passes."""
    def judge(params, probes, student, expected):
        first = judge_one(params, student[0], expected[0] if expected else None, probes[0])
        if first.passed:
            return first
        second = judge_one(params, student[1], expected[1] if expected else None, probes[1])
        if second.passed:
            return Verdict(True, second.message + " (with correct sigmoid/softmax helpers; as submitted: " + first.message + ")", True)
        return first
    return judge


def loss_problem(params, s, r, prefix=""):
    """None when the (loss, accuracy) returned under prefix matches the reference's; else a message."""
    if scalar_value(s, f"{prefix}result.0") is None or scalar_value(s, f"{prefix}result.1") is None:
        return "forward should return a tuple (loss, accuracy) of two numbers"
    for i, what in ((0, "loss"), (1, "accuracy")):
        problem = compare_scalar(f"forward(X, y) {what}", result_value(r, f"{prefix}result.{i}"), scalar_value(s, f"{prefix}result.{i}"),
                                 params["rtol"], params["atol"])
        if problem:
            return problem + (" (the loss is the mean cross-entropy, without the L2 term)" if i == 0 else "")
    return None


def gradient_problem(params, key, s, r, p, prefix=""):
    """None when gradients[key] (under prefix) matches the reference's; else a message, which says so when
    the difference is what the buffer held before the call (forward added to it instead of setting it)."""
    want, got = result_value(r, f"{prefix}gradients.{key}"), result_value(s, f"{prefix}gradients.{key}")
    problem = compare_array(f"gradients[{key!r}]", want, got, params["rtol"], params["atol"])
    if problem and got is not None and np.shape(got) == np.shape(want) and not prefix:
        before = grad_fill(p.spec, key, np.shape(want))
        if np.any(before != 0) and np.allclose(got, want + before, rtol=params["rtol"], atol=params["atol"]):
            return (f"gradients[{key!r}] is the right gradient plus what the buffer held before forward was called: "
                    "forward must set the gradients, not add to them")
    return problem


def loss_and_accuracy(params, s, r, p):
    if not s.ok:
        return Verdict(False, s.message)
    problem = loss_problem(params, s, r)
    return Verdict(problem is None, problem or "loss and accuracy match the reference")


def gradient_of(params, s, r, p):
    if not s.ok:
        return Verdict(False, s.message)
    problem = gradient_problem(params, params["key"], s, r, p)
    return Verdict(problem is None, problem or f"the gradient of {params['key']} matches the reference")


def repeatable(params, s, r, p):
    """A second forward on the same object gives the same loss and gradients as the first call
    (whether they are right is the other checks' question, as in the grader)."""
    if not s.ok:
        return Verdict(False, s.message)
    problem = repeat_problem(s, KEYS, params["rtol"], params["atol"])
    return Verdict(problem is None, problem or "a second call gives the same loss and gradients as the first")


def any_shape(params, s, r, p):
    """Loss, accuracy and the four gradients match the reference on sizes other than MNIST's."""
    if not s.ok:
        return Verdict(False, s.message)
    problem = loss_problem(params, s, r)
    for k in KEYS:
        problem = problem or gradient_problem(params, k, s, r, p)
    sizes = ", ".join(f"{k}={p.spec[k]}" for k in ("input_size", "hidden_size", "num_classes"))
    if problem:
        return Verdict(False, f"with {sizes}: {problem}")
    return Verdict(True, f"loss, accuracy and gradients match the reference with {sizes}")


def any_shape_or_wrong_everywhere(params, probes, student, expected):
    """As the grader judges any-shape: its first two calls at other sizes, the last two at MNIST's; a failure that
    MNIST's sizes share is a wrong forward, not a size written into it."""
    judge_one = either_variant(any_shape)
    verdict = judge_one(params, probes[:2], student[:2], expected[:2] if expected else expected)
    if verdict.passed or len(probes) < 4 or judge_one(params, probes[2:], student[2:], expected[2:] if expected else expected).passed:
        return verdict
    return Verdict(False, verdict.message + "; forward is wrong at MNIST's sizes too (see its loss and gradient checks), so this is "
                                            "not about sizes: this check can tell whether other sizes work once those pass")


def gradcheck(params, s, r, p):
    """Your analytic gradients against central differences of your own loss, formed here; and those
    differences against the reference's at the same points (so the loss must be the right one)."""
    if not s.ok:
        return Verdict(False, s.message)
    analytic = {k: result_value(s, f"analytic.{k}") for k in KEYS}
    return Verdict(*gradcheck_problem(analytic, result_value(s, "losses"), result_value(r, "losses"),
                                      p.spec["points"], KEYS, params["max_rel_error"]))


def eval_mode(params, s, r, p):
    if not s.ok:
        return Verdict(False, s.message)
    for k in KEYS:
        g = result_value(s, f"gradients.{k}")
        if g is None or not np.all(g == p.spec["grad_fill"]):
            return Verdict(False, f"forward(X, y, mode=\"eval\") changed gradients[{k!r}]; only mode \"train\" may write them")
    return Verdict(True, "eval mode leaves the gradients untouched")


def inputs_unmodified(params, s, r, p):
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


# ---------------------------------------------------------------- the optimizer and training

def regularization(params, probes, student, expected):
    failed = first_failure(student)
    if failed:
        return Verdict(False, failed)
    spec = probes[0].spec
    for k in params["keys"]:
        problem = compare_array(f"gradients[{k!r}] after apply_regularization (reg={spec['reg']:g})",
                                result_value(expected[0], f"gradients.{k}"), result_value(student[0], f"gradients.{k}"), params["rtol"], params["atol"])
        if problem:
            hint = " (biases are never regularized)" if k.startswith("b") else " (add reg * W, once)"
            return Verdict(False, problem + hint)
    return Verdict(True, f"{' and '.join(params['keys'])} as expected")


def sgd_steps(params, probes, student, expected):
    failed = first_failure(student)
    if failed:
        return Verdict(False, failed)
    spec = probes[0].spec
    for t in range(spec["steps"]):
        for k in KEYS:
            problem = compare_array(f"weights[{k!r}] after update {t + 1}", result_value(expected[0], f"step{t}.{k}"),
                                    result_value(student[0], f"step{t}.{k}"), params["rtol"], params["atol"])
            if problem:
                return Verdict(False, f"{problem} (lr={spec['learning_rate']:g}, reg={spec['reg']:g}, momentum={spec['momentum']:g})")
    return Verdict(True, f"{spec['steps']} steps match the reference")


def trajectory_one(params, s, r, p):
    if not s.ok:
        return Verdict(False, s.message)
    steps = p.spec["steps"]
    for t in range(steps):
        for k in KEYS:
            got, want = result_value(s, f"step{t}.{k}"), r.arrays.get(f"step{t}.{k}")
            if got is None or got.shape != want.shape or not np.all(np.isfinite(got)) or \
                    not np.allclose(got, want, rtol=params["rtol"], atol=params["atol"]):
                diff = "" if got is None or got.shape != want.shape else f" (largest difference {np.nanmax(np.abs(got - want)):.3g})"
                return Verdict(False, f"diverged from the reference at step {t + 1} of {steps}, first in {k}{diff}")
    return Verdict(True, f"weights agree with the reference after each of {steps} steps")


def usable_weights(weights, inputs, sizes=None):
    """(W1 (D, H), b1 (H,), W2 (H, C), b2 (C,)) as float64, or None when they are not the network's (as in the grader:
    a bias may come as any array of its size; sizes: the (H, C) the network was built with, when known)."""
    W1, b1, W2, b2 = (weights.get(k) for k in KEYS)
    if any(not isinstance(w, np.ndarray) for w in (W1, b1, W2, b2)) or W1.ndim != 2 or W2.ndim != 2:
        return None
    (D, H), C = W1.shape, W2.shape[1]
    if D != inputs or W2.shape[0] != H or b1.size != H or b2.size != C or (sizes is not None and (H, C) != tuple(sizes)):
        return None
    return tuple(np.asarray(w, dtype=np.float64) for w in (W1, b1.reshape(H), W2, b2.reshape(C)))


def test_accuracy_of(weights, X_test, y_test, sizes=None):
    """The checker's own forward pass: accuracy of weights on (X_test (N, 784) uint8, y_test (N,)); None if unusable."""
    usable = usable_weights(weights, X_test.shape[1], sizes)
    if usable is None:
        return None
    W1, b1, W2, b2 = usable
    with np.errstate(all="ignore"):
        pre = (X_test / 255.0) @ W1 + b1  # (N, H)
        hidden = np.reciprocal(np.exp(-pre) + 1.0)  # (N, H) the logistic function
        scores = hidden @ W2 + b2  # (N, C)
    return float(np.mean(np.argmax(scores, axis=1) == y_test))


def accuracy_after_training(params, probes, student, expected):
    """The best weights' test accuracy, computed here, against the rubric's threshold."""
    s = student[0]
    if not s.ok:
        return Verdict(False, f"training on {params['dataset']} failed: {s.message}")
    weights = {k: s.arrays.get(f"best_weights.{k}") for k in KEYS}
    ours = test_accuracy_of(weights, params["X_test"], params["y_test"])
    if ours is None:
        return Verdict(False, "training returned no usable best weights (W1, b1, W2, b2 of the network's shapes)")
    how = f"after {params['epochs']} epoch(s) on {params['dataset']}, computed by the checker from the best weights"
    if ours < params["threshold"]:
        return Verdict(False, f"test accuracy {ours:.4f} {how}, below the threshold {params['threshold']:.4f}")
    return Verdict(True, f"test accuracy {ours:.4f} {how} (threshold {params['threshold']:.4f})")


def epoch_speed(params, probes, student, expected):
    """The median epoch time against the matmul bound measured in the same run, on this machine."""
    s = student[0]
    if not s.ok:
        return Verdict(False, f"the epoch could not be timed: {s.message}")
    times, flops_per_s = result_value(s, "times"), one_number(result_value(s, "flops_per_s"))
    if times is None or times.ndim != 1 or not times.size or not np.all(np.isfinite(times)) or \
            flops_per_s is None or np.ndim(flops_per_s) or not float(flops_per_s) > 0:
        return Verdict(False, "the epoch could not be timed: no epoch time was measured")
    for r in range(times.size):
        got = {k: s.arrays.get(f"final{r}.{k}") for k in KEYS}
        differs = first_difference(got, params["expected"])
        if differs:
            return Verdict(False, f"the timed epoch's weights differ from the reference's epoch on the same data (repeat {r + 1}: "
                                  f"{differs}), so its time cannot be credited; the epoch must compute what the reference computes")
    seconds = float(np.median(times))
    bound = params["flops"] / float(flops_per_s)
    ratio, limit = seconds / bound, params["max_ratio_to_bound"]
    text = (f"epoch time {seconds:.3f} s, {ratio:.1f}x the float64 matrix-multiply bound of {bound:.3f} s on this machine "
            f"(median of {times.size}; limit {limit:g}x)")
    if ratio > limit:
        return Verdict(False, text + "; look for Python loops over samples, units or pixels and replace them with matrix products")
    return Verdict(True, text)


def as_the_grader_retrains(verdict, result, helpers_failed, trajectory):
    """The accuracy verdict under the grader's rule for a helper bug.

    The grader retrains with correct sigmoid and softmax helpers after a run that failed by its values
    (below the threshold, or an exception; not a timeout or a crash), so a helper bug costs only the
    helper's points. The kit has no correct helpers to train with (they are part of the solution). When
    the helpers are at fault (a helper check failed, or the trajectory passed only with the recorded
    helpers) and the trajectory check passed (the network and SGD follow the reference step for step),
    it judges the check as the grader would: passed, saying why. Any other failure stands.
    """
    if verdict.passed or result.status in ("timeout", "crashed", "missing") or trajectory is None or not trajectory.passed:
        return verdict
    if not (helpers_failed or trajectory.with_helpers):
        return verdict
    blamed = ", ".join(helpers_failed) if helpers_failed else "your sigmoid/softmax helpers"
    return Verdict(True, f"{verdict.message} with your own helpers; but {blamed} failed, and the grader retrains with correct "
                         "sigmoid/softmax helpers, with which your forward and SGD follow the reference step for step "
                         "(the trajectory check): judged passed, as the grader judges it. Fix the helpers to see it train here", True)


def with_requirements(verdict, failed, why):
    """verdict, failed when it passed but checks it requires failed (their names: failed), saying which and why,
    as the grader's checks.base.with_requirements."""
    if not verdict.passed or not failed:
        return verdict
    return Verdict(False, f"{verdict.message}; not counted, because {'; '.join(failed)} failed: {why}")


def requiring_trajectory(verdict, trajectory):
    """The accuracy verdict under the grader's requirement: it counts only when the trajectory check passed.

    A network that does not follow the reference step for step (a wrong gradient, say) reaches the
    threshold or not by the luck of the seed, so the grader does not count its accuracy; nor does the kit."""
    if not verdict.passed or trajectory is None or trajectory.passed:
        return verdict
    return Verdict(False, f"{verdict.message}; not counted, because the trajectory check failed: a network that does not follow "
                          "the reference step for step reaches this accuracy or not by the luck of the seed")


JUDGES = {
    "values": values,
    "input_unchanged": input_unchanged,
    "warning_free": warning_free,
    "dtype": dtype,
    "derivative": derivative,
    "rows_sum_to_one": rows_sum_to_one,
    "jacobian": jacobian,
    "gate": gate,
    "trains": trains,
    "rule_trace": rule_trace,
    "xor_not_converged": xor_not_converged,
    "xor_network": xor_network,
    "forward_loss": either_variant(loss_and_accuracy),
    "forward_gradient": either_variant(gradient_of),
    "forward_gradcheck": either_variant(gradcheck),
    "forward_repeatable": either_variant(repeatable),
    "forward_any_shape": any_shape_or_wrong_everywhere,
    "forward_eval_mode": either_variant(eval_mode),
    "forward_inputs": either_variant(inputs_unmodified),
    "regularization": regularization,
    "sgd_steps": sgd_steps,
    "trajectory": either_variant(trajectory_one),
    "accuracy": accuracy_after_training,
    "epoch_speed": epoch_speed,
}


def judge(kind, params, probes, student, expected):
    """The Verdict of one check; a failed call is the student's failure, a judge's own error the kit's."""
    missing = [r for r in student if r.status == "missing"]
    if missing:
        return Verdict(False, missing[0].message)
    try:
        return JUDGES[kind](params, probes, student, expected)
    except Exception as exc:  # the kit's own bug: say so, never blame the student
        return Verdict(False, f"the checker failed while judging this check ({type(exc).__name__}: {exc}); not your fault, please report it")
