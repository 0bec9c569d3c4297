"""Softmax functions whose error messages draw on the instructor's terminal.

What it attacks: feedback that carries student text. Every function raises ValueError with a message
made of terminal control sequences: carriage return and erase-line (to hide "raised ValueError:"),
clear screen and scrollback, cursor moves, colours, a window title (OSC), a C1 CSI, backspaces, a bell,
NUL and DEL. On a terminal it clears the screen and draws "softmax: 100 / 100 points", then hides what
follows. Its functions are wrong (they raise), so softmax must lose its points; the report must carry
no control character at all.
"""

import numpy as np

ESC = "\x1b"
DRAWING = (
    "\r" + ESC + "[2K" + ESC + "[2J" + ESC + "[3J" + ESC + "[H"  # hide the prefix, clear the screen and scrollback
    + ESC + "]0;grader: 100/100 points\x07"  # window title
    + ESC + "[1;32m" + "PASS  softmax: 100 / 100 points" + ESC + "[0m"  # the fake verdict, in green
    + ESC + "[3;1H" + ESC + "[1;32m" + "All checks passed." + ESC + "[0m"
    + ESC + "[?25l"  # hide the cursor
    + "\x9b2J" + "\x9b5;1H"  # the same, with C1 CSI
    + "\x08" * 8 + "\x00\x7f\x07"  # backspaces, NUL, DEL, bell
    + ESC + "[8m"  # conceal whatever the grader appends
)


def softmax(scores):
    raise ValueError(DRAWING)


def softmax_jacobian(z):
    raise ValueError(DRAWING)


def cross_entropy_loss(probs, y):
    raise ValueError(DRAWING)


def accuracy(scores, y):
    raise ValueError(DRAWING)
