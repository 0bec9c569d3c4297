"""`grader package [PATH] [--out FILE]`: zip the student's work for submission (standard library only).

PATH is the assignment folder (default assignment/), or a folder holding assignment/. The zip gets
every .py file under it, and README or notes files, under assignment/ (as the grader reads it).
It is refused, with every reason at once, when a module is missing, or when the folder holds a
symlink or special file, a file over 1 MB, any other kind of file, a name that is not UTF-8, or folders nested
more than MAX_DEPTH deep (as the grader refuses them). __pycache__ is left out.
"""

import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

MODULES = ("activations", "softmax", "perceptron", "two_layer_net", "optimizer")  # the grader's contract
MAX_FILE_BYTES = 1 << 20  # 1 MB per file
NOTE_STEMS = ("readme", "notes")  # README.md, notes.txt, NOTES ... may travel with the code
NOTE_SUFFIXES = ("", ".md", ".txt", ".rst")
SKIPPED_DIRS = ("__pycache__",)
ARCHIVE_FOLDER = "assignment"
MAX_DEPTH = 64  # folders in folders below the assignment folder: the grader refuses a submission nested deeper


class PackageError(ValueError):
    """The folder cannot be packed as it is; the message lists every reason and what to do."""


@dataclass(frozen=True)
class Plan:
    root: Path  # the folder whose files are packed
    files: tuple  # of (name inside the zip, Path, bytes)


def module_folder(path):
    """The folder holding the modules: path itself, or path/assignment when the modules are there."""
    path = Path(path)
    if not any((path / f"{m}.py").exists() for m in MODULES) and (path / ARCHIVE_FOLDER).is_dir():
        return path / ARCHIVE_FOLDER
    return path


def is_note(name):
    stem, suffix = os.path.splitext(name.lower())
    return stem in NOTE_STEMS and suffix in NOTE_SUFFIXES


def problem_with(path, relative, info):
    """Why one entry may not be packed, or ''."""
    if stat.S_ISLNK(info.st_mode):
        return f"{relative} is a symlink; replace it with the file itself"
    if stat.S_ISDIR(info.st_mode):
        return ""
    if not stat.S_ISREG(info.st_mode):
        return f"{relative} is not a regular file (a device, pipe or socket); remove it"
    if info.st_size > MAX_FILE_BYTES:
        return f"{relative} is {info.st_size / (1 << 20):.1f} MB, over the {MAX_FILE_BYTES >> 20} MB limit per file; remove it"
    if not (path.suffix == ".py" or is_note(path.name)):
        return f"{relative} is neither a .py file nor a README or notes file; move it out of the folder"
    return ""


def walk(root):
    """(folder, depth, dirs, names) top-down, as os.walk(root) gives (folder, dirs, names), without recursion (os.walk
    recurses once per level on Python < 3.12) and never into a linked folder; the caller may prune dirs in place."""
    stack = [(Path(root), 0)]
    while stack:
        folder, depth = stack.pop()
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: os.fsencode(e.name))
        dirs = [e.name for e in entries if e.is_dir()]
        names = [e.name for e in entries if not e.is_dir()]
        yield folder, depth, dirs, names
        stack.extend((folder / d, depth + 1) for d in reversed(dirs) if not (folder / d).is_symlink())


def shown(path):
    """A path with the bytes of a name that is not UTF-8 written as \\xNN (a zip cannot hold such a name)."""
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")


def not_utf8(name):
    try:
        name.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


def plan(path, out=None):
    """What would be packed from path: a Plan. Raises PackageError listing every problem."""
    path = Path(path)
    if not path.is_dir():
        raise PackageError(f"{path} is not a folder; give the folder holding your {', '.join(m + '.py' for m in MODULES)}")
    root = module_folder(path)
    out = Path(out).resolve() if out else None
    files, problems = [], []
    for folder, depth, dirs, names in walk(root):
        for d in list(dirs):
            if d in SKIPPED_DIRS:
                dirs.remove(d)
            elif (folder / d).is_symlink():
                problems.append(f"{shown((folder / d).relative_to(root))} is a symlink; replace it with the folder itself")
                dirs.remove(d)
            elif not_utf8(d):
                problems.append(f"{shown((folder / d).relative_to(root))} has a name that is not UTF-8; rename it")
                dirs.remove(d)
        if dirs and depth >= MAX_DEPTH:
            problems.append(f"{shown(folder.relative_to(root))} holds folders more than {MAX_DEPTH} levels deep; remove them")
            dirs.clear()
        for name in sorted(names):
            entry = folder / name
            if not_utf8(name):
                problems.append(f"{shown(entry.relative_to(root))} has a name that is not UTF-8; rename it")
                continue
            if out is not None and entry.resolve() == out:
                continue  # the zip being written, inside the folder
            relative = entry.relative_to(root)
            info = entry.lstat()
            problem = problem_with(entry, relative, info)
            if problem:
                problems.append(problem)
            else:
                files.append((f"{ARCHIVE_FOLDER}/{relative.as_posix()}", entry, info.st_size))
    missing = [m for m in MODULES if not (root / f"{m}.py").is_file() or (root / f"{m}.py").is_symlink()]
    if missing:
        problems.insert(0, f"{root} lacks {', '.join(m + '.py' for m in missing)}; every module of the assignment must be there")
    if problems:
        raise PackageError("cannot package " + str(root) + ":\n  - " + "\n  - ".join(problems))
    return Plan(root, tuple(sorted(files)))


def write_zip(plan, out):
    """Write the plan's files into the zip out, through a temporary file and a rename. Returns out."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, path, _ in plan.files:
                archive.write(path, name)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out


def describe(plan, out):
    """What was packed, for the terminal."""
    lines = [f"packed {len(plan.files)} file(s) from {plan.root} into {out}:"]
    lines += [f"  {name}  ({size:,} bytes)" for name, _, size in plan.files]
    return "\n".join(lines)


def add_arguments(parser, default_path):
    parser.add_argument("path", type=Path, nargs="?", default=default_path,
                        help=f"your assignment folder, or a folder holding assignment/ (default: {default_path})")
    parser.add_argument("--out", type=Path, default=Path("submission.zip"), metavar="FILE",
                        help="the zip to write (default: submission.zip in the current folder)")


def main(args, prog="grader package"):
    """Pack args.path into args.out. Returns 0, or 2 with the reasons on stderr."""
    import sys
    try:
        p = plan(args.path, args.out)
        out = write_zip(p, args.out)
    except PackageError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{prog}: error: cannot write {args.out}: {exc}", file=sys.stderr)
        return 2
    print(describe(p, out))
    return 0
