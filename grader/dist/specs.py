"""The kit's checks, derived from the grader's catalog: visible checks only, public inputs, and the
reference's values on them.

Each visible check of the catalog, built with the public KIT_SEED instead of the rubric's seed, keeps
its name, probes, hint and points; KIT_JUDGES names the kit judge (grader/dist/kit/judges.py) that
mirrors its grader judge. A catalog check without an entry there stops the build, so the kit can never
silently lose a check. The expected values are computed here, in-process, from reference/.
"""

import contextlib
import importlib
import importlib.util
import sys
import types
from dataclasses import dataclass, replace

import numpy as np

from .. import scoring
from ..challenge import training_seed
from ..checks import activations as activation_checks
from ..checks import catalog, hints
from ..checks import softmax as softmax_checks
from ..checks.base import VACUOUS, Probe
from ..checks.network import HELPER_GROUPS
from ..contract import KEYS
from ..flops import TARGET_RATIO, epoch_flops
from ..harness import probes as harness_probes
from ..harness.train_config import TrainConfig

KIT_SEED = 314159  # public: the seed of the kit's inputs (never the rubric's)
MATMUL_SIZE, MATMUL_REPEATS = 1000, 3  # the kit's matmul-rate measurement: (S, S) @ (S, S), median of 3
TRAJECTORY_SHAPE = {"input_size": 64, "hidden_size": 16, "num_classes": 10}  # small: the kit stores every step
TRAJECTORY_BATCH = 32

# check id -> (kit judge kind, extra parameters); a catalog check without an entry stops the build.
VALUES: tuple[str, dict] = ("values", {})
SCALAR: tuple[str, dict] = ("values", {"scalar": True})
PROMOTED: tuple[str, dict] = ("values", {"kinds": "fiub"})
KIT_JUDGES = {
    "activations.sigmoid/values": VALUES,
    "activations.sigmoid/large-inputs": VALUES,
    "activations.sigmoid/warning-free": ("warning_free", {}),
    "activations.sigmoid_grad/values": VALUES,
    "activations.sigmoid_grad/central-differences": ("derivative", {}),
    "activations.relu/values": VALUES,
    "activations.relu_grad/values": PROMOTED,
    "activations.relu_grad/at-zero": PROMOTED,
    "activations.relu_grad/float": ("dtype", {"kinds": "f", "what": "a float array"}),
    "softmax.softmax/values": VALUES,
    "softmax.softmax/edge-shapes": VALUES,
    "softmax.softmax/one-dim": VALUES,
    "softmax.softmax/large-scores": VALUES,
    "softmax.softmax/warning-free": ("warning_free", {}),
    "softmax.softmax/normalised": ("rows_sum_to_one", {}),
    "softmax.softmax_jacobian/values": VALUES,
    "softmax.softmax_jacobian/central-differences": ("jacobian", {}),
    "softmax.cross_entropy_loss/values": SCALAR,
    "softmax.cross_entropy_loss/zero-probability": SCALAR,
    "softmax.accuracy/values": SCALAR,
    "perceptron.predict/values": ("values", {"kinds": "iubf"}),
    "perceptron.and_gate/truth-table": ("gate", {"gate": "AND"}),
    "perceptron.or_gate/truth-table": ("gate", {"gate": "OR"}),
    "perceptron.train_perceptron/converges-and": ("trains", {"gate": "AND"}),
    "perceptron.train_perceptron/converges-or": ("trains", {"gate": "OR"}),
    "perceptron.train_perceptron/rule-trace": ("rule_trace", {}),
    "perceptron.train_perceptron/xor-not-converged": ("xor_not_converged", {}),
    "perceptron.xor_network/truth-table": ("xor_network", {}),
    "two_layer_net.TwoLayerNet.forward/loss": ("forward_loss", {}),
    **{f"two_layer_net.TwoLayerNet.forward/grad-{k}": ("forward_gradient", {"key": k}) for k in KEYS},
    "two_layer_net.TwoLayerNet.forward/central-differences": ("forward_gradcheck", {}),
    "two_layer_net.TwoLayerNet.forward/repeatable": ("forward_repeatable", {}),
    "two_layer_net.TwoLayerNet.forward/eval-mode": ("forward_eval_mode", {}),
    "two_layer_net.TwoLayerNet.forward/inputs-unmodified": ("forward_inputs", {}),
    "two_layer_net.TwoLayerNet.forward/any-shape": ("forward_any_shape", {}),
    "optimizer.SGD.apply_regularization/weights": ("regularization", {"keys": ["W1", "W2"]}),
    "optimizer.SGD.apply_regularization/biases": ("regularization", {"keys": ["b1", "b2"]}),
    "optimizer.SGD.update/plain": ("sgd_steps", {}),
    "optimizer.SGD.update/momentum": ("sgd_steps", {}),
    "training/trajectory": ("trajectory", {}),
    **{f"{g}/input-unchanged": ("input_unchanged", {}) for g in (
        "activations.sigmoid", "activations.sigmoid_grad", "activations.relu", "activations.relu_grad", "softmax.softmax",
        "softmax.softmax_jacobian", "softmax.cross_entropy_loss", "softmax.accuracy")},
}
KIT_HINTS = {"full": "concept", "concept": "concept", "none": "none"}  # the kit is public before the deadline: never a full hint


