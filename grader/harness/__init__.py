"""Code that runs inside the student's process.

Everything here depends only on the standard library and NumPy, and imports its
siblings relatively, because the grader copies this folder into each sandbox as
the package `harness`. The grader package itself is never importable there.
"""
