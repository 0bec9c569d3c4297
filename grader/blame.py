"""Blame by substitution: when an end-to-end check fails, find the part at fault by running
the submission's parts one at a time on the reference's data, and name it.

The reference's code never enters the student's process; its *data* does. For the
trajectory (forward + SGD.update for a few steps), the reference's run records, at each
step t, the weights W_t, the loss and gradients G_t forward gave there, the regularized
gradients and W_{t+1}. Then, in the student's sandbox:

- forward_along: the submission's forward on W_t (one net object throughout, so state kept
  between calls shows). It plays the student's network with the reference's SGD: equal to
  G_t at every step means forward is not the cause;
- update_along: the submission's SGD (one object throughout) fed (W_t, G_t). It plays the
  reference network with the student's SGD: equal to W_{t+1} at every step means update
  is not the cause;
- regularize_along: apply_regularization alone on (W_t, G_t), to tell it from update.

The culprit is the part whose substitution still differs; when each part is right on its
own but the two diverge together, they interfere through the state they share. Every
function here is pure.
"""

from dataclasses import dataclass, replace

import numpy as np

from .checks.base import Diagnosis, Probe, Verdict
from .checks.compare import first_mismatch, one_number, result_value
from .contract import KEYS

FORWARD = "two_layer_net.TwoLayerNet.forward"
UPDATE = "optimizer.SGD.update"
REGULARIZE = "optimizer.SGD.apply_regularization"
TRAJECTORY_ID = "training/trajectory"  # the check whose substitution names the parts at fault
PREDICT = "perceptron.predict"
SIGMOID, RELU, SOFTMAX = "activations.sigmoid", "activations.relu", "softmax.softmax"  # called by functions of their own module
SHORT = {FORWARD: "TwoLayerNet.forward", UPDATE: "SGD.update", REGULARIZE: "SGD.apply_regularization", PREDICT: "predict",
         SIGMOID: "sigmoid", RELU: "relu", SOFTMAX: "softmax"}
PATCHES = {PREDICT: "predict", REGULARIZE: "apply_regularization",  # parts the harness can replace by correct ones
           SIGMOID: "sigmoid", RELU: "relu", SOFTMAX: "softmax"}  # (grader/harness/probes.py, Implementation.patched)
UNREACHABLE = ("missing", "import_error")  # a check whose module is absent or fails to import: nothing to substitute into


@dataclass(frozen=True)
class Finding:
    """Where one run first differs from the reference: at step (0-based; -1 when it failed) in what."""
    step: int
    what: str  # e.g. "gradient of b1", "updated b1", "loss"; "" when the run failed
    text: str  # e.g. "at index (3,) got 0.0027, expected 0.0215 (5 of 5 elements differ; ...)", or the error

    def at(self, steps):
        """'its gradient of b1 differs at step 2 of 5: at index (3,) got ..., expected ...', or 'it failed: raised ...'."""
        return f"it failed: {self.text}" if self.step < 0 else f"its {self.what} differs at step {self.step + 1} of {steps}: {self.text}"

    def of(self, part):
        """"TwoLayerNet.forward's gradient of b1", or the part's name alone when it failed to run."""
        return f"{SHORT[part]}'s {self.what}" if self.what else SHORT[part]


def first_finding(result, reference, names, rtol, atol):
    """The first (step, output name, description) of names where result differs from reference, or None.

    names: [(step, array name, what)] in the order to look, e.g. [(0, "grad0.b1", "gradient of b1")].
    A call that failed is a Finding at step -1 whose text is its error message.
    """
    if not result.ok:
        return Finding(-1, "", result.message)
    for step, name, what in names:
        got, want = result_value(result, name), reference.arrays.get(name)
        if want is None:
            continue
        if np.ndim(want) == 0:
            got = one_number(got)  # a loss returned as np.array([0.3]) is the number 0.3
        if got is None or np.shape(got) != np.shape(want):
            shape = "nothing" if got is None else f"shape {np.shape(got)}"
            return Finding(step, what, f"got {shape}, expected shape {np.shape(want)}")
        miss = first_mismatch(want, got, rtol, atol)
        if miss:
            return Finding(step, what, f"{miss.where()} {miss.text()}".strip())
    return None


