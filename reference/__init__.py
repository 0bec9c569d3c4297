"""Reference solution to Assignment 1: the oracle the grader compares submissions with."""
