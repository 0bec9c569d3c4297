"""The rubric file: loaded into frozen dataclasses, with errors that name the key."""

import dataclasses
import re

import pytest

from grader.checks import catalog
from grader.checks.training import TrainingParams
from grader.paths import RUBRIC_FILE
from grader.rubric import RubricError, load_rubric, parse_rubric, validate_against

MINIMAL = {"total": 10, "groups": {"a": {"points": 4}, "b": {"points": 6, "visibility": "hidden"}}}


def test_the_default_rubric_loads_totals_100_and_covers_every_check_group():
    rubric = load_rubric(RUBRIC_FILE)
    assert rubric.total == 100
    assert sum(g.points for g in rubric.groups.values()) == 100
    validate_against(rubric, catalog.group_names(rubric), catalog.check_ids(rubric))
    assert rubric.hints == "concept"


def test_rules_are_frozen():
    rubric = parse_rubric(MINIMAL)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rubric.groups["a"].points = 5


def test_defaults_apply_and_groups_override_them():
    doc = {**MINIMAL, "defaults": {"timeout": 3, "rtol": 1e-3}, "groups": {"a": {"points": 4, "rtol": 1e-2}, "b": {"points": 6}}}
    rubric = parse_rubric(doc)
    assert rubric.rule("a").rtol == 1e-2 and rubric.rule("b").rtol == 1e-3 and rubric.rule("a").timeout == 3


TRAINING = {"points": 1, "threshold": 0.9, "digits_threshold": 0.7}


def test_group_parameters_are_typed_with_their_defaults_in_one_place():
    rubric = parse_rubric({"total": 1, "groups": {"training": {**TRAINING, "epochs": 3}}})
    assert rubric.rule("training").params == TrainingParams(threshold=0.9, digits_threshold=0.7, epochs=3)
    assert rubric.rule("training").params.steps == 5  # TrainingParams' default
    assert parse_rubric(MINIMAL).rule("a").params is None  # a group without parameters


def test_the_default_rubrics_parameters_are_the_checks_own_kinds():
    rubric = load_rubric(RUBRIC_FILE)
    for group, kind in catalog.PARAMS.items():
        assert isinstance(rubric.rule(group).params, kind), group


@pytest.mark.parametrize("table, message", [
    ({"points": 1, "digits_threshold": 0.7}, "missing 'threshold', which has no default"),
    ({**TRAINING, "margin": 0.02}, "unknown key 'margin' (known for this group: atol, batch_size, digits_epochs"),
    ({**TRAINING, "epochs": 2.5}, "epochs must be a whole number >= 1, got 2.5"),
    ({**TRAINING, "steps": 0}, "steps must be a whole number >= 1, got 0"),
    ({**TRAINING, "threshold": "high"}, "threshold must be a number >= 0"),
])
def test_a_training_table_without_its_threshold_or_with_a_key_it_does_not_use_is_an_error(table, message):
    with pytest.raises(RubricError, match=re.escape(message)):
        parse_rubric({"total": 1, "groups": {"training": table}})


def test_a_parameter_is_refused_by_a_group_that_does_not_use_it():
    """The forward group draws its own central-difference steps: an `eps` there would be ignored."""
    with pytest.raises(RubricError, match="unknown key 'eps' .known for this group: atol, max_rel_error, points"):
        parse_rubric({"total": 1, "groups": {"two_layer_net.TwoLayerNet.forward": {"points": 1, "eps": 1e-6}}})
    with pytest.raises(RubricError, match="unknown key 'threshold'"):
        parse_rubric({"total": 1, "groups": {"softmax.softmax": {"points": 1, "threshold": 0.5}}})


def test_a_check_can_override_its_visibility_by_its_id():
    rubric = parse_rubric({**MINIMAL, "checks": {"a/x": {"visibility": "after_due_date"}}})
    assert rubric.visibility("a/x", "a") == "after_due_date"
    assert rubric.visibility("b/y", "b") == "hidden"


def test_a_check_table_that_matches_no_id_is_an_error_naming_the_closest_id():
    """A reworded or misspelt key can no longer un-hide a check silently."""
    rubric = parse_rubric({**MINIMAL, "checks": {"a/one-dimm": {"visibility": "hidden"}}})
    with pytest.raises(RubricError, match="matches no check id; the closest is 'a/one-dim'"):
        validate_against(rubric, ["a", "b"], ["a/values", "a/one-dim", "b/values"])
    validate_against(parse_rubric({**MINIMAL, "checks": {"a/one-dim": {"visibility": "hidden"}}}), ["a", "b"], ["a/one-dim", "b/v"])