def forward_names(steps):
    return [(t, n, w) for t in range(steps) for n, w in
            [(f"loss{t}", "loss")] + [(f"grad{t}.{k}", f"gradient of {k}") for k in KEYS]]


def weight_names(steps):
    return [(t, f"step{t}.{k}", f"updated {k}") for t in range(steps) for k in KEYS]


def regularized_names(steps):
    return [(t, f"rgrad{t}.{k}", f"regularized gradient of {k}") for t in range(steps) for k in KEYS]


def trajectory_probes(spec, inputs, reference, steps):
    """The substitution runs of a failed trajectory, fed from the reference's run (with correct
    helpers, so a helper's bug is not blamed on forward): forward_along, update_along,
    regularize_along, and update_along again with a correct apply_regularization patched in."""
    if reference is None or not reference.ok:
        return ()
    data = {k: v for k, v in inputs.items() if k[:1] in "Xy"}
    for t in range(steps):
        for k in KEYS:
            before = inputs[f"w.{k}"] if t == 0 else reference.arrays.get(f"step{t - 1}.{k}")
            grad = reference.arrays.get(f"grad{t}.{k}")
            if before is None or grad is None:
                return ()
            data[f"w{t}.{k}"], data[f"g{t}.{k}"] = before, grad
    spec = {**spec, "helpers": "provided"}
    return (*(Probe(name, spec, data) for name in ("forward_along", "update_along", "regularize_along")),
            Probe("update_along", {**spec, "patch": [PATCHES[REGULARIZE]]}, data),
            Probe("forward_along", {**spec, "fresh": True, "grad_fill": 0.0}, data))


def trajectory_findings(results, reference, steps, rtol, atol):
    """(forward's Finding, [(group, Finding)] of the optimizer's parts at fault) from the substitution runs.

    SGD.apply_regularization is at fault when it differs alone; it is the whole cause when update,
    which differs, agrees with a correct apply_regularization in its place."""
    forward, update, regularize, update_fixed = (
        first_finding(results[0], reference, forward_names(steps), rtol, atol),
        first_finding(results[1], reference, weight_names(steps), rtol, atol),
        first_finding(results[2], reference, regularized_names(steps), rtol, atol),
        first_finding(results[3], reference, weight_names(steps), rtol, atol))
    if forward is not None and forward.step > 0 and len(results) > 4 and results[4].ok \
            and first_finding(results[4], reference, forward_names(steps), rtol, atol) is None:
        forward = replace(forward, text=forward.text + STATEFUL)
    if update is None:
        parts = []
    elif update_fixed is None and regularize is not None:
        parts = [(REGULARIZE, regularize)]
    else:
        parts = [(UPDATE, update)] + ([(REGULARIZE, regularize)] if regularize else [])
    return forward, parts


STATEFUL = ("; yet a fresh network gives the reference's loss and gradients at every step, so forward keeps state "
            "between calls: e.g. self.gradients[k] += ... adds to the last batch's gradients where = should replace them")