class DistError(ValueError):
    """The kit cannot be built as asked (a check with no kit judge, a malformed reference)."""


@dataclass(frozen=True)
class KitProbe:
    probe: str
    spec: dict
    inputs: dict  # name -> ndarray
    expected: tuple | None = None  # (meta, arrays) of the reference's result, or None when the judge needs none


@dataclass(frozen=True)
class KitCheck:
    id: str  # the catalog check's stable id
    name: str
    group: str
    hint: str  # at the kit's hint level (KIT_HINTS)
    advice: bool  # the rubric's advice setting
    kind: str
    params: dict
    needs: tuple
    depends_on: tuple
    points: float
    timeout: float
    probes: tuple  # of KitProbe
    kind_hints: dict | None = None  # failure kind -> hint at the kit's level, as the grader picks it (checks/hints.py)
    requires: tuple = ()  # names of the visible checks that must pass for its pass to count (Check.requires)
    withheld: str = ""  # why, when its pass is withheld
    requires_any: bool = False  # any one of them passing is enough (Check.requires_any)


def kit_judge(id):
    """(kind, extra parameters) of the kit judge for a check id; DistError when there is none."""
    if id not in KIT_JUDGES:
        raise DistError(f"no kit judge for the check {id!r}: add it to grader/dist/specs.py KIT_JUDGES")
    kind, extra = KIT_JUDGES[id]
    return kind, dict(extra)


def load_reference(reference_dir):
    """A function name -> module of reference_dir, imported as a private package (trusted code)."""
    package = f"_kit_reference_{abs(hash(str(reference_dir)))}"
    if package not in sys.modules:
        spec = importlib.util.spec_from_file_location(package, reference_dir / "__init__.py", submodule_search_locations=[str(reference_dir)])
        module = importlib.util.module_from_spec(spec)
        sys.modules[package] = module
        spec.loader.exec_module(module)
    return lambda name: importlib.import_module(f"{package}.{name}")


def flattened(outputs):
    """(meta, arrays) of a probe's outputs, as the worker's wire format flattens them."""
    from ..harness import wire
    arrays, meta = {}, {}
    for name, value in outputs.items():
        wire.flatten(name, value, arrays, meta)
    return meta, arrays


# ---------------------------------------------------------------- recorded helper calls

RECORDED = ("sigmoid", "softmax", "cross_entropy_loss", "accuracy")  # what the reference's forward calls


