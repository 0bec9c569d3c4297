"""The rubric file: loaded into frozen dataclasses, with errors that name the key."""

import dataclasses
import re

import pytest

from grader import exits
from grader.checks import catalog
from grader.cli import main as cli_main
from grader.checks.training import TrainingParams
from grader.paths import REFERENCE_DIR, RUBRIC_FILE
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
    rubric = parse_rubric({**MINIMAL, "checks": {"a/strict": {"advice": True, "visibility": "hidden"},
                                                 "b/style": {"advice": True, "points": 1}}})
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
    ({**MINIMAL, "seed": -1}, "seed must be an integer >= 0"),
    ({**MINIMAL, "seed": "0xg1"}, "seed must be an integer or a string"),
    ({**MINIMAL, "seed": 1.5}, "seed must be an integer"),
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


# -- a rubric that names what the grader lacks: refused by every command that builds or grades ------------

TYPOS = {  # the table of the default rubric that names checks -> (its header, the header misspelled, the closest name)
    "groups": ('[groups."softmax.softmax"]', '[groups."softmax.sofmax"]', "softmax.softmax"),
    "checks (visibility)": ('[checks."softmax.softmax/edge-shapes"]', '[checks."softmax.softmax/edge-shape"]',
                            "softmax.softmax/edge-shapes"),
    "checks (advice)": ('[checks."activations.relu_grad/at-zero"]', '[checks."activations.relu_grad/at_zero"]',
                        "activations.relu_grad/at-zero"),
}


def misspelled(tmp_path, table):
    right, wrong, _ = TYPOS[table]
    text = RUBRIC_FILE.read_text()
    assert text.count(right) == 1
    path = tmp_path / "typo.toml"
    path.write_text(text.replace(right, wrong))
    return path


@pytest.mark.parametrize("table", TYPOS)
def test_a_name_that_matches_no_check_or_group_is_an_error_naming_it_and_the_closest(tmp_path, table):
    _, wrong, close = TYPOS[table]
    with pytest.raises(RubricError) as caught:
        catalog.validate(load_rubric(misspelled(tmp_path, table)))
    assert wrong[1:-1] in str(caught.value) and repr(close) in str(caught.value)


def test_the_default_and_the_corpus_rubric_name_only_checks_of_the_catalog():
    catalog.validate(load_rubric(RUBRIC_FILE))
    catalog.validate(load_rubric(RUBRIC_FILE.parent.parent / "tests" / "corpus" / "rubric.toml"))


def tree(folder):
    """{relative path: bytes} of every file under folder (empty when it does not exist)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()} \
        if folder.exists() else {}


COMMANDS = {  # command -> its arguments, given (rubric, the output folder, a scratch folder)
    "dist student": lambda r, out, t: ["dist", "student", "--out", out, "--rubric", r],
    "dist classroom": lambda r, out, t: ["dist", "classroom", "--out", out, "--rubric", r],
    "dist gradescope": lambda r, out, t: ["dist", "gradescope", "--out", out, "--rubric", r],
    "grade": lambda r, out, t: ["grade", REFERENCE_DIR, "--out", out, "--rubric", r, "--only", "activations.relu:*"],
    "check": lambda r, out, t: ["check", REFERENCE_DIR, "--rubric", r, "--only", "activations.relu:*"],  # writes no report
    "grade-class": lambda r, out, t: ["grade-class", t, "--out", out, "--rubric", r],
}


@pytest.mark.parametrize("table", TYPOS)
@pytest.mark.parametrize("command", COMMANDS)
def test_every_builder_and_grader_refuses_a_misspelled_name_with_exit_2_and_writes_nothing(tmp_path, capsys, command, table):
    """Never a kit in which the check the typo meant is visible, never a class graded as grader faults: exit 2
    before anything is built or anyone graded; a fresh --out is not created, an existing one is left untouched."""
    rubric = misspelled(tmp_path, table)
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "alice.zip").write_text("not graded")
    fresh, existing = tmp_path / "fresh", tmp_path / "existing"
    existing.mkdir()
    (existing / "notes.txt").write_text("the instructor's own file")
    before = tree(existing)
    for out in (fresh, existing):
        if command in ("dist student", "dist classroom") and out is existing:
            continue  # these refuse an existing --out anyway
        argv = [str(a) for a in COMMANDS[command](rubric, out, tmp_path / "class")]
        assert cli_main(argv) == exits.USAGE, argv
        err = capsys.readouterr().err
        _, wrong, close = TYPOS[table]
        assert wrong[1:-1] in err and repr(close) in err, err
    assert not fresh.exists() and not fresh.with_name("fresh.zip").exists()
    assert tree(existing) == before


@pytest.mark.parametrize("table", TYPOS)
def test_the_builders_themselves_refuse_it_when_called_as_a_library(tmp_path, table):
    """build_student_kit, build_classroom_template and the Gradescope build validate on their own, not only their command."""
    from grader import dist_gradescope
    from grader.dist.build import build_student_kit, kit_contents
    from grader.dist.classroom import build_classroom_template
    path = misspelled(tmp_path, table)
    rubric = load_rubric(path)
    builders = [lambda: build_student_kit(tmp_path / "kit", rubric, REFERENCE_DIR),
                lambda: build_classroom_template(tmp_path / "template", rubric, REFERENCE_DIR),
                lambda: kit_contents(rubric, REFERENCE_DIR),
                lambda: dist_gradescope.build(tmp_path / "bundle", path)]
    for build in builders:
        with pytest.raises(RubricError, match=re.escape(TYPOS[table][1][1:-1])):
            build()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["typo.toml"]


@pytest.mark.parametrize("seed, value, strong", [
    (20261127, 20261127, False),  # an integer seed still works, and is weak: TOML integers hold 64 bits at most
    (2**63 - 1, 2**63 - 1, False),
    ("0x" + "ab" * 16, int("ab" * 16, 16), True),  # 128 bits
    ("0x" + "0" * 63 + "1", 1, True),  # strength is what was written, not the value's size
    ("0x" + "f" * 31, int("f" * 31, 16), False),  # 124 bits: weak
])
def test_a_seed_is_an_integer_or_a_hex_string_strong_from_128_bits(seed, value, strong):
    """Is a seed read as an integer of any size, and called strong only when it was written with >= 128 bits?"""
    rubric = parse_rubric({**MINIMAL, "seed": seed})
    assert (rubric.seed, rubric.strong_seed) == (value, strong)
