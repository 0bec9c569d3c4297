"""`grader dist student`: the kit is publishable as it is, and its self-check works with no solution inside.

Fast: what the kit holds and must not hold (every file, and every member of every zip in it, read); the
same for the GitHub Classroom template (`grader dist classroom`), which is the kit plus a workflow.
Slow: the kit unzipped elsewhere checks the untouched skeleton (every check fails, with its message)
and the reference (every check passes); and `./dev check` sets itself up from nothing.
"""

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from grader import corpus, skeleton
from grader.checks import catalog
from grader.dist import specs
from grader.dist.build import build_student_kit
from grader.dist.classroom import build_classroom_template
from grader.rubric import load_rubric
from grader.paths import REFERENCE_DIR, RUBRIC_FILE

from conftest import ROOT, kit_checker

MIN_LINE = 10  # characters, whitespace removed: shorter solution lines ("return {", "b = 0.0") are not telling


def normalised(text):
    return "".join(text.split())


def solution_lines(reference=REFERENCE_DIR):
    """Every non-trivial line strictly inside a SOLUTION region of reference/, whitespace removed."""
    out = set()
    for path in sorted(Path(reference).glob("*.py")):
        text = path.read_text()
        lines = text.splitlines()
        for region in skeleton.find_regions(text, str(path)):
            out.update(n for n in (normalised(line) for line in lines[region.begin:region.end - 1]) if len(n) >= MIN_LINE)
    return out


def zip_members(data, name):
    """(name, bytes) of every member of a zip, recursively (the kit's .zip, the .npz inside it)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            content = archive.read(info)
            yield f"{name}!{info.filename}", content
            if content[:4] == b"PK\x03\x04":
                yield from zip_members(content, f"{name}!{info.filename}")


def everything(folder, archive=None):
    """(name, bytes) of every file of folder (hidden ones included) and of archive, and of every member of every zip within."""
    for path in sorted([*folder.rglob("*"), *([archive] if archive else [])]):
        if path.is_file():
            data = path.read_bytes()
            yield str(path), data
            if data[:4] == b"PK\x03\x04":
                yield from zip_members(data, str(path))


def hidden_names(rubric):
    """Every check name and id (and group) the rubric hides."""
    checks = catalog.build(rubric, specs.stand_in_dataset("mnist"), ".") + catalog.build(rubric, specs.stand_in_dataset("digits"), ".")
    names = {text for c in checks if rubric.visibility(c.id, c.group) != "visible" for text in (c.name, c.id)}
    return names | {c.group for c in checks if rubric.visibility(c.id, c.group) != "visible" and
                    all(rubric.visibility(o.id, o.group) != "visible" for o in checks if o.group == c.group)}


@pytest.fixture(scope="module")
def rubric():
    return load_rubric(RUBRIC_FILE)


@pytest.fixture(scope="module")
def kit(tmp_path_factory, rubric, kit_contents):
    return build_student_kit(tmp_path_factory.mktemp("dist") / "assignment1-kit", rubric, REFERENCE_DIR, contents=kit_contents)


@pytest.fixture(scope="module")
def template(tmp_path_factory, rubric, kit_contents):
    return build_classroom_template(tmp_path_factory.mktemp("dist") / "assignment1-classroom", rubric, REFERENCE_DIR,
                                    contents=kit_contents)


@pytest.fixture(scope="module", params=["student kit", "classroom template"])
def contents(request, kit):
    """(name, text) of everything a student receives: the kit (folder and zip), or the classroom template."""
    if request.param == "student kit":
        files = everything(kit.folder, kit.archive)
    else:
        template = request.getfixturevalue("template")
        assert (template.folder / ".github" / "workflows" / "classroom.yml").is_file()
        files = everything(template.folder)
    return [(name, data.decode("latin-1")) for name, data in files]


def test_the_kit_is_a_folder_and_a_zip_of_it(kit):
    """Does DIR.zip hold exactly DIR's files, under DIR/, with ./dev executable?"""
    files = sorted(p.relative_to(kit.folder).as_posix() for p in kit.folder.rglob("*") if p.is_file())
    with zipfile.ZipFile(kit.archive) as z:
        names = sorted(n.split("/", 1)[1] for n in z.namelist())
        dev_mode = z.getinfo(f"{kit.folder.name}/dev").external_attr >> 16
    assert names == files
    assert {"README.md", "dev", "checker/checks.json", "checker/checks.npz", "checker/cli.py"} <= set(files)
    assert dev_mode & 0o111 and os.access(kit.folder / "dev", os.X_OK)