@contextlib.contextmanager
def recording(import_ref, table):
    """Within: the reference's network module records every helper call into table [(name, [args], output)]."""
    net = import_ref("two_layer_net")
    saved = {name: getattr(net, name) for name in RECORDED if hasattr(net, name)}

    def wrap(name, fn):
        def recorded(*args):
            copies = [np.array(a, copy=True) for a in args]
            out = fn(*args)
            table.append((name, copies, np.array(out, copy=True)))
            return out
        return recorded
    for name, fn in saved.items():
        setattr(net, name, wrap(name, fn))
    try:
        yield
    finally:
        for name, fn in saved.items():
            setattr(net, name, fn)


def completed_table(table, import_ref):
    """The recorded calls, without repeats, plus the calls of the common correct variants: sigmoid_grad
    at each sigmoid's input, and accuracy on the scores as well as on the probabilities."""
    sigmoid_grad = import_ref("activations").sigmoid_grad
    extra = [("sigmoid_grad", args, sigmoid_grad(args[0])) for name, args, _ in table if name == "sigmoid"]
    for _, (scores,), probs in [t for t in table if t[0] == "softmax"]:
        for _, (a, y), out in [t for t in table if t[0] == "accuracy"]:
            if a.shape == probs.shape and np.array_equal(a, probs):
                extra.append(("accuracy", [scores, y], out))
    unique = []
    for name, args, out in table + extra:
        if not any(n == name and all(np.array_equal(a, b) for a, b in zip(args, other)) for n, other, _ in unique):
            unique.append((name, args, np.asarray(out)))
    return unique


def table_inputs(table):
    """(spec["table"], inputs) that carry a table to the kit's recorded helpers."""
    inputs = {}
    for k, (name, args, out) in enumerate(table):
        inputs.update({f"t{k}.a{m}": a for m, a in enumerate(args)})
        inputs[f"t{k}.out"] = out
    return [[name, len(args)] for name, args, _ in table], inputs


# ---------------------------------------------------------------- the reference's values

def run_reference(import_ref, probe):
    """The reference's outputs for one probe; with "helpers": "provided", also the table of its helper calls."""
    impl = harness_probes.Implementation(import_ref)
    fn = harness_probes.PROBES[probe.probe]
    inputs = {k: v.copy() for k, v in probe.inputs.items()}
    if probe.spec.get("helpers") != "provided":
        return fn(impl, probe.spec, inputs), None
    table = []
    with recording(import_ref, table):
        outputs = fn(impl, probe.spec, inputs)
    return outputs, completed_table(table, import_ref)


def kit_probe(import_ref, probe, want_expected, numeric=None):
    """A KitProbe of one catalog probe: its inputs, recorded helper calls, and the reference's result."""
    outputs, table = run_reference(import_ref, probe) if want_expected or probe.spec.get("helpers") == "provided" else (None, None)
    spec, inputs = dict(probe.spec), dict(probe.inputs)
    if table is not None:
        spec["table"], recorded = table_inputs(table)
        inputs.update(recorded)
    expected = None
    if numeric is not None:
        expected = ({"numeric": {"type": "ndarray"}}, {"numeric": numeric})
    elif want_expected:
        expected = flattened(outputs)
    return KitProbe(probe.probe, spec, inputs, expected)


def numeric_values(id, probe, rule):
    """Central differences of the true function at the probe's input, for the two gradient checks that need them."""
    if id == "activations.sigmoid_grad/central-differences":
        return activation_checks.numeric_derivative(activation_checks.reference_sigmoid, probe.inputs["a0"], rule.params.eps)
    if id == "softmax.softmax_jacobian/central-differences":
        return softmax_checks.numeric_jacobian(probe.inputs["a0"], rule.params.eps)
    return None


def judge_params(kind, extra, rule):
    params = {"rtol": rule.rtol, "atol": rule.atol, **extra}
    if kind in ("derivative", "jacobian", "forward_gradcheck"):
        params["max_rel_error"] = rule.params.max_rel_error
    return params


