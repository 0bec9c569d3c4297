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



def unit_checks(rubric, fresh=None):
    """Checks that need no dataset: values, properties and gradients of each function.
    fresh: the grade's generator of draws that need not repeat (grader.challenge.fresh_rng); None derives
    them from the rubric's seed too (the student kit's public build)."""
    return [*activations.checks(rubric), *softmax.checks(rubric), *perceptron.checks(rubric),
            *network.checks(rubric, fresh), *optimizer.checks(rubric)]


def data_checks(rubric, dataset, data_dir):
    """Checks that train or time the network on the dataset's .npy files in data_dir."""
    return [*training.checks(rubric, dataset, data_dir), *performance.checks(rubric, dataset, data_dir)]


def build(rubric, dataset=None, data_dir=None, fresh=None):
    """All checks; the data checks only when a dataset is given. fresh: see unit_checks."""
    checks = unit_checks(rubric, fresh)
    if dataset is not None:
        checks += data_checks(rubric, dataset, data_dir)
    return checks


DATA_GROUPS = ("training", "performance")  # the groups of data_checks' checks


def data_check_texts(rubric, digits=False):
    """{id: display sentence} of the checks that train or time, known without loading any data
    (a group the rubric lacks has none here; validate_against names it)."""
    texts = {}
    if "training" in rubric.groups:
        texts.update(training.texts(rubric.rule("training").params, digits))
    if "performance" in rubric.groups:
        texts.update(performance.texts(rubric.rule("performance").params))
    return texts


def check_ids(rubric):
    """The id of every check the catalog can produce, in order, without loading data."""
    return [c.id for c in unit_checks(rubric)] + list(data_check_texts(rubric))


def group_names(rubric):
    """Every group the catalog can produce, for validating a rubric without loading data."""
    names = []
    for group in [c.group for c in unit_checks(rubric)] + list(DATA_GROUPS):
        if group not in names:
            names.append(group)
    return names


def known_groups():
    """Every group of the catalog, whatever a rubric says: read with the built-in rubric, which has them all."""
    from ..paths import RUBRIC_FILE
    from ..rubric import load_rubric
    return group_names(load_rubric(RUBRIC_FILE))


def validate(rubric):
    """Refuse a rubric that names anything the catalog lacks, before anything is built or graded.

    A [groups."<name>"] table that names no group, a group of the catalog without its table, a
    [checks."<id>"] table that names no check, or advice points beyond their group's: RubricError naming
    the table (and the closest valid name). Never a silently visible check: a misspelled id would leave
    the check it meant with its group's visibility (hidden inputs published in a kit)."""
    from ..rubric import RubricError, closest, validate_against
    groups = known_groups()
    for name in rubric.groups:
        if name not in groups:
            raise RubricError(f"{rubric.source}: [groups.\"{name}\"] names no check group{closest(name, groups)}")
    missing = [g for g in groups if g not in rubric.groups]
    if missing:
        raise RubricError(f"{rubric.source}: no [groups.\"{missing[0]}\"] table for the checks of that group")
    validate_against(rubric, group_names(rubric), check_ids(rubric))