def test_the_skeleton_is_the_one_grader_skeleton_writes(kit):
    assert skeleton.drift(REFERENCE_DIR, kit.folder / "assignment") == []


def test_no_line_of_a_solution_region_appears_anywhere(contents):
    """Is every non-trivial solution line absent from every file and zip member (whitespace ignored)?"""
    lines = solution_lines()
    assert len(lines) > 20  # the regions were read
    leaks = [(line, name) for name, text in contents for flat in [normalised(text)] for line in lines if line in flat]
    assert leaks == []


def test_no_file_of_reference_tests_corpus_or_git(kit, contents):
    parts = {part for name, _ in contents for part in Path(name.replace("!", "/")).parts}
    assert not parts & {"reference", "corpus", "tests", ".git"}
    sources = [*REFERENCE_DIR.glob("*.py"), *(ROOT / "tests" / "corpus").rglob("*.py")]
    forbidden = {p.read_bytes() for p in sources if p.read_bytes().strip()}
    forbidden |= {corpus.case_source(case, m).encode() for case in corpus.load_cases() for m in case.modules}  # [[edit]] cases
    assert [name for name, text in contents if text.encode("latin-1") in forbidden] == []


def test_the_rubric_seed_appears_nowhere(rubric, contents):
    assert specs.KIT_SEED != rubric.seed
    assert [name for name, text in contents if str(rubric.seed) in text] == []


def test_no_hidden_check_name_appears(rubric, contents):
    hidden = hidden_names(rubric)
    assert hidden  # the default rubric hides one softmax check
    assert [(h, name) for name, text in contents for h in hidden if h in text] == []


def test_a_hidden_group_leaves_the_kit_and_the_classroom_template_entirely(tmp_path, rubric):
    """A group hidden as a whole (and hidden data checks) are left out, names and inputs; the classroom
    workflow has no test for them, and the template says how many points Classroom cannot award."""
    from grader.dist.build import kit_contents
    groups = dict(rubric.groups)
    groups["perceptron.xor_network"] = replace(groups["perceptron.xor_network"], visibility="hidden")
    groups["performance"] = replace(groups["performance"], visibility="hidden")
    hiding = replace(rubric, groups=groups)
    computed = kit_contents(hiding, REFERENCE_DIR)
    kit = build_student_kit(tmp_path / "kit", hiding, REFERENCE_DIR, contents=computed)
    template = build_classroom_template(tmp_path / "classroom", hiding, REFERENCE_DIR, contents=computed)
    manifest = json.loads((kit.folder / "checker" / "checks.json").read_text())
    names = [c["name"] for c in manifest["checks"]]
    assert not any(n.startswith("perceptron.xor_network") for n in names) and "performance" not in manifest
    for files in (everything(kit.folder, kit.archive), everything(template.folder)):
        text = "\n".join(d.decode("latin-1") for _, d in files)
        assert "perceptron.xor_network" not in text and "performance: training epoch" not in text
    assert [s.group for s in template.steps if s.group in ("perceptron.xor_network", "performance")] == []
    assert template.missing_points == groups["perceptron.xor_network"].points + groups["performance"].points
    status, out = kit_check(kit.folder, "--group", "activations.relu")  # the kit without a performance check still checks
    assert status == 0 and "FAIL      0/2     activations.relu: matches the reference" in out, out


def test_every_visible_check_of_the_catalog_is_in_the_kit(kit, rubric):
    every = catalog.build(rubric, specs.stand_in_dataset("mnist"), ".")
    visible = [c.id for c in every if rubric.visibility(c.id, c.group) == "visible"]
    manifest = json.loads((kit.folder / "checker" / "checks.json").read_text())
    kit_ids = [c["id"] for c in manifest["checks"]] + [manifest["training"]["id"]]
    assert kit_ids == [n for n in visible if not n.startswith("performance")]
    assert manifest["performance"]["name"].startswith("performance:") and manifest["performance"]["id"] == "performance/epoch-time"
    assert manifest["kit_seed"] == specs.KIT_SEED


def test_a_check_without_a_kit_judge_stops_the_build():
    with pytest.raises(specs.DistError, match="no kit judge"):
        specs.kit_judge("activations.tanh/values")