def stand_in_dataset(name, n=64):
    """A tiny dataset that lets the catalog name its data checks (values unused)."""
    return types.SimpleNamespace(name=name, X_train=np.zeros((n, 784), np.uint8), y_train=np.zeros(n, np.int64),
                                 X_test=np.zeros((1, 784), np.uint8), y_test=np.zeros(1, np.int64))


def visible(rubric, check):
    return rubric.visibility(check.id, check.group) == "visible"


def trajectory_probes(seed, steps):
    """The trajectory check's probes on small public data: random images, the assignment's initialisation."""
    rng = np.random.default_rng([seed, 7])
    D, H, C = (TRAJECTORY_SHAPE[k] for k in ("input_size", "hidden_size", "num_classes"))
    inputs = {f"w.{k}": v for k, v in harness_probes.init_weights(D, H, C, training_seed(seed)).items()}
    for t in range(steps):
        inputs[f"X{t}"] = rng.integers(0, 256, (TRAJECTORY_BATCH, D)).astype(np.float64) / 255.0  # (B, D)
        inputs[f"y{t}"] = rng.integers(0, C, TRAJECTORY_BATCH).astype(np.int64)  # (B,)
    config = TrainConfig()
    spec = {**TRAJECTORY_SHAPE, "learning_rate": config.learning_rate, "reg": config.reg, "momentum": config.momentum, "steps": steps}
    return tuple(Probe("trajectory", {**spec, "helpers": h}, inputs) for h in ("student", "provided"))


def allocated(rubric, checks):
    """{check id: points} as the grader allocates them."""
    return scoring.allocate({g: r.points for g, r in rubric.groups.items()}, [(c.id, c.group) for c in checks], rubric.fixed_points())


def kit_checks(rubric, reference_dir):
    """The kit's checks (KitCheck), in catalog order: every visible unit check and the trajectory."""
    public = replace(rubric, seed=KIT_SEED)
    import_ref = load_reference(reference_dir)
    every = catalog.build(public, stand_in_dataset("mnist"), ".")
    points = allocated(rubric, every)
    out = []
    for c in every:
        if c.kind != "unit" or not visible(rubric, c):
            continue
        kind, extra = kit_judge(c.id)
        rule = rubric.rule(c.group)
        probes = c.probes
        if kind == "trajectory":
            probes = trajectory_probes(KIT_SEED, rule.params.steps)
        numeric = [numeric_values(c.id, p, rule) for p in probes]
        kit = tuple(kit_probe(import_ref, p, c.run_reference, n) for p, n in zip(probes, numeric))
        level = KIT_HINTS[rubric.hints]
        kind_hints = {k: hints.at_level(h, level) for k, h in c.kind_hints.items()} if level != "none" else {}
        required = tuple(r.name for r in every if r.id in c.requires and visible(rubric, r))
        out.append(KitCheck(c.id, c.name, c.group, c.hint_at(level), rubric.advice(c.id), kind,
                            judge_params(kind, extra, rule), tuple(c.needs), tuple(c.depends_on), points[c.id], float(rule.timeout), kit,
                            kind_hints, required, c.withheld or VACUOUS, c.requires_any))
    return out


def flop_figures(subset, hidden_size):
    """(matmul FLOPs of one epoch over subset images, the reference's target ratio to that bound)."""
    return epoch_flops(subset, hidden_size), TARGET_RATIO


@contextlib.contextmanager
def stand_ins(import_ref):
    """Within: the reference's helpers are the kit's timing stand-ins, wherever its network sees them."""
    from .kit.lookup import HELPERS
    from .kit.standins import TIMING_STAND_INS
    saved = []
    for module_name, names in HELPERS.items():
        for owner in ("two_layer_net", "optimizer", module_name):
            module = import_ref(owner)
            for name in names:
                if name in module.__dict__:
                    saved.append((module, name, module.__dict__[name]))
                    setattr(module, name, TIMING_STAND_INS[name])
    try:
        yield
    finally:
        for module, name, value in reversed(saved):
            setattr(module, name, value)


