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