def test_the_kit_shows_concept_hints_even_under_a_full_hints_rubric_and_marks_advice(tmp_path, rubric):
    """Is the kit, published before the deadline, free of fixes: never a full hint, whatever the rubric says?"""
    kit = build_student_kit(tmp_path / "kit", replace(rubric, hints="full"), REFERENCE_DIR)
    manifest = json.loads((kit.folder / "checker" / "checks.json").read_text())
    every = {c.id: c for c in catalog.build(rubric, specs.stand_in_dataset("mnist"), ".")}
    assert all(c["hint"] == every[c["id"]].concept for c in manifest["checks"])
    lines = solution_lines()
    assert [(line, c["id"]) for c in manifest["checks"] for line in lines if line in normalised(c["hint"])] == []
    advice = {c["id"] for c in manifest["checks"] if c["advice"]}
    assert advice == {id for id in every if rubric.advice(id)}
    assert {"softmax.softmax/one-dim", "softmax.softmax/input-unchanged", "activations.sigmoid/input-unchanged"} <= advice
    assert all(c["points"] == 0 for c in manifest["checks"] if c["advice"])


def test_no_full_hint_is_a_solution_line():
    """Do the full hints name the fix without copying a line of the solution?"""
    lines = solution_lines()
    assert [(c.id, line) for c in catalog.unit_checks(load_rubric(RUBRIC_FILE)) for line in lines if line in normalised(c.hint)] == []


def test_the_output_folder_must_not_exist(kit, rubric):
    with pytest.raises(specs.DistError, match="already exists"):
        build_student_kit(kit.folder, rubric, REFERENCE_DIR)


