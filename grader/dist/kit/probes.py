"""What the kit asks the student's code to do (runs in the student's subprocess).

Each probe takes the implementation, a JSON spec and input arrays, and returns named
outputs, as the course grader's probes do. Weights are always set by the checker:
the student's __init__ is only called.
"""

import contextlib
import time
import types
import warnings

import numpy as np

from .contract import KEYS, grad_fill, set_arrays
from .lookup import HELPERS, table_helpers
from .standins import TIMING_STAND_INS
from .train_config import TrainConfig
from .training import UnitScaled, number, train, train_epoch


def init_weights(input_size, hidden_size, num_classes, seed):
    """The assignment's initialisation, done by the checker: W ~ 0.001 N(0, 1), b = 0."""
    rng = np.random.default_rng(seed)
    return {
        "W1": 0.001 * rng.standard_normal((input_size, hidden_size)),  # (D, H)
        "b1": np.zeros(hidden_size),
        "W2": 0.001 * rng.standard_normal((hidden_size, num_classes)),  # (H, C)
        "b2": np.zeros(num_classes),
    }


class Implementation:
    """The student's modules, by name ("softmax" -> the imported module)."""

    def __init__(self, import_module):
        self.module = import_module

    def recorded_helpers(self, spec, inputs):
        """Within: the helpers answer from the kit's recorded reference values for the calls a
        correct forward makes, and fall back to the student's own functions for any other call.
        So a bug in softmax costs softmax's checks, not forward's too (no solution is shipped)."""
        entries = [(name, [inputs[f"t{k}.a{m}"] for m in range(arity)], inputs[f"t{k}.out"])
                   for k, (name, arity) in enumerate(spec.get("table", []))]

        def replacements(module_name, names):
            own = self.module(module_name)
            return table_helpers(entries, {n: getattr(own, n, None) for n in names})
        return self.patched(replacements)

    def timing_helpers(self):
        """Within: cheap helpers of the right shapes (deliberately not the right values), so that a helper's
        bug cannot stop the timed epoch, as the grader times it with correct helpers patched in."""
        return self.patched(lambda module_name, names: {n: TIMING_STAND_INS[n] for n in names})

    @contextlib.contextmanager
    def patched(self, replacements):
        """Within: replacements(module, names) -> {name: function} replaces the helpers wherever the network sees them."""
        saved = []
        for module_name, names in HELPERS.items():
            try:
                replacement = replacements(module_name, names)
            except BaseException:  # a missing or broken helper module: nothing to replace
                continue
            for owner in ("two_layer_net", "optimizer", module_name):
                try:
                    target = self.module(owner)
                except BaseException:
                    continue
                for name in names:
                    if isinstance(target.__dict__.get(name), types.ModuleType):
                        continue  # `import softmax` binds the module: its own attribute is patched instead
                    saved.append((target, name, target.__dict__.get(name, _ABSENT)))
                    setattr(target, name, replacement[name])
        try:
            yield
        finally:
            for target, name, value in reversed(saved):
                if value is _ABSENT:
                    target.__dict__.pop(name, None)
                else:
                    setattr(target, name, value)




_ABSENT = object()


def new_net(impl, spec, inputs):
    """Construct the student's TwoLayerNet, then set its weights from the kit's inputs."""
    cls = impl.module("two_layer_net").TwoLayerNet
    net = cls(input_size=spec["input_size"], hidden_size=spec["hidden_size"], num_classes=spec["num_classes"], seed=spec.get("seed", 0))
    if "w.W1" in inputs:
        weights = {k: inputs["w." + k].copy() for k in KEYS}
    else:
        weights = init_weights(spec["input_size"], spec["hidden_size"], spec["num_classes"], spec.get("seed", 0))
    set_arrays(net, "weights", weights)
    set_arrays(net, "gradients", {k: grad_fill(spec, k, v.shape) for k, v in weights.items()})
    return net