def trajectory_blame(forward, parts, steps):
    """(culprit groups, sentence) from forward's Finding (None = agrees) and the optimizer's parts at fault."""
    with_ref_sgd = "the reference's SGD (your forward fed the reference's weights at each step)"
    with_ref_net = "the reference network (your SGD.update fed the reference's weights and gradients at each step)"
    fed = "fed the reference's weights and gradients"
    if forward and not parts:
        return (FORWARD,), (
            f"The divergence comes from {forward.of(FORWARD)}. With {with_ref_sgd} it still diverges: "
            f"{forward.at(steps)}. With {with_ref_net} it does not: your update follows the reference for all {steps} steps")
    if parts and not forward:
        culprits = tuple(g for g, _ in parts)
        if culprits == (REGULARIZE,):
            head = (f"The divergence comes from {SHORT[REGULARIZE]}, which SGD.update calls: {fed}, {parts[0][1].at(steps)}; "
                    "with a correct apply_regularization in its place, your update follows the reference")
        elif culprits == (UPDATE,):
            head = f"The divergence comes from {SHORT[UPDATE]}"
        else:
            head = f"The divergence comes from {SHORT[UPDATE]}, and {SHORT[REGULARIZE]} is wrong too ({fed}, {parts[1][1].at(steps)})"
        still = f" With {with_ref_net} it still diverges: {parts[0][1].at(steps)}." if culprits[0] == UPDATE else ""
        return culprits, (
            f"{head}.{still} With {with_ref_sgd} it does not: your forward gives the reference's loss and gradients for all "
            f"{steps} steps")
    if forward and parts:
        return (FORWARD, *(g for g, _ in parts)), (
            f"Both parts are at fault. {SHORT[FORWARD]}, fed the reference's weights: {forward.at(steps)}. "
            + ". ".join(f"{SHORT[g]}, {fed}: {f.at(steps)}" for g, f in parts))
    return (FORWARD, UPDATE), (
        f"Each part matches the reference on its own for all {steps} steps (with {with_ref_sgd}; with {with_ref_net}), yet together "
        "they diverge: they interfere through the state they share, e.g. update replacing the arrays of net.weights or "
        "net.gradients with new ones that forward does not use, or forward relying on what update left in net.gradients")


def explain_trajectory(verdict, results, reference, steps, rtol, atol):
    """The failed trajectory's verdict, with the part at fault named (its culprits set)."""
    if len(results) < 5 or any(r.status == "not_run" for r in results):  # the time budget left them out
        return verdict
    culprits, sentence = trajectory_blame(*trajectory_findings(results, reference, steps, rtol, atol), steps)
    return Verdict(False, f"{verdict.message}. {sentence}", verdict.note, "fix " + " and ".join(SHORT[c] for c in culprits)
                   + "; the trajectory check passes once each part matches its contract", culprits)


def downstream_note(verdicts, own_group):
    """A note for a failed end-to-end check (training accuracy, timing) when the trajectory check's
    substitution found the parts at fault; '' when it found none. verdicts: {check id: Verdict}."""
    found = verdicts.get(TRAJECTORY_ID)
    if found is None or found.passed or not found.culprits or own_group in found.culprits:
        return ""
    names = " and ".join(SHORT.get(c, c) for c in found.culprits)
    return (f"Note: the trajectory check traced the network's divergence from the reference to {names} by substitution; "
            "fixing that should fix this check too.")


def wanted(checks, student, reference):
    """{check name: substitution probes} for the checks that failed and have a Diagnosis.
    A judge or a diagnosis that raises is skipped here: judging reports it as the grader's fault."""
    out = {}
    for c in checks:
        if c.diagnose is None or c.name not in student or any(r.status in UNREACHABLE for r in student[c.name]):
            continue
        try:
            if c.judge(student[c.name], reference.get(c.name, [])).passed:
                continue
            probes = tuple(c.diagnose.probes(student[c.name], reference.get(c.name, [])))
        except Exception:  # noqa: BLE001  the grader's own bug, reported when the check is judged
            continue
        if probes:
            out[c.name] = probes
    return out


def time_limit(timeout, student):
    """Seconds for one substitution run: it repeats work the failed run did, so a few times that run's
    time (plus 10 s of start-up) is ample; never more than the check's own timeout."""
    return min(timeout, 10.0 + 3.0 * max((r.seconds for r in student), default=0.0))


def explained(check, verdict, results, student, reference):
    """The verdict, explained by the substitution runs' results when there are any."""
    if verdict.passed or check.diagnose is None or not results:
        return verdict
    return check.diagnose.explain(verdict, results, student, reference)


