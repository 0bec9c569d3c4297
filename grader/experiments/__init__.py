"""The writeup's experiments and the check of a student's reported numbers.

`grader experiments` (pipeline.py) and `grader verify-report` (verify.py) share:
  sweeps.py     the declared configs (lr and reg sweeps, the tuned config file)
  workspace.py  the implementation, the dataset folder and their identities (identity.py)
  runs.py       one config = one sandboxed run of the provided loop; cached (cache.py), resumable, parallel
  progress.py   run i/n, epoch k/E and elapsed seconds on stderr
Then for the report: tables.py, findings.py (sentences from the numbers), plots.py,
theory.py (softmax Jacobian, perceptrons, XOR) and report.py; claims.py reads and
compares claimed numbers.
"""