def _arg(a, inputs):
    return inputs[a["array"]].copy() if "array" in a else a["value"]


def call(impl, spec, inputs):
    """module.function(*args): the result, the warnings it raised, and every array argument after the call."""
    fn = getattr(impl.module(spec["module"]), spec["function"])
    args = [_arg(a, inputs) for a in spec.get("args", [])]
    kwargs = {k: _arg(a, inputs) for k, a in spec.get("kwargs", {}).items()}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
            result = fn(*args, **kwargs)
    outputs = {"result": result, "warnings": len(caught)}
    outputs.update({f"arg{i}": a for i, a in enumerate(args) if isinstance(a, np.ndarray)})
    return outputs


def copies(arrays):
    """A copy of a dict of arrays, so later calls cannot change what was recorded (other values kept as they are)."""
    return {k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v for k, v in dict(arrays).items()}


def net_forward(impl, spec, inputs):
    """TwoLayerNet.forward on given weights: (loss, acc), the gradients, and the inputs after.
    With spec["repeat"], a second forward on the same object with the same data: "again"."""
    net = new_net(impl, spec, inputs)
    X, y = inputs["X"].copy(), inputs["y"].copy()
    mode = spec.get("mode", "train")
    result = net.forward(X, y, mode)
    outputs = {"result": result, "gradients": copies(net.gradients), "weights": dict(net.weights), "X": X, "y": y}
    if spec.get("repeat"):
        again = net.forward(inputs["X"].copy(), inputs["y"].copy(), mode)
        outputs["again"] = {"result": again, "gradients": copies(net.gradients)}
    return outputs


def net_losses(impl, spec, inputs):
    """The analytic gradients (train mode) and the eval-mode loss at each perturbed point:
    points[j] = (weight key index, flat index, step). The judge forms the central differences."""
    net = new_net(impl, spec, inputs)
    X, y = inputs["X"], inputs["y"]
    net.forward(X.copy(), y.copy(), "train")
    analytic = {k: np.array(net.gradients[k], dtype=np.float64, copy=True) for k in KEYS}
    losses = np.empty(len(spec["points"]))  # (P,)
    for j, (key, flat, step) in enumerate(spec["points"]):
        w = net.weights[KEYS[key]]
        idx = np.unravel_index(flat, w.shape)
        old = w[idx]
        w[idx] = old + step
        losses[j] = number(net.forward(X.copy(), y.copy(), "eval")[0])
        w[idx] = old
    return {"analytic": analytic, "losses": losses}


def _plain_model(inputs, grads_prefix):
    weights = {k: inputs["w." + k].copy() for k in KEYS}
    gradients = {k: inputs[grads_prefix + k].copy() for k in KEYS}
    return types.SimpleNamespace(weights=weights, gradients=gradients)


def _optimizer(impl, spec):
    return impl.module("optimizer").SGD(learning_rate=spec["learning_rate"], reg=spec["reg"], momentum=spec["momentum"])


def sgd_regularize(impl, spec, inputs):
    """SGD.apply_regularization on a plain model: the gradients and weights after."""
    model = _plain_model(inputs, "g0.")
    _optimizer(impl, spec).apply_regularization(model)
    return {"gradients": dict(model.gradients), "weights": dict(model.weights)}


def sgd_steps(impl, spec, inputs):
    """spec["steps"] calls of SGD.update with given gradients: the weights after each."""
    opt = _optimizer(impl, spec)
    model = _plain_model(inputs, "g0.")
    outputs = {}
    for t in range(spec["steps"]):
        model.gradients = {k: inputs[f"g{t}.{k}"].copy() for k in KEYS}
        opt.update(model)
        outputs[f"step{t}"] = {k: np.array(v, dtype=np.float64, copy=True) for k, v in model.weights.items()}
    return outputs