def with_correct(part, probes, judge):
    """Diagnosis of a check whose function calls `part`: rerun its probes with a correct `part`
    patched into the submission (the harness's own, never the reference's code). judge: (results, reference) -> Verdict."""
    patch = PATCHES[part]
    return Diagnosis(
        probes=lambda student, reference: tuple(replace(p, spec={**p.spec, "patch": [patch]}) for p in probes),
        explain=lambda verdict, results, student, reference: patched_verdict(verdict, judge(results, reference), part))


def patched_verdict(verdict, rerun, part):
    """The failed verdict, with the culprit named only when the rerun with a correct `part` passed:
    then fixing `part` changes the outcome; otherwise nothing is said about it."""
    if not rerun.passed:
        return verdict
    note = (f"Note: with a correct {SHORT[part]} patched in, this check passes, so the failure comes from your "
            f"{SHORT[part]} ({part}), which this function calls; fix it and this check should pass too.")
    return replace(verdict, note=" ".join(n for n in (verdict.note, note) if n), culprits=(part,),
                   hint=f"fix {SHORT[part]} first (see its own check); this function is right once {SHORT[part]} is")


SPEED_REPEATS = 30  # forward and update calls timed on one batch, at most
SPEED_SECONDS = 2.0  # and at most this long per part (a single call is always timed)


def speed_probes(config, batch):
    """The substitution runs of a slow epoch: forward alone and update alone on one batch (X (B, D), y (B,)),
    on the submission and on the reference. config: the timed epochs' TrainConfig."""
    spec = {"input_size": batch["X"].shape[1], "hidden_size": config.hidden_size, "num_classes": 10, "seed": config.seed,
            "learning_rate": config.learning_rate, "reg": config.reg, "momentum": config.momentum,
            "repeats": SPEED_REPEATS, "max_seconds": SPEED_SECONDS, "helpers": "provided"}
    return (Probe("part_times", spec, dict(batch)),)


def slow(result):
    """Whether a timed epoch failed for its time (not for a crash or a wrong result)."""
    return result.ok or result.status in ("too_slow", "timeout") or "reference's time" in result.message


def speed_blame(mine, theirs):
    """(culprit groups, sentence) from the per-part seconds of both: {"forward": s, "update": s}."""
    ratios = {part: mine[part] / max(theirs[part], 1e-6) for part in ("forward", "update")}
    worst = max(ratios, key=ratios.get)
    figures = (f"on one batch, a forward call takes {ratios['forward']:.1f}x the reference's time and an SGD.update "
               f"call {ratios['update']:.1f}x (timed inside each process)")
    if ratios[worst] < 2.0:
        return (), f"Neither part is slow on its own: {figures}"
    culprit = FORWARD if worst == "forward" else UPDATE
    return (culprit,), f"The slow part is {SHORT[culprit]}: {figures}"


def explain_speed(verdict, results):
    """The slow epoch's verdict, naming the slow part when the per-part times single one out."""
    if len(results) < 2 or not all(r.ok for r in results[:2]):
        return verdict
    times = [{p: r.arrays.get(p) for p in ("forward", "update")} for r in results[:2]]
    if any(v is None or np.ndim(v) != 0 or not np.isfinite(v) or v < 0 for t in times for v in t.values()):
        return verdict
    culprits, sentence = speed_blame(*({p: float(v) for p, v in t.items()} for t in times))
    hint = (f"vectorize {SHORT[culprits[0]]} over the batch: no Python loop over samples, hidden units or pixels" if culprits
            else verdict.hint)
    return replace(verdict, message=f"{verdict.message}. {sentence}", culprits=culprits, hint=hint)


def stopped_for_time(result):
    """Whether a training run was stopped for its time (projected too slow, or past its timeout)."""
    return result.status in ("too_slow", "timeout")


def speed_diagnosis(config, batch, when=slow):
    """Diagnosis of a check that failed for its time (when(student's first result)): which part is slow."""
    return Diagnosis(probes=lambda student, reference: speed_probes(config, batch) if student and when(student[0]) else (),
                     explain=lambda verdict, results, student, reference: explain_speed(verdict, results),
                     reference_too=True)
