"""Student text made inert: no control characters, bounded length.

Anything derived from student code (exception messages, reprs, printed output)
passes through clean() before it reaches a terminal, Markdown, JUnit or
results.json, so it can neither draw on the instructor's screen nor grow a report.
"""

import re

# C0 controls but tab and newline, DEL, C1 controls, and the Unicode bidi overrides and isolates.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text, limit=2000):
    """text without control characters, cut to at most `limit` characters (saying so)."""
    if not isinstance(text, str):
        text = str(text)
    text = _CONTROL.sub("?", text)
    if len(text) > limit:
        cut = " ...(cut)"
        text = text[: max(limit - len(cut), 0)] + cut
    return text


def inert_markdown(text):
    """text that Markdown (CommonMark, and GitHub's with its tables and bare links) shows as it is,
    by backslash escapes: `\\`, `|` (a table cell's end), `[` and `]` (links and images) always; `<`
    before a letter, `/`, `!` or `?` (raw HTML, an autolink); `&` before a letter or `#` (an entity);
    the `://` of a URL and a `www.`, which GitHub links by themselves. Other text is left readable."""
    text = re.sub(r"([\\|\[\]])", r"\\\1", str(text))
    text = re.sub(r"<(?=[A-Za-z/!?])", r"\\<", text)
    text = re.sub(r"&(?=[A-Za-z#])", r"\\&", text)
    text = text.replace("://", r":\/\/")
    return re.sub(r"(?i)\b(www)\.", r"\1\\.", text)
