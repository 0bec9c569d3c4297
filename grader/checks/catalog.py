"""The check catalog, declared in one place and in grading order."""

from . import activations, network, optimizer, perceptron, performance, softmax, training
from .compare import GradientParams
from .network import GradcheckParams
from .performance import PerformanceParams
from .training import TrainingParams

PARAMS = {  # group -> the dataclass of its rubric parameters; a group not named here takes none
    "activations.sigmoid_grad": GradientParams,
    "softmax.softmax_jacobian": GradientParams,
    "two_layer_net.TwoLayerNet.forward": GradcheckParams,
    "training": TrainingParams,
    "performance": PerformanceParams,
}

DATA_CHECK_IDS = ("training/trajectory", "training/accuracy", "performance/epoch-time")  # ids of data_checks' checks


def unit_checks(rubric):
    """Checks that need no dataset: values, properties and gradients of each function."""
    return [*activations.checks(rubric), *softmax.checks(rubric), *perceptron.checks(rubric),
            *network.checks(rubric), *optimizer.checks(rubric)]


def data_checks(rubric, dataset, data_dir):
    """Checks that train or time the network on the dataset's .npy files in data_dir."""
    return [*training.checks(rubric, dataset, data_dir), *performance.checks(rubric, dataset, data_dir)]


def build(rubric, dataset=None, data_dir=None):
    """All checks; the data checks only when a dataset is given."""
    checks = unit_checks(rubric)
    if dataset is not None:
        checks += data_checks(rubric, dataset, data_dir)
    return checks


def check_ids(rubric):
    """The id of every check the catalog can produce, in order, without loading data."""
    return [c.id for c in unit_checks(rubric)] + list(DATA_CHECK_IDS)


def group_names(rubric):
    """Every group the catalog can produce, for validating a rubric without loading data."""
    names = []
    for id in check_ids(rubric):
        group = id.split("/", 1)[0]
        if group not in names:
            names.append(group)
    return names
