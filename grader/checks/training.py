"""End-to-end checks: trajectory equivalence with the reference, and accuracy after real training."""

from dataclasses import dataclass

import numpy as np

from ..harness.train_config import TrainConfig
from ..harness.training import epoch_batches
from .. import blame
from ..challenge import training_seed
from .compare import first_mismatch, one_number, result_value
from ..contract import KEYS
from .base import Diagnosis, Probe, Verdict
from .common import add

NEEDS = ("two_layer_net", "optimizer")
DEPENDS = ("two_layer_net.TwoLayerNet.forward", "optimizer.SGD.update", "optimizer.SGD.apply_regularization")  # for the kit


@dataclass(frozen=True)
class TrainingParams:
    """Rubric parameters of the training group. The thresholds have no default: each is calibrated on the
    reference (see the rubric's comments), and a rubric without them is an error."""
    threshold: float  # test accuracy to reach on MNIST after `epochs`
    digits_threshold: float  # the same on the digits fallback after `digits_epochs`
    epochs: int = 2
    digits_epochs: int = 50  # the digits set is small: more epochs for the same number of steps
    steps: int = 5  # trajectory: SGD steps compared with the reference
    batch_size: int = 64


def trajectory_inputs(data, config, steps, init):
    """The first `steps` batches of epoch 1 in the training loop's order, and the initial weights."""
    inputs = {f"w.{k}": v for k, v in init.items()}
    for t, idx in enumerate(epoch_batches(data.X_train.shape[0], config.batch_size, config.seed, 1)[:steps]):
        inputs[f"X{t}"] = data.X_train[idx].astype(np.float64) / 255.0  # (B, 784)
        inputs[f"y{t}"] = data.y_train[idx].astype(np.int64)  # (B,)
    return inputs


def trajectory_judge(rule, steps):
    def one(s, r):
        if not s.ok:
            return Verdict(False, s.message)
        for t in range(steps):
            for k in KEYS:
                got, want = result_value(s, f"step{t}.{k}"), r.arrays.get(f"step{t}.{k}")
                if got is None or got.shape != want.shape:
                    shape = "nothing" if got is None else f"shape {got.shape}"
                    return Verdict(False, f"after step {t + 1} of {steps}, weights[{k!r}] is {shape}, expected shape {want.shape}")
                miss = first_mismatch(want, got, rule.rtol, rule.atol)
                if miss:
                    return Verdict(False, f"diverged from the reference at step {t + 1} of {steps}, first in {k}: "
                                          f"{miss.where()} {miss.text()}")
        return Verdict(True, f"weights agree with the reference after each of {steps} steps")

    def judge(student, reference, probes):
        first = one(student[0], reference[0])
        if first.passed:
            return first
        second = one(student[1], reference[1])
        if second.passed:
            return Verdict(True, second.message + " (with correct sigmoid/softmax helpers)")
        return first
    return judge


def trajectory_diagnosis(rule, steps, spec, inputs):
    """Blame by substitution for a failed trajectory (grader.blame): each part run alone on the reference's data."""
    return Diagnosis(
        probes=lambda student, reference: blame.trajectory_probes(spec, inputs, reference[0] if reference else None, steps),
        explain=lambda verdict, results, student, reference: blame.explain_trajectory(
            verdict, results, reference[0], steps, rule.rtol, rule.atol))


def usable_weights(weights, inputs, sizes=None):
    """(W1 (D, H), b1 (H,), W2 (H, C), b2 (C,)) as float64 from the returned weights, or None when they are not the
    network's: a bias may come as any array of its size ((1, H) as well as (H,)). sizes: the (H, C) the network was
    built with, when known; then only those (so nothing the submission returns can make the grader's forward large)."""
    W1, b1, W2, b2 = (weights.get(k) for k in KEYS)
    if any(not isinstance(w, np.ndarray) for w in (W1, b1, W2, b2)) or W1.ndim != 2 or W2.ndim != 2:
        return None
    (D, H), C = W1.shape, W2.shape[1]
    if D != inputs or W2.shape[0] != H or b1.size != H or b2.size != C or (sizes is not None and (H, C) != tuple(sizes)):
        return None
    return tuple(np.asarray(w, dtype=np.float64) for w in (W1, b1.reshape(H), W2, b2.reshape(C)))


