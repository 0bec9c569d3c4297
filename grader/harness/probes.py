"""What the grader can ask a student process to do. Each probe takes the
implementation, a JSON spec and input arrays, and returns named outputs.

Weights are always set by the grader: the submission's __init__ is only called.
"""

import contextlib
import types
from dataclasses import replace
import warnings

import numpy as np

from . import helpers
from .train_config import TrainConfig
from .contract import KEYS, grad_fill, set_arrays
from .training import UnitScaled, number, at_powers_of_two, train, train_epoch


def init_weights(input_size, hidden_size, num_classes, seed):
    """The assignment's initialisation, done by the grader: W ~ 0.001 N(0, 1), b = 0."""
    rng = np.random.default_rng(seed)
    return {
        "W1": 0.001 * rng.standard_normal((input_size, hidden_size)),  # (D, H)
        "b1": np.zeros(hidden_size),
        "W2": 0.001 * rng.standard_normal((hidden_size, num_classes)),  # (H, C)
        "b2": np.zeros(num_classes),
    }


class Implementation:
    """Access to the implementation's modules, with optional correct helpers patched in."""

    def __init__(self, import_module, loaded=lambda name: True):
        self._import = import_module  # name -> module, e.g. "softmax" -> assignment.softmax
        self._loaded = loaded  # name -> whether that module is imported already

    def module(self, name):
        return self._import(name)

    @contextlib.contextmanager
    def patched(self, names, spec):
        """Substitution: temporarily replace the submission's perceptron.predict, SGD.apply_regularization,
        or a helper in its own module (sigmoid, relu, softmax: names) with correct ones, to see whether they
        explain a failure. A helper is replaced as its module's attribute, so the module's other functions
        (sigmoid_grad calling sigmoid, softmax_jacobian calling softmax) call the correct one."""
        saved = []
        for name in names:
            if name in OWN_MODULE:
                target = self._import(OWN_MODULE[name])
                saved.append((target, name, target.__dict__.get(name, _ABSENT)))
                setattr(target, name, getattr(helpers, name))
        if "predict" in names:
            target = self._import("perceptron")
            saved.append((target, "predict", target.__dict__.get("predict", _ABSENT)))
            target.predict = helpers.predict
        if "apply_regularization" in names:
            target = self._import("optimizer").SGD
            saved.append((target, "apply_regularization", target.__dict__.get("apply_regularization", _ABSENT)))
            target.apply_regularization = helpers.regularization(spec["reg"])
        try:
            yield
        finally:
            for target, name, value in reversed(saved):
                if value is _ABSENT:
                    delattr(target, name)
                else:
                    setattr(target, name, value)

    @contextlib.contextmanager
    def provided_helpers(self):
        """Temporarily replace the activation and softmax helpers wherever the submission sees them."""
        saved = []
        for module_name, names in helpers.PROVIDED.items():
            for owner in ("two_layer_net", "optimizer", module_name):
                if owner != module_name and not self._loaded(owner):
                    continue  # the call did not import it, so none of its code runs; importing it now could hang
                try:
                    target = self._import(owner)
                except BaseException:  # a missing or broken module: nothing to patch there
                    continue
                for name in names:
                    if isinstance(target.__dict__.get(name), types.ModuleType):
                        continue  # `import softmax` binds the module: its own attribute is patched instead
                    saved.append((target, name, target.__dict__.get(name, _ABSENT)))
                    setattr(target, name, getattr(helpers, name))
        try:
            yield
        finally:
            for target, name, value in reversed(saved):
                if value is _ABSENT:
                    target.__dict__.pop(name, None)
                else:
                    setattr(target, name, value)


_ABSENT = object()
OWN_MODULE = {"sigmoid": "activations", "relu": "activations", "softmax": "softmax"}  # helpers that patched() replaces in place


def new_net(impl, spec, inputs):
    """Construct the submission's TwoLayerNet, then set its weights from the grader's inputs and
    fill its gradient buffers as spec says (see grad_fill)."""
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
    """module.function(*args): the result, and every array argument after the call."""
    fn = getattr(impl.module(spec["module"]), spec["function"])
    args = [_arg(a, inputs) for a in spec.get("args", [])]
    kwargs = {k: _arg(a, inputs) for k, a in spec.get("kwargs", {}).items()}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
            result = fn(*args, **kwargs)
    for w in caught:  # passed on to the worker's record, which says where each came from
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    outputs = {"result": result, "warnings": len(caught)}
    outputs.update({f"arg{i}": a for i, a in enumerate(args) if isinstance(a, np.ndarray)})
    return outputs


def copies(arrays):
    """A copy of a dict of arrays, so later calls cannot change what was recorded (other values kept as they are)."""
    return {k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v for k, v in dict(arrays).items()}


