"""`grader dist gradescope --out DIR`: DIR/autograder.zip in Gradescope's autograder layout.

Gradescope unpacks the zip into /autograder/source, runs setup.sh once (as root, with network) to
build the image, then runs run_autograder once per submission, which must leave
/autograder/results/results.json. The zip holds:

    setup.sh          installs python3, bubblewrap, a venv with the grader's dependencies, and MNIST
    run_autograder    grades /autograder/submission; never leaves Gradescope without a results.json
    grader/           this package, without caches (no tests/, no .git, no corpus)
    reference/        the solution: chmod 700 by run_autograder before any student code runs
    rubric.toml       grader/rubric.toml with a fresh secret seed: chmod 600 likewise
    pyproject.toml, README.md   so that `pip install` builds the grader (never reference/)

The zip is secret: it holds the solution and the seed. A copy of the secret rubric is written
beside it (DIR/rubric.toml, mode 600) so that regrades elsewhere give the same scores.
"""

import argparse
import os
import re
import secrets
import stat
import sys
import time
import zipfile
from pathlib import Path

from .paths import PROJECT_DIR, REFERENCE_DIR, RUBRIC_FILE
from .checks import catalog
from .rubric import load_rubric

PACKAGE_DIR = Path(__file__).resolve().parent
ZIP_NAME = "autograder.zip"
EPOCH = (2020, 1, 1, 0, 0, 0)  # one timestamp for every member: the zip's bytes depend on its content only
SEED_LINE = re.compile(r"^seed\s*=\s*(\d+|\"0x[0-9a-fA-F]+\")[^\n]*$", re.MULTILINE)
SEED_BYTES = 32  # a deployed seed's size: 256 bits from `secrets`, written as "0x" and 64 hex digits

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root and with network, when it builds the autograder image.
# AUTOGRADER_SETUP_CHECK=1: install nothing; say what is present and exit 0 when it is all there.
set -euo pipefail
R="${AUTOGRADER_ROOT:-/autograder}"
SRC="$R/source"
VENV="$R/venv"

# The python that runs the bundled grader (its dependencies, tomli on 3.10, included): $AUTOGRADER_PYTHON,
# the bundle's venv, or the system's.
find_python() {
    local py
    for py in "${AUTOGRADER_PYTHON:-}" "$VENV/bin/python" "$(command -v python3 || true)"; do
        if [ -n "$py" ] && [ -x "$py" ] && (cd "$SRC" && "$py" -c 'import numpy, tabulate, grader.cli, grader.rubric') 2>/dev/null; then
            echo "$py"
            return 0
        fi
    done
    return 1
}

if [ "${AUTOGRADER_SETUP_CHECK:-}" = 1 ]; then
    missing=0
    if py=$(find_python); then
        echo "setup check: python: $py ($("$py" --version 2>&1), numpy $("$py" -c 'import numpy; print(numpy.__version__)'))"
    else
        echo "setup check: python3 that imports the grader (numpy, tabulate, tomli on 3.10): MISSING"
        missing=1
    fi
    if command -v bwrap >/dev/null; then
        echo "setup check: bwrap: $(command -v bwrap) ($(bwrap --version 2>&1 | head -n 1))"
    else
        echo "setup check: bwrap: MISSING"
        missing=1
    fi
    if [ "$missing" = 0 ]; then
        echo "setup check: everything needed is present; apt-get and pip skipped"
        exit 0
    fi
    echo "setup check: something is missing; run setup.sh without AUTOGRADER_SETUP_CHECK to install it" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y bubblewrap libseccomp2 python3 python3-venv python3-pip
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
    echo "setup.sh: python3 is $(python3 --version 2>&1); the grader needs 3.10 or newer (choose Ubuntu 22.04 or later as the autograder's base image)" >&2
    exit 1
fi
python3 -m venv "$VENV"
# Build from a copy holding the grader alone, so that nothing else is ever packaged or written into source/.
build=$(mktemp -d)
cp -r "$SRC/grader" "$SRC/pyproject.toml" "$SRC/README.md" "$build/"
"$VENV/bin/pip" install --no-cache-dir "$build"
rm -rf "$build"
# MNIST, for the training checks (without it the grader trains on the bundled digits). Best effort.
if (cd "$SRC" && "$VENV/bin/python" -m grader data download --data-dir "$R/data/mnist"); then
    chmod -R a+rX,go-w "$R/data"
else
    echo "setup.sh: warning: MNIST could not be downloaded; grading will use the bundled digits" >&2
fi
chmod -R a+rX,go-w "$VENV"
echo "setup.sh: done: $("$VENV/bin/python" --version 2>&1), $(command -v bwrap)"
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this once per submission, as root. It grades $R/submission into
# $R/results/results.json, and never leaves Gradescope without a results.json.
# AUTOGRADER_ISOLATION=process forces the weaker isolation (as when namespaces are refused).
set -uo pipefail
R="${AUTOGRADER_ROOT:-/autograder}"
SRC="$R/source"
OUT="$R/results"
umask 022

