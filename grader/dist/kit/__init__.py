"""The student kit's self-check: `grader check` and `grader package` on the student's machine.

A small, self-contained package (NumPy and the standard library only). Its checks and their
expected values were computed from the course's reference solution when the kit was built
(`checks.json` and `checks.npz`, beside this file); it holds no solution.
"""
