"""`grader dist student`: the student kit (skeleton, README, self-check), built from the grader.

- build.py writes the kit folder and its zip;
- specs.py turns the catalog's visible checks into the kit's checks, with expected values from reference/;
- kit/ is the source of the kit's own checker package (`checker/`), completed at build time by a few
  pure modules copied from the grader (see build.COPIED). It is not importable from the repository.
"""