# Student code runs as an unprivileged uid: it must read neither the solution nor the seed,
# and write nothing here.
chmod -R go-w "$SRC"
chmod 700 "$SRC/reference"
chmod 600 "$SRC/rubric.toml"
mkdir -p "$OUT"
chmod 755 "$OUT"
rm -f "$OUT/results.json"

PY=""
for py in "${AUTOGRADER_PYTHON:-}" "$R/venv/bin/python" "$(command -v python3 || true)"; do
    if [ -n "$py" ] && [ -x "$py" ]; then PY="$py"; break; fi
done
if [ -z "${MNIST_DIR:-}" ] && [ -d "$R/data/mnist" ]; then export MNIST_DIR="$R/data/mnist"; fi

cd "$SRC" || exit 0
errors=$(mktemp)
mode="${AUTOGRADER_ISOLATION:-}"
problem=""
status=127
if [ -n "$PY" ]; then
    if [ "$mode" = process ]; then
        problem="the deployment set AUTOGRADER_ISOLATION=process"
    elif [ -z "$mode" ]; then
        problem=$("$PY" -c 'import sys; from grader.isolation import bwrap_problem; print(bwrap_problem(sys.executable) or "")' 2>&1) \
            || problem="the bwrap probe failed: $problem"
        if [ -z "$problem" ]; then mode=auto; else mode=process; fi
    fi
    echo "run_autograder: grader from $SRC/grader, python $PY, isolation $mode${problem:+ ($problem)}"
    "$PY" -m grader grade "$R/submission" --out "$OUT" --rubric "$SRC/rubric.toml" --isolation "$mode" 2> >(tee "$errors" >&2)
    status=$?
    wait  # for tee
    "$PY" - "$OUT" "$status" "$mode" "$problem" "$errors" <<'EOF'
import json, os, re, sys, tempfile
out, status, mode, problem, errors = sys.argv[1:6]
path = os.path.join(out, "results.json")

def inert(text, limit=300):
    return re.sub(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]", " ", text)[:limit].strip()

try:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if not isinstance(doc, dict) or not ("score" in doc or "tests" in doc):
        raise ValueError("not a Gradescope result")
except (OSError, ValueError):
    try:
        with open(errors, encoding="utf-8", errors="replace") as f:
            said = [line for line in f.read().splitlines() if line.startswith("grader grade: error:")]
    except OSError:
        said = []
    why = ("The grader refused to grade: " + inert(said[-1].split("error:", 1)[1]) + ". ") if status == "2" and said else ""
    doc = {"score": 0, "execution_time": 0, "tests": [],
           "output": f"The autograder failed and could not grade this submission (exit status {status}). {why}"
                     "The score of 0 is a placeholder, not a judgement of your code: tell the course staff."}
else:
    if mode == "process":
        layers = doc.get("isolation_layers") if isinstance(doc.get("isolation_layers"), dict) else {}
        held = [text for key, text in (("uid_separation", "under a user id of its own"),
                                       ("seccomp", "with a seccomp filter (no sockets, no ptrace, no namespaces)"),
                                       ("landlock", "with Landlock file rules (only its own files)")) if layers.get(key)]
        doc["output"] = (doc.get("output") or "").rstrip() + (
            f"\nThis grading ran with process isolation, not in bubblewrap's namespaces ({inert(problem)}). "
            + (f"Your code ran {', '.join(held)}. " if held else "")
            + "Before it ran, the grader checked that a process with the same restrictions could open neither the "
            "reference solution nor the rubric.")
doc.setdefault("visibility", "visible")
doc.setdefault("stdout_visibility", "hidden")
fd, tmp = tempfile.mkstemp(dir=out, prefix=".results.", suffix=".tmp")
with os.fdopen(fd, "w", encoding="utf-8") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
os.chmod(tmp, 0o644)
os.replace(tmp, path)
EOF
fi
rm -f "$errors"
if [ ! -s "$OUT/results.json" ]; then  # no python at all, or the post-processing failed
    printf '%s\n' '{"score": 0, "execution_time": 0, "tests": [], "visibility": "visible", "stdout_visibility": "hidden", "output": "The autograder failed and could not grade this submission. The score of 0 is a placeholder, not a judgement of your code: tell the course staff."}' > "$OUT/.results.json.tmp"
    mv -f "$OUT/.results.json.tmp" "$OUT/results.json"
fi
echo "run_autograder: grader exit status $status; wrote $OUT/results.json"
exit 0
"""

BUNDLE_README = """# Autograder bundle (secret)

