"""The exit status of every `grader` command, one table for all of them.

| status | name        | meaning                                                                        |
|--------|-------------|--------------------------------------------------------------------------------|
| 0      | OK          | the command did its job (grading completed, whatever the score)                |
| 1      | FAILED      | it found what it was asked to fail on: a score under `--fail-under`, a claim    |
|        |             | off with `--fail-on-mismatch`, a failed experiment run, a drifted skeleton     |
|        |             | (`skeleton --check`), a corpus case graded wrongly (`selftest`)                |
| 2      | USAGE       | a usage or input error, before any work: a bad option, path or rubric, missing |
|        |             | data (MNIST named but absent, a failed download), an unwritable `--out`, an    |
|        |             | isolation that cannot be had or would expose the reference (before any student |
|        |             | code runs)                                                                     |
| 3      | FAULT       | the grader itself failed (its own bug, never the submission's)                 |
| 130    | INTERRUPTED | interrupted by SIGINT (Ctrl-C)                                                 |
| 143    | TERMINATED  | stopped by SIGTERM                                                             |

`grader check` exits 0 whatever its checks found: it is the student's look, not a gate.
"""

OK = 0
FAILED = 1
USAGE = 2  # also argparse's own status for a bad command line
FAULT = 3
INTERRUPTED = 130  # 128 + SIGINT, as a shell reports it
TERMINATED = 143  # 128 + SIGTERM