def trajectory(impl, spec, inputs):
    """k steps of forward + update on given batches: the weights after each step."""
    net, opt = new_net(impl, spec, inputs), _optimizer(impl, spec)
    outputs = {}
    for t in range(spec["steps"]):
        net.forward(inputs[f"X{t}"].copy(), inputs[f"y{t}"].copy(), "train")
        opt.update(net)
        outputs[f"step{t}"] = {k: np.array(net.weights[k], dtype=np.float64, copy=True) for k in KEYS}
    return outputs


def train_run(impl, spec, inputs):
    """The provided training loop on the dataset's arrays: the best weights (the checker tests them itself)."""
    config = TrainConfig.from_dict(spec["config"])
    data = types.SimpleNamespace(**{k: inputs[k].astype(np.float64) / 255.0 if k.startswith("X") else inputs[k]
                                    for k in ("X_val", "y_val", "X_test", "y_test")}, X_train=UnitScaled(inputs["X_train"]),
                                 y_train=inputs["y_train"])
    net = new_net(impl, {"input_size": data.X_train.shape[1], "hidden_size": config.hidden_size,
                         "num_classes": 10, "seed": config.seed}, {})
    opt = _optimizer(impl, {"learning_rate": config.learning_rate, "reg": config.reg, "momentum": config.momentum})
    result = train(net, opt, data, config)
    return {"best_weights": {k: np.asarray(result.best_weights[k], dtype=np.float64) for k in KEYS},
            "reported_test_accuracy": result.test_accuracy}


def matmul_seconds(size, repeats):
    """Median seconds of a float64 (size, size) @ (size, size) product (2 size^3 FLOPs)."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((size, size)), rng.standard_normal((size, size))
    out = np.empty((size, size))
    times = []
    for _ in range(repeats + 1):  # the first is a warm-up
        t0 = time.perf_counter()
        np.matmul(a, b, out=out)
        times.append(time.perf_counter() - t0)
    return float(np.median(times[1:]))


def timed_epochs(impl, spec, inputs):
    """spec["repeats"] timed epochs of the provided loop on the inputs' images, each from the same fresh
    net and with the same shuffle; the entries idx.K of each epoch's final weights (to be verified
    against the reference's epoch); and the float64 matmul rate measured before and after (the faster
    counts, as in the course's benchmark)."""
    config = TrainConfig.from_dict(spec["config"])
    X, y = inputs["X"].astype(np.float64) / 255.0, inputs["y"]  # (N, D), (N,)
    before = matmul_seconds(spec["matmul_size"], spec["matmul_repeats"])
    times, finals = [], {}
    for repeat in range(spec["repeats"]):
        net = new_net(impl, {"input_size": X.shape[1], "hidden_size": config.hidden_size, "num_classes": 10,
                             "seed": config.seed}, {})
        opt = _optimizer(impl, {"learning_rate": config.learning_rate, "reg": config.reg, "momentum": config.momentum})
        t0 = time.perf_counter()
        train_epoch(net, opt, X, y, config, 1)
        times.append(time.perf_counter() - t0)
        finals[f"final{repeat}"] = {k: np.asarray(net.weights[k], dtype=np.float64).reshape(-1)[inputs[f"idx.{k}"]] for k in KEYS}
    after = matmul_seconds(spec["matmul_size"], spec["matmul_repeats"])
    flops_per_s = 2.0 * spec["matmul_size"] ** 3 / min(before, after)
    return {"times": np.array(times), "flops_per_s": flops_per_s, **finals}


def imports(impl, spec, inputs):
    """Import the modules spec["modules"] and nothing else (preflight.py: does a helper module import?)."""
    for name in spec["modules"]:
        impl.module(name)
    return {}


PROBES = {
    "imports": imports,
    "call": call,
    "net_forward": net_forward,
    "net_losses": net_losses,
    "sgd_regularize": sgd_regularize,
    "sgd_steps": sgd_steps,
    "trajectory": trajectory,
    "train": train_run,
    "timed_epochs": timed_epochs,
}
