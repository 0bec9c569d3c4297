"""`grader dist classroom`: a GitHub Classroom template, the student kit plus an autograding workflow.

Fast: the workflow, read with a YAML parser, has GitHub Classroom's form (one command-grader step per
rubric group, worth the group's points, then the reporter that reads every step's result) and its
points add up to the rubric's total. What the template must not hold is tested with the kit's
(tests/test_dist_student.py). Slow: every step's own commands, run as the command grader runs them
(a shell in the repository's root, with PATH and HOME only), fail on the untouched skeleton and pass
once reference/ is copied in.
"""

import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import yaml

from grader.dist import classroom, specs
from grader.dist.classroom import COMMAND_GRADER, REPORTER, WORKFLOW, build_classroom_template
from grader.paths import REFERENCE_DIR, RUBRIC_FILE
from grader.rubric import load_rubric

from conftest import ROOT


@pytest.fixture(scope="module")
def rubric():
    return load_rubric(RUBRIC_FILE)


@pytest.fixture(scope="module")
def template(tmp_path_factory, rubric, kit_contents):
    return build_classroom_template(tmp_path_factory.mktemp("classroom") / "assignment1", rubric, REFERENCE_DIR,
                                    contents=kit_contents)


@pytest.fixture(scope="module")
def workflow(template):
    return yaml.safe_load((template.folder / WORKFLOW).read_text())


@pytest.fixture(scope="module")
def steps(workflow):
    return workflow["jobs"]["run-autograding-tests"]["steps"]


def graders(steps):
    return [s for s in steps if s.get("uses") == COMMAND_GRADER]


def test_the_template_is_the_kit_plus_the_workflow(template):
    files = {p.relative_to(template.folder).as_posix() for p in template.folder.rglob("*") if p.is_file()}
    assert {"README.md", "dev", "checker/checks.json", "checker/checks.npz", ".github/workflows/classroom.yml", ".gitignore"} <= files
    assert {f"assignment/{m}.py" for m in ("activations", "softmax", "perceptron", "two_layer_net", "optimizer")} <= files
    assert os.access(template.folder / "dev", os.X_OK)
    assert ".venv/" in (template.folder / ".gitignore").read_text()
    assert "## GitHub Classroom" in (template.folder / "README.md").read_text()


def test_the_workflow_has_github_classrooms_form(workflow, steps):
    """Triggers, permissions and the job as GitHub Classroom writes them; the code checked out first."""
    assert workflow["name"] == "Autograding Tests"
    assert {"push", "repository_dispatch"} <= set(workflow["on"])
    assert workflow["permissions"] == {"checks": "write", "actions": "read", "contents": "read"}
    job = workflow["jobs"]["run-autograding-tests"]
    assert job["runs-on"] == "ubuntu-latest" and job["if"] == "github.actor != 'github-classroom[bot]'"
    assert steps[0]["uses"].startswith("actions/checkout@")


def test_one_step_per_rubric_group_with_its_points(steps, rubric):
    """Every group of the rubric (each has a visible check) is one test, in the catalog's order, worth its points."""
    tests = graders(steps)
    assert [s["with"]["test-name"] for s in tests] == list(rubric.groups)
    assert [s["with"]["max-score"] for s in tests] == [rubric.groups[g].points for g in rubric.groups]
    assert all(isinstance(s["with"]["max-score"], int) for s in tests)  # the command grader reads it with parseInt
    assert sum(s["with"]["max-score"] for s in tests) == rubric.total
    assert len({s["id"] for s in tests}) == len(tests)
    assert all(isinstance(s["with"]["timeout"], int) and 0 < s["with"]["timeout"] <= 360 for s in tests)  # minutes


def test_each_step_runs_the_kits_check_of_its_group_with_junit_output(steps):
    for s in graders(steps):
        command = s["with"]["command"].split()
        assert command[:2] == ["./dev", "check"]
        assert command[command.index("--group") + 1] == s["with"]["test-name"]
        assert command[command.index("--junit") + 1] == f"junit/{s['id']}.xml"
        assert "--exit-code" in command  # a failed check fails the step: the command grader awards on exit status 0
        assert s["with"]["setup-command"].startswith("./dev setup")


def test_the_reporter_reads_every_steps_result(steps):
    """The reporter gets `runners: id,...` and each runner's result in <ID>_RESULTS, as GitHub Classroom wires them."""
    ids = [s["id"] for s in graders(steps)]
    reporter = steps[-1]
    assert reporter["uses"] == REPORTER
    assert reporter["with"]["runners"].split(",") == ids
    assert reporter["env"] == {f"{i.upper()}_RESULTS": f"${{{{steps.{i}.outputs.result}}}}" for i in ids}
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()" and upload["with"]["path"] == "junit/"


def test_a_group_with_fractional_points_stops_the_build(rubric):
    groups = dict(rubric.groups)
    groups["activations.relu"] = replace(groups["activations.relu"], points=2.5)
    with pytest.raises(specs.DistError, match="whole"):
        classroom.steps(replace(rubric, groups=groups), ["activations.relu"])


def test_step_ids_are_valid_github_step_ids():
    step = classroom.Step("two_layer_net.TwoLayerNet.forward", 22, False)
    assert step.id == "two-layer-net-twolayernet-forward"


@pytest.mark.slow
def test_grader_dist_classroom_writes_the_template(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "grader", "dist", "classroom", "--out", str(tmp_path / "t")], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "t" / WORKFLOW).is_file() and "18 Classroom tests" in proc.stdout and "100 of 100 points" in proc.stdout


def run_like_the_command_grader(command, cwd):
    """A step's command as classroom-resources/autograding-command-grader runs it: a shell, PATH and HOME only."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(cwd))}
    return subprocess.run(command, shell=True, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_every_step_fails_on_the_skeleton_and_passes_on_the_reference(template, steps, tmp_path):
    """Each step's setup-command and command, on the template as shipped: on the skeleton every step exits non-zero
    and its JUnit file holds a failure with a message for every check; with reference/ copied in every step exits 0.
    (.venv is this test run's environment, so that `./dev setup` has nothing to install.)"""
    repo = tmp_path / "repo"
    shutil.copytree(template.folder, repo)
    (repo / ".venv").symlink_to(Path(sys.prefix))
    for s in graders(steps):
        assert run_like_the_command_grader(s["with"]["setup-command"], repo).returncode == 0
        proc = run_like_the_command_grader(s["with"]["command"], repo)
        assert proc.returncode == 1, (s["id"], proc.stdout + proc.stderr)
        suite = ET.parse(repo / "junit" / f"{s['id']}.xml").getroot()
        cases = suite.findall("testcase")
        assert cases and {c.get("classname") for c in cases} == {s["with"]["test-name"]}
        assert all(c.find("failure") is not None and c.find("failure").text for c in cases), s["id"]
    for path in REFERENCE_DIR.glob("*.py"):
        shutil.copyfile(path, repo / "assignment" / path.name)
    for s in graders(steps):
        proc = run_like_the_command_grader(s["with"]["command"], repo)
        assert proc.returncode == 0, (s["id"], proc.stdout + proc.stderr)
        suite = ET.parse(repo / "junit" / f"{s['id']}.xml").getroot()
        assert suite.get("failures") == "0" and int(suite.get("tests")) >= 1


def test_a_collected_repository_is_a_folder_submission_for_grade_class(template):
    """`grader grade-class collected/` grades each cloned repository: its modules are found in assignment/."""
    from grader.submission import MODULES, open_submission
    submission = open_submission(template.folder)
    assert submission.root == template.folder / "assignment" and set(submission.modules) == set(MODULES)