def test_accuracy_of(weights, X_test, y_test, sizes=None):
    """The grader's own forward pass: accuracy of the returned weights on the test set.

    X_test: (N, 784) uint8; y_test: (N,); sizes: the network's (H, C), when known (usable_weights).
    None when the weights are unusable.
    """
    usable = usable_weights(weights, X_test.shape[1], sizes)
    if usable is None:
        return None
    W1, b1, W2, b2 = usable
    with np.errstate(all="ignore"):
        hidden = 1.0 / (1.0 + np.exp(-((X_test / 255.0) @ W1 + b1)))  # (N, H)
        scores = hidden @ W2 + b2  # (N, C)
    return float(np.mean(np.argmax(scores, axis=1) == y_test))


def model_mismatch(result, ours, threshold):
    """When the training loop's own test accuracy (the student's forward; it only explains) reached the
    threshold but the grader's forward on the same weights did not, forward computes another model."""
    reported = one_number(result_value(result, "test_accuracy")) if result.ok else None
    if reported is None or np.ndim(reported) != 0 or ours is None or not float(reported) >= threshold:
        return ""
    return (f". Your own forward measured {float(reported):.4f} on the same test set, so these weights work with your "
            "forward, but the assignment's network (sigmoid hidden layer, then softmax of hidden W2 + b2) computes "
            "something else with them: TwoLayerNet.forward computes another model than the assignment's")


def epoch_weights(result, epochs):
    """[{key: array}] of a training run's weights after each of its epochs (None for one it did not return)."""
    return [{k: result_value(result, f"epoch_weights.{e}.{k}") for k in KEYS} for e in range(1, epochs + 1)]


def unverified(mine, theirs, rule):
    """None when every epoch's weights of a run follow the reference's run; else why they do not. Pure."""
    for e, (m, t) in enumerate(zip(mine, theirs), 1):
        for k in KEYS:
            got, want = m[k], t[k]
            if got is None or want is None or got.shape != want.shape or got.dtype.kind not in "biuf":
                return f"training returned no weights[{k!r}] of the network's shape after epoch {e}"
            miss = first_mismatch(want, got, rule.rtol, rule.atol)
            if miss:
                return (f"the weights after epoch {e} differ from the reference's run from the same initial weights on the "
                        f"same batches, first in {k}: {miss.where()} {miss.text()}")
    return None


def verified_accuracy(result, reference, epochs, rule, X_val, y_val, X_test, y_test, sizes=None):
    """(test accuracy, None) of a run whose every epoch the grader verified against the reference's run, taken
    at the epoch with the best validation accuracy, both computed by the grader's own forward; else (None, why)."""
    if not result.ok:
        return None, result.message
    if reference is None or not reference.ok:
        why = reference.message if reference is not None else "it did not run"
        return None, f"the reference's run on the same batches, which verifies yours, did not complete ({why})"
    mine = epoch_weights(result, epochs)
    problem = unverified(mine, epoch_weights(reference, epochs), rule)
    if problem:
        return None, problem + "; only weights that follow the reference's run are credited with their accuracy"
    val = [test_accuracy_of(w, X_val, y_val, sizes) for w in mine]
    if any(a is None for a in val):
        return None, "training returned no usable weights (W1, b1, W2, b2 of the network's shapes)"
    best = int(np.argmax(val))  # the first epoch with the best validation accuracy
    return test_accuracy_of(mine[best], X_test, y_test, sizes), None