def test_advice_is_independent_of_visibility_and_gives_no_points_unless_the_rubric_does():
    rubric = parse_rubric({**MINIMAL, "checks": {"a/strict": {"advice": True, "visibility": "hidden"}, "b/style": {"advice": True, "points": 1}}})
    assert rubric.advice("a/strict") and rubric.visibility("a/strict", "a") == "hidden"
    assert rubric.advice("b/style") and rubric.visibility("b/style", "b") == "hidden" and not rubric.advice("a/values")
    assert rubric.fixed_points() == {"a/strict": 0.0, "b/style": 1.0}


def test_advice_points_cannot_exceed_the_group_nor_leave_points_without_a_check():
    too_many = parse_rubric({**MINIMAL, "checks": {"a/strict": {"advice": True, "points": 5}}})
    with pytest.raises(RubricError, match='groups."a"\\] has 4 points, but its advice checks take 5'):
        validate_against(too_many, ["a", "b"], ["a/values", "a/strict", "b/values"])
    only_advice = parse_rubric({**MINIMAL, "checks": {"a/strict": {"advice": True}}})
    with pytest.raises(RubricError, match="no other check to take the rest"):
        validate_against(only_advice, ["a", "b"], ["a/strict", "b/values"])


@pytest.mark.parametrize("hints", ["full", "concept", "none"])
def test_the_hint_level_is_read_and_checked(hints):
    assert parse_rubric({**MINIMAL, "hints": hints}).hints == hints
    with pytest.raises(RubricError, match="hints must be one of full, concept, none"):
        parse_rubric({**MINIMAL, "hints": "all"})


def test_the_sandbox_envelope_is_stated_in_the_rubric_with_defaults():
    """sandbox_memory_mb, max_processes, disk_mb and output_mb bound all of a sandbox's processes together."""
    default = parse_rubric(MINIMAL)
    assert (default.sandbox_memory_mb, default.max_processes, default.disk_mb, default.output_mb) == (4096, 64, 256, 64)
    assert load_rubric(RUBRIC_FILE).sandbox_memory_mb == 4096
    set_ = parse_rubric({**MINIMAL, "sandbox_memory_mb": 2048, "max_processes": 16, "disk_mb": 10, "output_mb": 8})
    assert (set_.sandbox_memory_mb, set_.max_processes, set_.disk_mb, set_.output_mb) == (2048, 16, 10, 8)


@pytest.mark.parametrize("key, value", [("sandbox_memory_mb", 100), ("max_processes", 2), ("disk_mb", 0),
                                        ("output_mb", 1.5), ("max_processes", True), ("disk_mb", "10")])
def test_an_envelope_bound_that_is_not_a_large_enough_whole_number_is_an_error(key, value):
    with pytest.raises(RubricError, match=f"{key} must be a whole number >= "):
        parse_rubric({**MINIMAL, key: value})


@pytest.mark.parametrize("doc, message", [
    ({**MINIMAL, "totl": 3}, "unknown key 'totl'"),
    ({"total": 4, "groups": {"a": {"points": 4, "pionts": 1}}}, "unknown key 'pionts'"),
    ({**MINIMAL, "defaults": {"visiblity": "hidden"}}, "unknown key 'visiblity'"),
    ({**MINIMAL, "checks": {"a/x": {"weight": 3}}}, "unknown key 'weight'"),
    ({**MINIMAL, "checks": {"a/x": {"points": 3}}}, "points may be set only on an advice check"),
    ({**MINIMAL, "checks": {"a/x": {"advice": "yes"}}}, "advice must be true or false"),
    ({"total": 5, "groups": {"a": {"points": 4}}}, "add up to 4, but total is 5"),
    ({"total": 4, "groups": {"a": {"points": 4, "visibility": "secret"}}}, "visibility must be one of"),
    ({"total": 4, "groups": {"a": {"points": -4}}}, "points must be a number"),
    ({"total": 4, "groups": {"a": {}}}, "missing 'points'"),
    ({"total": 0, "groups": {}}, "no \\[groups"),
    ({**MINIMAL, "seed": "x"}, "seed must be an integer"),
])
def test_malformed_rubrics_are_errors_that_name_the_problem(doc, message):
    with pytest.raises(RubricError, match=message):
        parse_rubric(doc)


def test_a_group_with_no_checks_or_a_check_group_without_an_entry_is_an_error():
    rubric = parse_rubric(MINIMAL)
    with pytest.raises(RubricError, match='no \\[groups."c"\\]'):
        validate_against(rubric, ["a", "b", "c"], [])
    with pytest.raises(RubricError, match='groups."b"\\] matches no check'):
        validate_against(rubric, ["a"], [])


def test_invalid_toml_and_missing_files_are_reported(tmp_path):
    bad = tmp_path / "r.toml"
    bad.write_text("total = = 3")
    with pytest.raises(RubricError, match="not valid TOML"):
        load_rubric(bad)
    with pytest.raises(RubricError, match="cannot read rubric"):
        load_rubric(tmp_path / "absent.toml")