def net_forward(impl, spec, inputs):
    """TwoLayerNet.forward on given weights: (loss, acc), the gradients, and the inputs after.
    With spec["repeat"], forward runs a second time on the same object with the same data, and
    "again" holds that call's result and gradients (equal to the first's unless state leaks)."""
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
    """The analytic gradients (train mode) at the given weights, and the eval-mode loss at
    each perturbed point the grader chose: points[j] = (weight key index, flat index, step).
    The grader forms the central differences itself and checks these losses against the
    reference's at the same points, so nothing here is trusted on its own."""
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


def _copies(arrays):
    return {k: np.array(arrays[k], dtype=np.float64, copy=True) for k in KEYS}


def trajectory(impl, spec, inputs):
    """k steps of forward + update on given batches: after each step t, the loss (loss{t}),
    the gradients forward left before the update (grad{t}), the gradients after the update
    (rgrad{t}, regularized) and the weights (step{t}). The reference's are the data that
    blame by substitution feeds to the submission's parts one at a time."""
    net, opt = new_net(impl, spec, inputs), _optimizer(impl, spec)  # gradient buffers as spec["grad_fill"] says
    outputs = {}
    for t in range(spec["steps"]):
        outputs[f"loss{t}"] = net.forward(inputs[f"X{t}"].copy(), inputs[f"y{t}"].copy(), "train")[0]
        outputs[f"grad{t}"] = _copies(net.gradients)
        opt.update(net)
        outputs[f"rgrad{t}"] = _copies(net.gradients)
        outputs[f"step{t}"] = _copies(net.weights)
    return outputs


def _weights_at(inputs, t):
    """The reference trajectory's weights before step t (step 0: the initial weights)."""
    return {k: inputs[f"w{t}.{k}"].copy() for k in KEYS}


def forward_along(impl, spec, inputs):
    """Substitution: the submission's forward on the reference trajectory's weights at each step
    (one net object throughout, so state kept between calls shows; a fresh one per step when
    spec["fresh"]): loss{t} and grad{t}."""
    net = new_net(impl, spec, {f"w.{k}": inputs[f"w0.{k}"] for k in KEYS})
    outputs = {}
    for t in range(spec["steps"]):
        if spec.get("fresh"):
            net = new_net(impl, spec, {f"w.{k}": inputs[f"w{t}.{k}"] for k in KEYS})
        set_arrays(net, "weights", _weights_at(inputs, t))
        outputs[f"loss{t}"] = net.forward(inputs[f"X{t}"].copy(), inputs[f"y{t}"].copy(), "train")[0]
        outputs[f"grad{t}"] = _copies(net.gradients)
    return outputs


def _model_at(inputs, t):
    return types.SimpleNamespace(weights=_weights_at(inputs, t), gradients={k: inputs[f"g{t}.{k}"].copy() for k in KEYS})


def update_along(impl, spec, inputs):
    """Substitution: the submission's SGD (one object throughout) fed the reference trajectory's
    weights and gradients at each step: the weights after each update (step{t})."""
    opt = _optimizer(impl, spec)
    outputs = {}
    for t in range(spec["steps"]):
        model = _model_at(inputs, t)
        opt.update(model)
        outputs[f"step{t}"] = _copies(model.weights)
    return outputs


def regularize_along(impl, spec, inputs):
    """Substitution: SGD.apply_regularization alone on the reference trajectory's weights and
    gradients at each step: the gradients after it (rgrad{t})."""
    outputs = {}
    for t in range(spec["steps"]):
        model = _model_at(inputs, t)
        _optimizer(impl, spec).apply_regularization(model)
        outputs[f"rgrad{t}"] = _copies(model.gradients)
    return outputs


def load_data(data_dir, subset=None, splits=("train", "val", "test"), batched=True):
    """The dataset the grader left in the sandbox as uint8 .npy files, scaled to float64 [0, 1]: the training
    split a batch at a time (UnitScaled) when batched, else whole, as the other splits, which forward gets in one call."""
    data = types.SimpleNamespace()
    for split in splits:
        X = np.load(f"{data_dir}/X_{split}.npy", allow_pickle=False)
        y = np.load(f"{data_dir}/y_{split}.npy", allow_pickle=False)
        if subset and split == "train":
            X, y = X[:subset], y[:subset]
        setattr(data, f"X_{split}", UnitScaled(X) if batched and split == "train" else X.astype(np.float64) / 255.0)  # (N, 784)
        setattr(data, f"y_{split}", y.astype(np.int64))  # (N,)
    return data


