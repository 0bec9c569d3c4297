"""The training configuration: one frozen dataclass with the assignment's defaults."""

from dataclasses import asdict, dataclass, fields, replace


@dataclass(frozen=True)
class TrainConfig:
    batch_size: int = 64  # samples per SGD step; the last partial batch is kept
    learning_rate: float = 0.1  # SGD step size
    reg: float = 1e-3  # L2 strength on W1 and W2 (never the biases)
    epochs: int = 10  # full passes over the training split
    hidden_size: int = 128  # sigmoid units in the hidden layer
    momentum: float = 0.0  # 0 is plain SGD, the course's published setting
    seed: int = 1024  # weight initialisation and per-epoch shuffling

    def __post_init__(self):
        for name in ("batch_size", "epochs", "hidden_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"TrainConfig.{name} must be a positive integer, got {value!r}")
        for name in ("learning_rate", "reg", "momentum"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"TrainConfig.{name} must be a non-negative number, got {value!r}")
        if self.learning_rate == 0:
            raise ValueError("TrainConfig.learning_rate must be positive, got 0")
        if self.momentum >= 1:
            raise ValueError(f"TrainConfig.momentum must be below 1, got {self.momentum!r}")

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, values):
        """Build from a mapping; an unknown key is an error that names it."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown training option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return replace(cls(), **values)