Built by `grader dist gradescope`. It holds the reference solution and the rubric's secret seed:
never publish it. setup.sh and run_autograder follow Gradescope's autograder specification.
"""


class GradescopeError(RuntimeError):
    """The bundle cannot be built; the message says why."""


def fresh_seed(public):
    """A secret seed of SEED_BYTES bytes from `secrets` (as an int), never the public one."""
    while True:
        seed = int.from_bytes(secrets.token_bytes(SEED_BYTES), "big")
        if seed != public:
            return seed


def seed_text(seed):
    """A seed as the rubric writes it: a TOML string "0x" + 64 hex digits (TOML integers stop at 64 bits)."""
    return f'"0x{seed:0{2 * SEED_BYTES}x}"'


def secret_rubric(rubric_file, seed):
    """The rubric's text with its `seed` line replaced by `seed` (written by seed_text)."""
    text = Path(rubric_file).read_text(encoding="utf-8")
    text, count = SEED_LINE.subn(lambda _: f"seed = {seed_text(seed)}  # SECRET: 256 bits, written by `grader dist gradescope`", text)
    if count != 1:
        raise GradescopeError(f"{rubric_file}: expected one top-level `seed = N` line, found {count}")
    return text


def write_secret_rubric(path, rubric_file=RUBRIC_FILE):
    """Write path (mode 600; it must not exist): rubric_file with a fresh 256-bit seed. Returns the text.
    What every deployment grades with: `grader dist gradescope` bundles it, `grader dist secret-rubric` writes
    it alone (for `grade-class` after a GitHub Classroom deadline, say)."""
    public = load_rubric(rubric_file)  # refuse a bad rubric before writing anything
    seed = fresh_seed(public.seed)
    text = secret_rubric(rubric_file, seed)
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        raise GradescopeError(f"{path} exists: a new secret rubric draws a new seed, so remove the old one first "
                              "(or choose another path)") from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    secret = load_rubric(path)
    if secret.seed != seed or not secret.strong_seed:
        raise GradescopeError("the secret seed did not survive the rubric's rewrite")
    return text


def package_files(root=PACKAGE_DIR):
    """(path, name in the zip) of every file of the grader package, caches left out."""
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and "__pycache__" not in rel.parts and path.suffix not in (".pyc", ".pyo"):
            yield path, f"grader/{rel.as_posix()}"


def add(archive, name, data, mode=0o644):
    info = zipfile.ZipInfo(name, date_time=EPOCH)
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def build(out_dir, rubric_file=RUBRIC_FILE, reference=REFERENCE_DIR):
    """Write out_dir/autograder.zip (and out_dir/rubric.toml, the secret rubric). Returns the zip's path."""
    out_dir = Path(out_dir)
    target = out_dir / ZIP_NAME
    if target.exists():
        raise GradescopeError(f"{target} exists: a rebuild draws a new secret seed, so remove the old one first "
                              "(or choose another --out)")
    # refuse a bad rubric, or one naming a check or group the grader lacks, before writing anything
    catalog.validate(load_rubric(rubric_file))
    out_dir.mkdir(parents=True, exist_ok=True)
    kept = out_dir / "rubric.toml"
    kept.unlink(missing_ok=True)
    rubric_text = write_secret_rubric(kept, rubric_file)
    tmp = target.with_name(f".{ZIP_NAME}.tmp")
    with zipfile.ZipFile(tmp, "w") as archive:
        add(archive, "setup.sh", SETUP_SH, 0o755)
        add(archive, "run_autograder", RUN_AUTOGRADER, 0o755)
        add(archive, "rubric.toml", rubric_text, 0o600)
        add(archive, "pyproject.toml", (PROJECT_DIR / "pyproject.toml").read_bytes())
        add(archive, "README.md", BUNDLE_README)
        for path in sorted(Path(reference).glob("*.py")):
            add(archive, f"reference/{path.name}", path.read_bytes())
        for path, name in package_files():
            add(archive, name, path.read_bytes())
    tmp.chmod(0o600)
    tmp.replace(target)
    return target


def main(args):
    """`grader dist gradescope`: build, then say where the secret seed is."""
    from . import exits
    from .rubric import RubricError
    t0 = time.monotonic()
    try:
        target = build(args.out, getattr(args, "rubric", None) or RUBRIC_FILE)
    except (GradescopeError, RubricError) as exc:
        print(f"grader dist gradescope: error: {exc}", file=sys.stderr)
        return exits.USAGE
    except OSError as exc:
        print(f"grader dist gradescope: error: cannot write {args.out}: {exc}", file=sys.stderr)
        return exits.USAGE
    print(f"wrote {target} in {time.monotonic() - t0:.1f} s. Upload it as the assignment's autograder (Gradescope: "
          "Configure Autograder, Zip file upload).")
    print(f"grader: WARNING: {target} is SECRET: it holds the reference solution and a fresh secret rubric seed "
          f"(its rubric.toml). Never publish or commit it. The same secret rubric is kept in "
          f"{Path(args.out) / 'rubric.toml'} (mode 600): use it with --rubric to regrade with the same scores.",
          file=sys.stderr)
    return exits.OK


def cli(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grader.dist_gradescope", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="where to write autograder.zip")
    parser.add_argument("--rubric", type=Path, default=RUBRIC_FILE, help="the rubric to deploy with a fresh secret seed")
    return main(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(cli())
