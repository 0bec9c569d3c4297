"""The declared experiments: which configs each sweep trains, and the tuned config file.

Every sweep starts from the default TrainConfig and changes only its swept field;
`--epochs N` then overrides the epochs of every run (for quick looks).
"""

from dataclasses import dataclass, fields, replace
from pathlib import Path

from grader import toml
from grader.harness.train_config import TrainConfig

TUNED_FILE = Path(__file__).resolve().parent.parent / "tuned.toml"
METRICS = ("train", "val", "test")  # the accuracies a run reports, as claims and tables name them
METRIC_TITLES = {"train": "training accuracy", "val": "validation accuracy", "test": "test accuracy"}


@dataclass(frozen=True)
class Sweep:
    name: str  # as on the command line: "lr" or "reg"
    field: str  # the TrainConfig field it changes
    title: str  # column heading of the swept value
    values: tuple  # the swept values, in table order
    metrics: tuple  # the accuracies its table shows, a subset of METRICS


LR = Sweep("lr", "learning_rate", "learning rate", (1.0, 0.1, 0.05, 0.01), ("train", "test"))
REG = Sweep("reg", "reg", "reg", (1.0, 0.1, 0.01, 0.001, 0.0001), ("train", "val", "test"))
SWEEPS = {s.name: s for s in (LR, REG)}
PARTS = ("lr", "reg", "tuned", "theory")  # what `--sweep all` runs, in report order
CHOICES = PARTS + ("all",)


def parts(choice):
    """The parts a --sweep choice selects: 'all' -> PARTS, else (choice,)."""
    if choice not in CHOICES:
        raise ValueError(f"unknown sweep {choice!r}; choose one of: {', '.join(CHOICES)}")
    return PARTS if choice == "all" else (choice,)


def canonical(config):
    """The config with float fields as floats, so 1 and 1.0 name the same run."""
    floats = {f.name: float(getattr(config, f.name)) for f in fields(config) if f.type is float or f.type == "float"}
    return replace(config, **floats)


def with_epochs(config, epochs):
    """config with its epochs replaced when epochs is not None."""
    return canonical(config if epochs is None else replace(config, epochs=epochs))


def sweep_config(sweep, value, base=TrainConfig(), epochs=None):
    """base with sweep.field set to value (and epochs overridden when given)."""
    return with_epochs(replace(base, **{sweep.field: value}), epochs)


def sweep_configs(sweep, base=TrainConfig(), epochs=None):
    """One config per swept value, in sweep.values order."""
    return tuple(sweep_config(sweep, v, base, epochs) for v in sweep.values)


def load_tuned(path=TUNED_FILE):
    """The TrainConfig of a TOML file of TrainConfig fields; unknown keys are errors naming them.

    Raises ValueError naming the file for unreadable TOML, unknown keys or bad values.
    """
    path = Path(path)
    try:
        values = toml.load_path(path)
    except OSError as exc:
        raise ValueError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except toml.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc})") from None
    try:
        return canonical(TrainConfig.from_dict(values))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: {exc}") from None


def config_label(config):
    """'batch 64, lr 0.1, reg 0.001, hidden 128, 10 epochs' (momentum and seed when not default)."""
    text = (f"batch {config.batch_size}, lr {config.learning_rate:g}, reg {config.reg:g}, "
            f"hidden {config.hidden_size}, {config.epochs} epoch{'s' if config.epochs != 1 else ''}")
    default = TrainConfig()
    if config.momentum != default.momentum:
        text += f", momentum {config.momentum:g}"
    if config.seed != default.seed:
        text += f", seed {config.seed}"
    return text


def config_slug(config):
    """A file-name-safe name of the config, e.g. 'b64_lr0.1_reg0.001_h128_e10'."""
    text = f"b{config.batch_size}_lr{config.learning_rate:g}_reg{config.reg:g}_h{config.hidden_size}_e{config.epochs}"
    default = TrainConfig()
    if config.momentum != default.momentum:
        text += f"_m{config.momentum:g}"
    if config.seed != default.seed:
        text += f"_s{config.seed}"
    return text
