"""`grader dist student|classroom|gradescope --out DIR`: build what a course deploys.

student: the kit, DIR/ and DIR.zip, publishable as they are. classroom: DIR/, a GitHub Classroom
template repository (the kit and its autograding workflow). gradescope: DIR/autograder.zip (secret).
"""

import sys
import time
from pathlib import Path

from .. import exits
from ..paths import REFERENCE_DIR, RUBRIC_FILE
from ..rubric import RubricError, load_rubric


def add_arguments(parser):
    parser.description = (
        "Build what a course deploys. `student`: the kit, DIR/ and DIR.zip. "
        "The kit holds the skeleton (assignment/, as `grader skeleton` writes it), a student README, "
        "./dev (`./dev check`, `./dev package`), and a self-contained checker that runs the "
        "rubric's visible checks on public inputs drawn from a public kit seed, against the reference's values computed "
        "now. It holds no solution line, no hidden check, not the rubric's seed, and no file of reference/ or tests/. "
        "`gradescope`: DIR/autograder.zip in Gradescope's layout (setup.sh, run_autograder, the grader, reference/ and "
        "the rubric with a fresh secret seed, also kept at DIR/rubric.toml). It holds the solution: keep it secret.")
    parser.add_argument("target", choices=("student", "classroom", "gradescope", "secret-rubric"),
                        help="what to build: the student kit, the classroom template, gradescope (DIR/autograder.zip, SECRET: see "
                             "grader/dist_gradescope.py), or secret-rubric (FILE: the rubric with a fresh 256-bit seed, SECRET)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="student: the kit folder to create (must not exist), with DIR.zip beside it; "
                             "classroom: the template folder to create (must not exist); "
                             "gradescope: the folder that receives autograder.zip and rubric.toml; "
                             "secret-rubric: the file to write (mode 600; must not exist)")
    parser.add_argument("--rubric", type=Path, default=RUBRIC_FILE,
                        help="the rubric whose visible checks, points and thresholds the kit uses (default: grader/rubric.toml)")


def main(args):
    if args.target == "gradescope":
        from ..dist_gradescope import main as gradescope
        return gradescope(args)
    if args.target == "secret-rubric":
        return secret_rubric(args)
    from ..checks import catalog
    from ..dist.specs import DistError
    from ..skeleton import MarkerError
    t0 = time.monotonic()
    try:
        rubric = load_rubric(args.rubric)
        catalog.validate(rubric)  # a misspelled id or group is an error, never a silently visible check
        lines = BUILDERS[args.target](args.out, rubric, lambda msg: print(f"grader: {msg} ...", file=sys.stderr))
    except (RubricError, DistError, MarkerError) as exc:
        print(f"grader dist: error: {exc}", file=sys.stderr)
        return exits.USAGE
    except OSError as exc:
        print(f"grader dist: error: cannot write {args.out}: {exc}", file=sys.stderr)
        return exits.USAGE
    print(f"{lines[0]} in {time.monotonic() - t0:.1f} s", *lines[1:], sep="\n")
    return exits.OK


def secret_rubric(args):
    """`grader dist secret-rubric --out FILE`: the rubric with a fresh 256-bit seed, for grading a deployment
    (e.g. `grade-class` on the repositories collected from GitHub Classroom)."""
    from ..dist_gradescope import GradescopeError, write_secret_rubric
    try:
        write_secret_rubric(args.out, args.rubric)
    except (GradescopeError, RubricError) as exc:
        print(f"grader dist: error: {exc}", file=sys.stderr)
        return exits.USAGE
    except OSError as exc:
        print(f"grader dist: error: cannot write {args.out}: {exc}", file=sys.stderr)
        return exits.USAGE
    print(f"wrote {args.out} (mode 600): the rubric with a fresh 256-bit secret seed. Grade with --rubric {args.out}; "
          "keep it, for regrades give the same scores, and never publish or commit it.")
    return exits.OK


def student(out, rubric, progress):
    """Build the kit; the lines to print."""
    from ..dist.build import build_student_kit
    kit = build_student_kit(out, rubric, REFERENCE_DIR, progress)
    return [f"wrote {kit.folder}/ and {kit.archive} ({kit.checks} visible checks)"]


def classroom(out, rubric, progress):
    """Build the classroom template; the lines to print, the points Classroom cannot award included."""
    from ..dist.classroom import WORKFLOW, build_classroom_template
    t = build_classroom_template(out, rubric, REFERENCE_DIR, progress)
    lines = [f"wrote {t.folder}/ ({t.checks} visible checks; {len(t.steps)} Classroom tests in {t.folder / WORKFLOW}, "
             f"{sum(s.points for s in t.steps)} of {rubric.total:g} points)",
             "next: push it as a template repository, and make it the starter code of a GitHub Classroom assignment",
             "to grade the collected repositories for real: `grader dist secret-rubric --out secret-rubric.toml` (once, kept "
             "secret and outside the template), then `grader grade-class ... --rubric secret-rubric.toml`"]
    if t.missing_points:
        lines.append(f"note: {t.missing_points:g} points belong to groups with no visible check; Classroom cannot award them "
                     "(grade them with `grader grade-class` on the collected repositories)")
    return lines


BUILDERS = {"student": student, "classroom": classroom}