def train_run(impl, spec, inputs, progress=None):
    """The provided training loop on the sandbox's dataset with spec["config"]: its figures, and the weights
    after every epoch (epoch_weights), which the grader compares with the reference's run on the same batches."""
    config = TrainConfig.from_dict(spec["config"])
    data = load_data(spec["data_dir"], spec.get("subset"))
    net = new_net(impl, {"input_size": data.X_train.shape[1], "hidden_size": config.hidden_size,
                         "num_classes": spec.get("num_classes", 10), "seed": config.seed}, {})
    opt = impl.module("optimizer").SGD(learning_rate=config.learning_rate, reg=config.reg, momentum=config.momentum)
    epoch_weights = {}  # epoch (1-based, as text) -> the weights when it ended: what the grader verifies

    def on_epoch(record, _):
        epoch_weights[str(record.epoch)] = final_weights(net)
        if progress:
            progress("epoch", record.to_dict())
    on_batch = at_powers_of_two(lambda n: progress("batch", {"batch": n})) if progress else None
    result = train(net, opt, data, config, on_epoch=on_epoch, on_batch=on_batch)
    keys = ("train_loss", "train_accuracy", "val_loss", "val_accuracy")
    history = {k: np.array([getattr(r, k) for r in result.history]) for k in keys}
    return {"history": history, "train_accuracy": result.train_accuracy, "val_accuracy": result.val_accuracy,
            "test_accuracy": result.test_accuracy, "best_epoch": result.best_epoch, "epoch_weights": epoch_weights,
            "best_weights": {k: np.asarray(result.best_weights[k], dtype=np.float64) for k in KEYS}}


def train_weights(impl, spec, inputs):
    """The provided loop's epochs alone, from the grader's initial weights on the same batches as train_run: the
    weights after each epoch (epoch_weights), and nothing evaluated. The reference runs it beside the submission's
    training run, whose every epoch must reach the same weights; the grader computes every accuracy itself."""
    config = TrainConfig.from_dict(spec["config"])
    data = load_data(spec["data_dir"], spec.get("subset"), splits=("train",))
    net = new_net(impl, {"input_size": data.X_train.shape[1], "hidden_size": config.hidden_size,
                         "num_classes": spec.get("num_classes", 10), "seed": config.seed}, {})
    opt = impl.module("optimizer").SGD(learning_rate=config.learning_rate, reg=config.reg, momentum=config.momentum)
    per_epoch = -(-data.X_train.shape[0] // config.batch_size)
    epoch_weights = {}
    for epoch in range(1, config.epochs + 1):  # the batches, and their numbering, of train()
        train_epoch(net, opt, data.X_train, data.y_train, config, epoch, first=(epoch - 1) * per_epoch + 1)
        epoch_weights[str(epoch)] = final_weights(net)
    return {"epoch_weights": epoch_weights}


def fresh_model(impl, data, config):
    """The submission's net (weights set by the grader) and optimizer for one timed epoch."""
    net = new_net(impl, {"input_size": data.X_train.shape[1], "hidden_size": config.hidden_size,
                         "num_classes": 10, "seed": config.seed}, {})
    opt = impl.module("optimizer").SGD(learning_rate=config.learning_rate, reg=config.reg, momentum=config.momentum)
    return net, opt


def final_weights(net):
    return {k: np.array(net.weights[k], dtype=np.float64, copy=True) for k in KEYS}


def timed_epochs(impl, spec, inputs, progress=None, wait_for_go=None, epoch_done=None):
    """Benchmark: one epoch per 'go SEED' from the grader, who times it from outside and
    keeps this process stopped outside the timed windows. SEED shuffles that epoch's
    batches, so the work cannot be done ahead, and the epoch's weights travel with
    'epoch_done', so it cannot be finished later: the grader compares them with the
    reference's epoch for the same SEED."""
    config = TrainConfig.from_dict(spec["config"])
    data = load_data(spec["data_dir"], spec.get("subset"), splits=("train",), batched=False)  # scaled before any timed window
    for repeat in range(spec["repeats"]):
        net, opt = fresh_model(impl, data, config)
        seed = wait_for_go()
        on_batch = at_powers_of_two(lambda n: progress("batch", {"batch": n})) if progress else None
        loss, _ = train_epoch(net, opt, data.X_train, data.y_train, replace(config, seed=seed), 1, on_batch)
        epoch_done({"repeat": repeat, "finite": bool(np.isfinite(loss))}, final_weights(net))
    return {}


def part_times(impl, spec, inputs):
    """Substitution for a slow epoch: the mean seconds of a forward call (train mode) and of an
    SGD.update call on one batch of the assignment's shapes, timed here over at most spec["repeats"]
    calls or spec["max_seconds"] per part. The grader compares them with the reference's on the same
    batch; a figure from this process only explains, never earns."""
    import time
    net, opt = new_net(impl, spec, inputs), _optimizer(impl, spec)
    X, y = inputs["X"], inputs["y"]

    def mean_seconds(step):
        start, calls = time.perf_counter(), 0
        while calls < spec["repeats"] and (calls == 0 or time.perf_counter() - start < spec["max_seconds"]):
            step()
            calls += 1
        return (time.perf_counter() - start) / calls

    forward = mean_seconds(lambda: net.forward(X.copy(), y.copy(), "train"))
    return {"forward": forward, "update": mean_seconds(lambda: opt.update(net))}


def imports(impl, spec, inputs):
    """Import spec["modules"] and nothing else: does the module import at all?"""
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
    "forward_along": forward_along,
    "update_along": update_along,
    "regularize_along": regularize_along,
    "part_times": part_times,
    "train": train_run,
    "train_weights": train_weights,
    "timed_epochs": timed_epochs,
}
INTERACTIVE = {"train", "timed_epochs"}  # probes that report progress over the pipe
