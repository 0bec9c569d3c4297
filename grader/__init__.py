"""The Assignment 1 grader: isolated, reproducible checks of a submission against reference/."""
