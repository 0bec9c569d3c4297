"""The Assignment 1 grader: isolated, reproducible checks of a submission against reference/."""

__version__ = "0.1.0"  # the version when not installed; a test keeps it equal to pyproject.toml's
