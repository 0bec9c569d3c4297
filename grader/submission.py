"""Find a submission's modules in a folder or a .zip, at the top level or under assignment/."""

import os
import re
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .contract import MODULES

MAX_ZIP_BYTES = 50 << 20  # uncompressed, all members together
MAX_DEPTH = 64  # folders in folders below a submission's top: deeper is refused (no plausible submission nests so deep)


class SubmissionError(ValueError):
    """The path cannot be graded at all (not found, not a folder or zip, unsafe zip)."""


@dataclass(frozen=True)
class Submission:
    name: str  # e.g. "reference" or "alice" (from the folder or zip name)
    root: Path  # the folder that holds the modules
    modules: dict  # module name -> Path of the .py file, for the modules present
    workdir: Path | None = None  # where a .zip was unpacked (removed by cleanup); None for a folder

    @property
    def missing(self):
        return tuple(m for m in MODULES if m not in self.modules)


def shown(path):
    """A path as text that any file, terminal or report can hold: bytes of a file name that are not UTF-8 (which
    Python keeps as lone surrogates) are written as \\xNN."""
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")


def walk(root, shown_as, max_depth=MAX_DEPTH):
    """(folder, entries) for root and every folder below it, without recursion and without following links
    (an os.walk recurses once per level). entries: os.DirEntry of the folder, sorted by name.
    Raises SubmissionError for a folder deeper than max_depth below root, or one that cannot be read."""
    stack = [(Path(root), 0)]
    while stack:
        folder, depth = stack.pop()
        if depth > max_depth:
            where = shown(folder.relative_to(root))
            where = where if len(where) <= 120 else where[:120] + "..."
            raise SubmissionError(f"{shown(shown_as)}: {where} lies more than {max_depth} folders deep; "
                                  "submit the assignment's files, without folders nested that deep")
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: os.fsencode(e.name))
        except OSError as exc:
            raise SubmissionError(f"{shown(shown_as)}: {shown(folder)} cannot be read ({exc.strerror or exc})") from None
        yield folder, entries
        stack.extend((Path(e.path), depth + 1) for e in reversed(entries) if e.is_dir(follow_symlinks=False))


def submission_name(path):
    stem = Path(path).resolve().name
    stem = stem[:-4] if stem.endswith(".zip") else stem
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", stem) or "submission"


def module_folder(root):
    """The folder among root, root/assignment (and a single wrapping folder) that holds the most modules."""
    candidates = [root, root / "assignment"]
    children = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "__"))] if root.is_dir() else []
    if len(children) == 1:
        candidates += [children[0], children[0] / "assignment"]
    def count(folder):
        return sum((folder / f"{m}.py").is_file() for m in MODULES)
    return max(candidates, key=count)


def safe_extract(zip_path, dest):
    """Extract a zip, refusing absolute paths, '..', links, folders nested deeper than MAX_DEPTH and archives
    that unpack too large."""
    try:
        archive = zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile:
        raise SubmissionError(f"{shown(zip_path)} is not a valid .zip file") from None
    with archive:
        total = 0
        for info in archive.infolist():
            target = (dest / info.filename).resolve()
            if not str(target).startswith(str(dest.resolve())):
                raise SubmissionError(f"{shown(zip_path)}: member {info.filename!r} would be written outside the submission")
            if len(PurePosixPath(info.filename).parts) > MAX_DEPTH + 1:
                raise SubmissionError(f"{shown(zip_path)}: member {shown(info.filename[:200])}... lies more than {MAX_DEPTH} folders deep; "
                                      "submit the assignment's files, without folders nested that deep")
            total += info.file_size
            if total > MAX_ZIP_BYTES:
                raise SubmissionError(f"{shown(zip_path)} unpacks to more than {MAX_ZIP_BYTES >> 20} MB")
            kind = (info.external_attr >> 16) & 0o170000
            if kind == 0o120000:
                raise SubmissionError(f"{shown(zip_path)}: member {info.filename!r} is a symbolic link; submit regular files only")
            if kind not in (0, 0o100000, 0o040000):
                raise SubmissionError(f"{shown(zip_path)}: member {info.filename!r} is a special file; submit regular files only")
        archive.extractall(dest)


def refuse_special_files(root, shown_as):
    """Raise SubmissionError naming the first symlink, device, pipe or socket anywhere under root, or a folder
    nested deeper than MAX_DEPTH (walk)."""
    root = Path(root)
    for _folder, entries in walk(root, shown_as):
        for entry in entries:
            mode = entry.stat(follow_symlinks=False).st_mode
            where = shown(Path(entry.path).relative_to(root))
            if stat.S_ISLNK(mode):
                raise SubmissionError(f"{shown(shown_as)}: {where} is a symbolic link; submit regular files only")
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                raise SubmissionError(f"{shown(shown_as)}: {where} is a special file (device, pipe or socket); "
                                      "submit regular files only")


def open_submission(path, workdir=None):
    """Locate the modules of the submission at path (a folder or a .zip).

    A .zip is unpacked into workdir (a fresh temporary folder when None); the
    caller removes it with cleanup(). Raises SubmissionError when nothing can be graded.
    """
    path = Path(path)
    if not path.exists():
        raise SubmissionError(f"{shown(path)} does not exist")
    if path.is_file():
        if path.suffix != ".zip":
            raise SubmissionError(f"{shown(path)} is neither a folder nor a .zip file")
        workdir = Path(workdir or tempfile.mkdtemp(prefix="grader-zip-"))
        try:
            safe_extract(path, workdir)
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        root = workdir
    else:
        root = path
    refuse_special_files(root, path)
    folder = module_folder(root)
    modules = {m: folder / f"{m}.py" for m in MODULES if (folder / f"{m}.py").is_file() and not (folder / f"{m}.py").is_symlink()}
    return Submission(submission_name(path), folder, modules, workdir if path.is_file() else None)


def cleanup(submission):
    """Remove the folder a .zip was unpacked into; a folder submission is left alone."""
    if submission.workdir is not None:
        shutil.rmtree(submission.workdir, ignore_errors=True)