def reference_timed_epoch(import_ref, config, subset):
    """{npz key: array}: the entries the kit compares (perf.idx.K) and the reference's weights there after the
    timed epoch with the timing stand-ins on the kit's synthetic images (perf.ref.K)."""
    from ..harness.training import train_epoch
    from .kit.standins import sampled_entries, timing_data
    X, y = timing_data(KIT_SEED, subset)
    X = X.astype(np.float64) / 255.0  # (N, 784)
    impl = harness_probes.Implementation(import_ref)
    with stand_ins(import_ref):
        net, opt = harness_probes.fresh_model(impl, types.SimpleNamespace(X_train=X), config)
        train_epoch(net, opt, X, y, config, 1)
    idx = sampled_entries(KIT_SEED, {k: net.weights[k].shape for k in KEYS})
    return {**{f"perf.idx.{k}": v for k, v in idx.items()},
            **{f"perf.ref.{k}": np.asarray(net.weights[k], dtype=np.float64).reshape(-1)[idx[k]] for k in KEYS}}


def required_visible(rubric, check, every):
    """The name of the visible check that check requires (the trajectory, for the accuracy), or None (never a hidden name)."""
    names = [c.name for c in every if c.id in check.requires and visible(rubric, c)]
    return names[0] if names else None


def data_checks(rubric, import_ref):
    """(manifest entries, {npz key: array}) of the training-accuracy and performance checks, which run on
    the student's data and machine."""
    every = {d: catalog.build(rubric, stand_in_dataset(d), ".") for d in ("mnist", "digits")}
    points = allocated(rubric, every["mnist"])
    accuracy = {d: next(c for c in checks if c.kind == "training") for d, checks in every.items()}
    perf = next(c for c in every["mnist"] if c.kind == "performance")
    t, p = rubric.rule("training"), rubric.rule("performance")
    out, arrays = {}, {}
    if visible(rubric, accuracy["mnist"]):
        config = TrainConfig(batch_size=t.params.batch_size, seed=training_seed(KIT_SEED))
        out["training"] = {
            "mnist": {"name": accuracy["mnist"].name, "epochs": t.params.epochs, "threshold": t.params.threshold},
            "digits": {"name": accuracy["digits"].name, "epochs": t.params.digits_epochs,
                       "threshold": t.params.digits_threshold},
            "id": accuracy["mnist"].id, "config": config.to_dict(), "hint": accuracy["mnist"].hint_at(KIT_HINTS[rubric.hints]),
            "helper_groups": list(HELPER_GROUPS), "trajectory": required_visible(rubric, accuracy["mnist"], every["mnist"]),
            "needs": list(accuracy["mnist"].needs), "depends_on": list(accuracy["mnist"].depends_on), "points": points[accuracy["mnist"].id],
            "timeout": float(t.timeout)}
    if visible(rubric, perf):
        config, subset = TrainConfig(), p.params.subset
        flops, target = flop_figures(subset, config.hidden_size)
        max_ratio = p.params.max_ratio * target
        out["performance"] = {
            "id": perf.id, "name": f"performance: training epoch within {max_ratio:g}x the float64 matrix-multiply bound",
            "config": config.to_dict(), "subset": subset, "repeats": p.params.repeats,
            "flops": flops, "max_ratio_to_bound": max_ratio,
            "matmul_size": MATMUL_SIZE, "matmul_repeats": MATMUL_REPEATS, "hint": perf.hint_at(KIT_HINTS[rubric.hints]),
            "needs": list(perf.needs), "depends_on": list(perf.depends_on), "points": points[perf.id], "timeout": float(p.timeout) + 60.0}
        arrays = reference_timed_epoch(import_ref, config, subset)
    return out, arrays
