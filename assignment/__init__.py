"""Assignment 1: your solution. Fill in every function that raises NotImplementedError."""