def accuracy_judge(threshold, epochs, dataset_name, data, rule, sizes=None):
    """Judge the training runs by the grader's own test accuracy of weights it verified: every epoch's weights
    must follow the reference's run from the same initial weights on the same secret batches (run at the same
    time, in its own sandbox), so weights the submission did not train in this grade earn nothing. No number
    the student process reports counts. data: the (secretly transformed) RawDataset."""
    seen: dict = {}  # (id of a run's result, id of the reference's) -> (the two, its verified accuracy)

    def verified(s, ref):
        """verified_accuracy, once per pair of results: the pipeline judges a training run more than once."""
        key = (id(s), id(ref))
        if key not in seen or seen[key][0] is not s or seen[key][1] is not ref:
            seen[key] = (s, ref, verified_accuracy(s, ref, epochs, rule, data.X_val, data.y_val, data.X_test, data.y_test,
                                                   sizes))
        return seen[key][2]

    def judge(student, reference, probes):
        ref = reference[0] if reference else None
        results = [verified(s, ref) for s in student]
        best = max((a for a, _ in results if a is not None), default=None)
        if best is None:
            return Verdict(False, f"training on {dataset_name} failed: {results[0][1]}")
        note = "" if results[0][0] == best else " (reached with correct sigmoid/softmax helpers)"
        how = (f"after {epochs} epoch(s) on {dataset_name}, computed by the grader from the weights of the best epoch, "
               "verified against the reference's run")
        if best < threshold:
            return Verdict(False, f"training finished; test accuracy {best:.4f} {how}, below the threshold "
                                  f"{threshold:.4f}{note}{model_mismatch(student[0], results[0][0], threshold)}")
        return Verdict(True, f"test accuracy {best:.4f} {how} (threshold {threshold:.4f}){note}")
    return judge


def texts(params, digits):
    """{check id: display sentence} of the training checks, known without any data (digits: the digits set)."""
    epochs = params.digits_epochs if digits else params.epochs
    return {blame.TRAJECTORY_ID: f"TwoLayerNet + SGD follow the reference for {params.steps} steps on the same batches",
            "training/accuracy": f"test accuracy reaches the threshold after {epochs} epoch(s) of the provided loop"}


def checks(rubric, dataset, data_dir):
    """dataset: the RawDataset in use (uint8 images); data_dir: where the sandbox finds its .npy files."""
    from ..harness.probes import init_weights
    out = []
    rule = rubric.rule("training")
    config = TrainConfig(batch_size=rule.params.batch_size, seed=training_seed(rubric.seed))
    steps = rule.params.steps
    init = init_weights(dataset.X_train.shape[1], config.hidden_size, 10, config.seed)
    spec = {"input_size": dataset.X_train.shape[1], "hidden_size": config.hidden_size, "num_classes": 10,
            "learning_rate": config.learning_rate, "reg": config.reg, "momentum": config.momentum, "steps": steps,
            "grad_fill": "random", "grad_seed": config.seed}
    inputs = trajectory_inputs(dataset, config, steps, init)
    probes = tuple(Probe("trajectory", {**spec, "helpers": h}, inputs) for h in ("student", "provided"))
    text = texts(rule.params, dataset.name == "digits")
    add(out, blame.TRAJECTORY_ID, text[blame.TRAJECTORY_ID], probes,
        trajectory_judge(rule, steps), "forward's gradients and SGD's update must both match their contracts",
        "one training step is forward (gradients) then update (weights); both must follow the contract", needs=NEEDS,
        depends_on=DEPENDS, diagnose=trajectory_diagnosis(rule, steps, spec, inputs))
    digits = dataset.name == "digits"
    epochs = rule.params.digits_epochs if digits else rule.params.epochs
    threshold = rule.params.digits_threshold if digits else rule.params.threshold
    train_config = TrainConfig(epochs=epochs, batch_size=config.batch_size, seed=config.seed)
    probes = tuple(Probe("train", {"config": train_config.to_dict(), "data_dir": str(data_dir), "helpers": h})
                   for h in ("student", "provided"))
    add(out, "training/accuracy", text["training/accuracy"], probes,
        accuracy_judge(threshold, epochs, dataset.name, dataset, rule, init["W2"].shape),
        "train with the provided loop; a correct forward and SGD reach the threshold",
        "if the unit checks pass, the provided loop learns; a low accuracy points at forward or the update", needs=NEEDS,
        depends_on=DEPENDS, kind="training", requires=(blame.TRAJECTORY_ID,),  # the reference trains beside it (pipeline)
        withheld="a network that does not follow the reference step for step reaches this accuracy or not by the luck of the seed",
        diagnose=blame.speed_diagnosis(train_config, {"X": inputs["X0"], "y": inputs["y0"]}, blame.stopped_for_time))
    return out