def test_grader_dist_help_describes_the_kit():
    out = subprocess.run([sys.executable, "-m", "grader", "dist", "--help"], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert "student" in out and "--out DIR" in out and "hidden" in out


def kit_check(kit_dir, *args, env=None):
    """The kit's `grader check ARGS`, run from the kit alone: (exit status, stdout, results.json or None)."""
    env = dict(os.environ if env is None else env, PYTHONPATH=str(kit_dir))
    proc = subprocess.run([sys.executable, "-m", "checker", "check", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=kit_dir, timeout=600)
    return proc.returncode, proc.stdout + proc.stderr


def test_a_crash_in_one_function_fails_its_checks_and_the_rest_still_run(kit, tmp_path):
    """Is the student's code run apart, so that os._exit in softmax is a reported failure?"""
    work = tmp_path / "work"
    shutil.copytree(kit.folder / "assignment", work)
    for name in ("softmax", "activations"):
        shutil.copyfile(REFERENCE_DIR / f"{name}.py", work / f"{name}.py")
    text = (work / "softmax.py").read_text().replace('    """Row-wise softmax.', '    import os; os._exit(7)\n    """Row-wise softmax.')
    (work / "softmax.py").write_text(text)
    status, out = kit_check(kit.folder, work, "--only", "softmax.", "--out", tmp_path / "out")
    tests = json.loads((tmp_path / "out" / "results.json").read_text())["tests"]
    verdicts = {t["id"]: t["status"] for t in tests}
    assert status == 0
    assert verdicts["softmax.softmax/values"] == "failed"
    assert "exit status 7" in next(t["output"] for t in tests if t["id"] == "softmax.softmax/values")
    assert verdicts["softmax.cross_entropy_loss/values"] == "passed"
    assert verdicts["softmax.accuracy/values"] == "passed"


def package_imports(source):
    """two_layer_net.py importing its helpers by the package's name: `from assignment.softmax import ...`."""
    return source.replace("from .activations import", "from assignment.activations import").replace(
        "from .softmax import", "from assignment.softmax import")


@pytest.mark.parametrize("network", [
    (ROOT / "tests" / "corpus" / "alternatives" / "absolute_imports" / "two_layer_net.py").read_text(),
    package_imports((REFERENCE_DIR / "two_layer_net.py").read_text()),
], ids=["bare names (import softmax)", "the package's name (from assignment.softmax import)"])
def test_a_submissions_absolute_imports_pass_the_kits_network_checks(kit, tmp_path, network):
    """Does the kit import the student's modules as the grader does, as the package `assignment`, so that
    `import softmax`, `from activations import sigmoid` and `from assignment.softmax import softmax` in
    two_layer_net.py all work (the corpus case absolute_imports)?"""
    assert "from ." not in network
    work = tmp_path / "work"
    shutil.copytree(kit.folder / "assignment", work)
    for name in ("softmax", "activations"):
        shutil.copyfile(REFERENCE_DIR / f"{name}.py", work / f"{name}.py")
    (work / "two_layer_net.py").write_text(network)
    status, out = kit_check(kit.folder, work, "--only", "two_layer_net.TwoLayerNet.forward/loss", "--out", tmp_path / "out")
    tests = json.loads((tmp_path / "out" / "results.json").read_text())["tests"]
    assert status == 0
    assert [(t["id"], t["status"]) for t in tests] == [("two_layer_net.TwoLayerNet.forward/loss", "passed")], tests


@pytest.mark.slow
def test_end_to_end_the_unzipped_kit_checks_the_skeleton_then_the_reference(kit, tmp_path):
    """Unzipped elsewhere: every visible check fails on the skeleton with its message, exit 0; every one
    passes once reference/*.py is copied in."""
    with zipfile.ZipFile(kit.archive) as z:
        z.extractall(tmp_path)
    unzipped = tmp_path / kit.folder.name
    status, out = kit_check(unzipped, "--out", tmp_path / "skeleton")
    report = json.loads((tmp_path / "skeleton" / "results.json").read_text())
    assert status == 0, out
    assert report["tests"] and all(t["status"] == "failed" for t in report["tests"])
    assert all("NotImplementedError" in t["output"] and "Hint:" in t["output"] for t in report["tests"])
    assert report["score"] == 0 and all(t["visibility"] == "visible" for t in report["tests"])
    for path in REFERENCE_DIR.glob("*.py"):
        shutil.copyfile(path, unzipped / "assignment" / path.name)
    status, out = kit_check(unzipped, "--out", tmp_path / "reference")
    report = json.loads((tmp_path / "reference" / "results.json").read_text())
    assert status == 0, out
    assert [t["name"] for t in report["tests"] if t["status"] != "passed"] == [], out
    assert report["score"] == pytest.approx(sum(t["max_score"] for t in report["tests"]))


@pytest.mark.slow
def test_dev_sets_itself_up_and_runs_the_kits_grader(kit, tmp_path):
    """./dev check creates .venv (NumPy) on first use, then runs the kit's checker; ./dev package zips."""
    unzipped = tmp_path / "kit"
    shutil.copytree(kit.folder, unzipped)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = subprocess.run([str(unzipped / "dev"), "check", "--only", "relu"], capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr
    assert (unzipped / ".venv" / "bin" / "python").exists()
    assert "FAIL" in proc.stdout and "activations.relu: matches the reference" in proc.stdout
    for path in REFERENCE_DIR.glob("*.py"):
        shutil.copyfile(path, unzipped / "assignment" / path.name)
    proc = subprocess.run([str(unzipped / "dev"), "package", "--out", str(tmp_path / "alice.zip")], capture_output=True,
                          text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(tmp_path / "alice.zip") as z:
        assert "assignment/softmax.py" in z.namelist()


@pytest.fixture(scope="module")
def checker(kit):
    """The kit's own checker package, imported from the built kit."""
    with kit_checker(kit.folder, "judges", "lookup", "results") as checker:
        yield checker


def test_the_kit_picks_the_hint_by_the_kind_of_failure_as_the_grader_does(kit):
    """The zero-probability check's hint about 0 * log(0) only for a nan loss; a finite wrong loss gets the ordinary one."""
    import numpy as np
    sys.path.insert(0, str(kit.folder))
    try:
        from checker import selfcheck
        from checker.results import CallResult as KitResult
        manifest = json.loads((kit.folder / "checker" / "checks.json").read_text())
        checks = {c.id: c for c in selfcheck.stored_checks(manifest, kit.folder / "checker" / "checks.npz")}
        check = checks["softmax.cross_entropy_loss/zero-probability"]
        nan = selfcheck.kit_hint(check, [KitResult("ok", "", {}, {"result": np.asarray(np.nan)})], False)
        finite = selfcheck.kit_hint(check, [KitResult("ok", "", {}, {"result": np.asarray(99.0)})], False)
        assert "0 * log(0)" in nan and nan == check.kind_hints["nonfinite"]
        assert finite == check.hint and "log(0)" not in finite
    finally:
        sys.path.remove(str(kit.folder))
        for name in [m for m in sys.modules if m == "checker" or m.startswith("checker.")]:
            del sys.modules[name]


def test_recorded_helpers_answer_the_recorded_calls_and_pass_the_others_on(checker):
    import numpy as np
    z = np.array([[0.5, -1.0]])
    entries = [("softmax", [z], np.array([[0.8, 0.2]]))]
    helpers = checker.lookup.table_helpers(entries, {"softmax": lambda s: "own"})
    answer = helpers["softmax"](z + 1e-15)
    answer[0, 0] = 99.0  # a caller may write into what it got
    assert helpers["softmax"](z).tolist() == [[0.8, 0.2]]
    assert helpers["softmax"](z + 1.0) == "own"


@pytest.mark.parametrize("status, helpers_failed, trajectory, passes", [  # trajectory: (passed, only with helpers)
    ("ok", ["softmax.softmax"], (True, False), True),  # a helper bug; the network follows the reference
    ("error", [], (True, True), True),  # an exception from a helper; the trajectory needed the recorded helpers
    ("ok", [], (True, False), False),  # no helper at fault: the network itself does not train
    ("ok", ["softmax.softmax"], (False, False), False),  # the network does not follow the reference
    ("timeout", ["softmax.softmax"], (True, False), False),  # the grader does not retrain after a timeout
    ("crashed", ["softmax.softmax"], (True, False), False),
])
def test_training_is_judged_as_the_grader_retrains_after_a_helper_bug(checker, status, helpers_failed, trajectory, passes):
    r = checker.results
    failed = r.Verdict(False, "test accuracy 0.41")
    verdict = checker.judges.as_the_grader_retrains(failed, r.CallResult(status, "", {}, {}), helpers_failed,
                                                    r.Verdict(trajectory[0], "", trajectory[1]))
    assert verdict.passed is passes
    assert ("judged passed, as the grader judges it" in verdict.message) is passes


@pytest.mark.slow
def test_the_kit_agrees_with_grader_check_on_corpus_cases():
    """Per visible check, pass/fail of the kit equals `grader check`'s: a helper bug (the grader's correct helpers),
    a network bug (the timed epoch verified), an alternative (full marks in both), and a network that trains well
    or not by the luck of the seed (its accuracy counts in neither, as its trajectory fails).
    `python -m grader.dist.agreement` measures the whole corpus."""
    from grader.dist import agreement
    comparisons = agreement.measure(ROOT / "tests" / "corpus" / "rubric.toml", ("bugs", "alternatives"),
                                    {"softmax_wrong_axis", "forward_forgets_b2", "backprop_reordered", "gradients_not_divided_by_n"},
                                    progress=lambda m: None)
    assert len({c.case for c in comparisons}) == 4
    assert [c for c in comparisons if not c.agrees] == []


@pytest.mark.parametrize("accuracy, trajectory, passes", [
    (True, (True, False), True),  # the network follows the reference: its accuracy counts
    (True, (False, False), False),  # it does not: a pass would be the luck of the seed, as in the grader
    (False, (True, False), False),
    (True, None, True),  # no trajectory check in the kit (hidden in the rubric)
])
def test_the_accuracy_counts_only_when_the_trajectory_check_passed(checker, accuracy, trajectory, passes):
    r = checker.results
    verdict = checker.judges.requiring_trajectory(r.Verdict(accuracy, "test accuracy 0.91"),
                                                  None if trajectory is None else r.Verdict(*trajectory))
    assert verdict.passed is passes
    assert ("not counted" in verdict.message) is (accuracy and not passes)


def test_the_kit_names_the_trajectory_check_the_accuracy_requires(kit):
    from grader.checks import catalog
    manifest = json.loads((kit.folder / "checker" / "checks.json").read_text())
    accuracy = next(c for c in catalog.build(load_rubric(RUBRIC_FILE), specs.stand_in_dataset("mnist"), ".") if c.kind == "training")
    (required,) = accuracy.requires
    trajectory = next(c for c in catalog.build(load_rubric(RUBRIC_FILE), specs.stand_in_dataset("mnist"), ".") if c.id == required)
    assert manifest["training"]["trajectory"] == trajectory.name  # the kit's verdicts are keyed by name


def test_with_no_data_to_train_on_the_training_check_fails_saying_so_and_the_rest_still_run(kit, tmp_path):
    """A new machine with no MNIST and no usable digits set: the self-check still reports every check (exit 0)."""
    fake = tmp_path / "site" / "sklearn"  # a scikit-learn without its digits file
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    env = {k: v for k, v in os.environ.items() if k not in ("MNIST_DIR", "PYTHONPATH")}
    env.update(HOME=str(tmp_path), PYTHONPATH=f"{kit.folder}{os.pathsep}{tmp_path / 'site'}")
    proc = subprocess.run([sys.executable, "-m", "checker", "check", "--group", "training", "--group", "activations.relu",
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, env=env, cwd=kit.folder,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    tests = {t["name"]: t for t in json.loads((tmp_path / "out" / "results.json").read_text())["tests"]}
    accuracy = next(t for n, t in tests.items() if n.startswith("training: test accuracy"))
    assert accuracy["status"] == "failed" and accuracy["output"].startswith("not run: ") and "MNIST" in accuracy["output"]
    assert "activations.relu: matches the reference, zeros included" in tests  # the other checks still ran
    assert any(n.startswith("training: TwoLayerNet") for n in tests)


def test_a_dataset_asked_for_by_name_and_missing_is_a_usage_error(kit, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("MNIST_DIR", "PYTHONPATH")}
    env.update(HOME=str(tmp_path), PYTHONPATH=str(kit.folder))
    proc = subprocess.run([sys.executable, "-m", "checker", "check", "--group", "training", "--dataset", "mnist"], capture_output=True,
                          text=True, env=env, cwd=kit.folder, timeout=300)
    assert proc.returncode == 2 and "MNIST was not found" in proc.stderr


def test_a_module_that_fails_to_import_gets_the_import_hint_in_the_kit_as_in_the_grader(kit, tmp_path):
    """A syntax error in perceptron.py: the kit's perceptron checks fail with the import error and the import hint,
    not the perceptron's math hint."""
    work = tmp_path / "work"
    shutil.copytree(kit.folder / "assignment", work)
    shutil.copyfile(REFERENCE_DIR / "perceptron.py", work / "perceptron.py")
    (work / "perceptron.py").write_text((work / "perceptron.py").read_text() + "\ndef broken(:\n")
    status, out = kit_check(kit.folder, work, "--only", "perceptron.", "--out", tmp_path / "out")
    tests = json.loads((tmp_path / "out" / "results.json").read_text())["tests"]
    assert status == 0 and tests and all(t["status"] == "failed" for t in tests)
    for t in tests:
        assert "perceptron.py failed to import" in t["output"] and "make it import first" in t["output"], t["output"]


def test_every_kit_judge_returns_its_own_verdict_whatever_the_results_hold(kit):
    """As the grader's judges (tests/test_total_judges.py): forged results under every name a check reads, in the
    kit; the kit's judge() would say "the checker failed" for a judge's exception, which must never happen."""
    from hypothesis import given, settings, strategies as st
    from test_total_judges import EXAMPLES, SETTINGS, forged
    from grader.sandbox import CallResult as GraderResult
    with kit_checker(kit.folder, "judges", "selfcheck", "results") as checker:
        stored = checker.selfcheck.stored_checks(checker.selfcheck.load_manifest(kit.folder / "checker" / "checks.json"),
                                                 kit.folder / "checker" / "checks.npz")
        for c in stored:
            right = ([GraderResult("ok", "", r.meta, r.arrays, 0.1) for r in c.expected]
                     or [GraderResult("ok", "", {}, {}, 0.1)] * len(c.probes))

            big = sum(a.nbytes for r in right for a in r.arrays.values()) > 1 << 20  # the trajectory's MBs: a few examples

            # 1 in the fast loop, 6 in the whole suite; the grader's own judges are searched harder (test_total_judges)
            @settings(SETTINGS, max_examples=1 if big else max(1, EXAMPLES // 2))
            @given(student=st.tuples(*(forged(r) for r in right[:len(c.probes)])).map(list))
            def judged(student):
                results = [checker.results.CallResult(s.status, s.message, s.meta, s.arrays, s.seconds) for s in student]
                verdict = checker.judges.judge(c.kind, c.params, list(c.probes), results, list(c.expected))  # noqa: B023  run below
                assert "the checker failed" not in verdict.message, (c.id, verdict.message)  # noqa: B023
            judged()
