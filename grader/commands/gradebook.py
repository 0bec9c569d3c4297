"""`grader gradebook merge DIR... --out DIR`: combine the shards of `grader grade-class --shard K/N`.

Each DIR is one shard's --out. The merged --out gets one gradebook.csv, one class.md with its
figures, and every student's folder (copied, unless --out is one of the shards). The shards must
be all N of one class, each once; a student in two shards is an error.
"""

import json
import shutil
import sys
from pathlib import Path

from .. import exits, gradebook, report


def add_arguments(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    merge = sub.add_parser("merge", help="combine shards' gradebooks into one gradebook.csv and class.md",
                           description="combine shards' gradebooks into one gradebook.csv and class.md")
    merge.add_argument("shards", type=Path, nargs="+", metavar="DIR", help="the --out folder of each shard")
    merge.add_argument("--out", type=Path, required=True, help="where to write the merged gradebook.csv, class.md and student folders")


def read_shard(folder):
    """(rows, the shard's description or None) of one grade-class --out folder."""
    rows = gradebook.read_gradebook(Path(folder) / "gradebook.csv")
    try:
        described = json.loads((Path(folder) / "shard.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        described = None
    return rows, described


def merge(shards, out):
    """Merge the shard folders into out; returns the paths written. Raises GradebookError."""
    read = [(str(folder), *read_shard(folder)) for folder in shards]
    described = [(where, d) for where, _, d in read if isinstance(d, dict) and {"shard", "class"} <= set(d)]
    problem = gradebook.shard_problems(described) if len(described) == len(read) else ""
    if problem:
        raise gradebook.GradebookError(problem)
    rows = gradebook.merge_rows([(where, rows) for where, rows, _ in read])
    out.mkdir(parents=True, exist_ok=True)
    owner = {r.student: Path(where) for where, rows_, _ in read for r in rows_}
    for row in rows:
        source, target = owner[row.student] / row.student, out / row.student
        if source.is_dir() and source.resolve() != target.resolve():
            shutil.copytree(source, target, dirs_exist_ok=True)
    return [gradebook.write_gradebook(rows, out), gradebook.write_class_report(rows, out)]


def main(args):
    problem = report.unwritable(args.out)
    if problem:
        print(f"grader gradebook merge: error: cannot write to --out {args.out}: {problem}; choose another --out", file=sys.stderr)
        return exits.USAGE
    try:
        written = merge(args.shards, args.out)
    except gradebook.GradebookError as exc:
        print(f"grader gradebook merge: error: {exc}", file=sys.stderr)
        return exits.USAGE
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    return exits.OK
