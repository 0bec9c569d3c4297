"""A class of submissions: who is in it, under which folder name, in which shard, and when a grade can be reused.

SUBMISSIONS is either a folder of submissions (zips and folders, mixed: every entry not
starting with "." is one submission, so nothing is ever dropped silently), or a Gradescope
"Export submissions" archive (a .zip or its unpacked folder): `submission_metadata.yml` beside
one folder `submission_<id>/` per submission, the metadata mapping each folder to

    submission_123:
      :submitters:
      - :name: Alice Smith
        :email: alice@example.edu
        :sid: '1001'

Everything here is pure except discover(), extract_export() and content_digest(), which read files.
"""

import hashlib
import json
import os
import re
import stat
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from .contract import MODULES
from .inert import clean
from .submission import MAX_DEPTH, shown, submission_name, walk

METADATA = "submission_metadata.yml"
RESERVED = frozenset({"class_figures"})  # folder names of the class report itself: never a student's
MAX_EXPORT_BYTES = 4 << 30  # uncompressed size of a whole Gradescope export


class ClassError(ValueError):
    """SUBMISSIONS cannot be read as a class at all. The message says what to do."""


@dataclass(frozen=True)
class Submitter:
    name: str = ""
    email: str = ""
    sid: str = ""


@dataclass(frozen=True)
class Entry:
    """One submission of the class."""

    source: str  # where it came from, as shown: its path inside SUBMISSIONS
    path: Path  # the zip or folder to grade
    submitters: tuple = ()  # of Submitter, from Gradescope's metadata (empty for a plain folder)
    problem: str = ""  # why it cannot be graded, known before grading ("" when none)
    student: str = ""  # its unique folder name in the report, set by name_entries()

    @property
    def base_name(self):
        """The folder name it would like: the first submitter's name, email or sid, else the file's name."""
        for s in self.submitters:
            for text in (s.name, s.email.split("@")[0], s.sid):
                if slug(text):
                    return slug(text)
        return slug(submission_name(self.path) if self.path.name else self.source)

    def identity(self, field):
        """One field (name, email or sid) of every submitter, joined by "; "."""
        return "; ".join(getattr(s, field) for s in self.submitters if getattr(s, field))


def slug(text):
    """A lower-case folder name of letters, digits, '_' and '-' ("" when nothing is left)."""
    return re.sub(r"[^a-z0-9_]+", "-", str(text).lower()).strip("-_")


# -- naming and sharding -------------------------------------------------------------


def unique_names(bases):
    """One distinct folder name per base name, in order: a repeated name gets -2, -3, ...

    A name that some entry has as its own base is never given to another entry, and reserved
    names are never given at all, so the result depends only on the list.
    """
    taken = set(RESERVED)
    wanted = set(bases)
    names = []
    for base in bases:
        base = base or "student"
        name, n = base, 1
        while name in taken or (n > 1 and name in wanted):
            n += 1
            name = f"{base}-{n}"
        taken.add(name)
        names.append(name)
    return names


def name_entries(entries):
    """The entries sorted by source, each given its unique student folder name."""
    ordered = sorted(entries, key=lambda e: e.source)
    return [replace(e, student=name) for e, name in zip(ordered, unique_names([e.base_name for e in ordered]))]


def parse_shard(text):
    """"K/N" -> (K, N) with 1 <= K <= N; ValueError with a message otherwise."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise ValueError(f"--shard {text!r} must be K/N with 1 <= K <= N, e.g. 2/4 for the second of four shards")
    return int(match.group(1)), int(match.group(2))


def shard(entries, k, n):
    """The K-th of N deterministic slices: every N-th entry by student name, starting at the K-th."""
    return [e for i, e in enumerate(sorted(entries, key=lambda e: e.student)) if i % n == k - 1]


def class_digest(entries):
    """A short fingerprint of the whole class (every student name), so that merge can tell shards of one class."""
    return hashlib.sha256("\0".join(sorted(e.student for e in entries)).encode()).hexdigest()[:16]


# -- resume keys -------------------------------------------------------------------------


def content_digest(path):
    """SHA-256 of a submission's bytes: a file's content, or every entry of a folder
    (relative path, kind and content or link target, in sorted order; links are not followed)."""
    path = Path(path)
    h = hashlib.sha256()
    if not path.is_dir():
        h.update(b"file\0")
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    for _folder, entries in walk(path, path):  # SubmissionError for a folder nested too deep
        for e in entries:
            if e.is_dir(follow_symlinks=False):
                continue
            entry = Path(e.path)
            rel = os.fsencode(entry.relative_to(path).as_posix())  # a name's bytes as they are, UTF-8 or not
            mode = entry.lstat().st_mode
            if stat.S_ISLNK(mode):
                h.update(b"link\0" + rel + b"\0" + os.fsencode(os.readlink(entry)) + b"\0")
            elif stat.S_ISREG(mode):
                data = entry.read_bytes()
                h.update(b"file\0" + rel + b"\0" + str(len(data)).encode() + b"\0" + data)
            else:
                h.update(b"special\0" + rel + b"\0")
    return h.hexdigest()


def file_digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def resume_key(content, rubric, version, options):
    """The key under which a grade is reused: the submission's content digest, the rubric file's
    digest, the grader's version and the options that change a grade ({"only": ..., "dataset": ...})."""
    parts = {"content": content, "rubric": rubric, "version": version, "options": options}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


# -- Gradescope's metadata ---------------------------------------------------------------


def _loader():
    import yaml

    class Loader(yaml.SafeLoader):
        """SafeLoader that reads any tag (Ruby's `!ruby/object:...`) as the plain value under it."""

    def untagged(loader, suffix, node):
        if isinstance(node, yaml.MappingNode):
            return loader.construct_mapping(node, deep=True)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return loader.construct_scalar(node)

    Loader.add_multi_constructor("!", untagged)
    Loader.add_multi_constructor("tag:", untagged)
    return yaml, Loader


def _field(record, name):
    """record[':name'] (Gradescope writes Ruby symbols), or record['name']."""
    for key in (f":{name}", name):
        if isinstance(record, dict) and key in record:
            return record[key]
    return None


def parse_metadata(text, where=METADATA):
    """{folder name: tuple of Submitter} from the text of submission_metadata.yml."""
    yaml, Loader = _loader()
    try:
        doc = yaml.load(text, Loader=Loader)
    except yaml.YAMLError as exc:
        raise ClassError(f"{where} is not valid YAML ({str(exc).splitlines()[0]}); re-export the submissions from Gradescope") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise ClassError(f"{where} must map each submission folder to its submitters, got a {type(doc).__name__}")
    people = {}
    for folder, record in doc.items():
        submitters = _field(record, "submitters") or []
        if not isinstance(submitters, list):
            raise ClassError(f"{where}: {folder}: :submitters: must be a list, got {submitters!r}"[:300])
        people[str(folder)] = tuple(
            Submitter(*(clean(str(_field(s, key) or ""), 200).strip() for key in ("name", "email", "sid")))
            for s in submitters if isinstance(s, dict))
    return people


def export_root(folder):
    """The folder holding submission_metadata.yml: folder itself or its single subfolder; None if neither."""
    folder = Path(folder)
    if (folder / METADATA).is_file():
        return folder
    children = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "__"))]
    if len(children) == 1 and (children[0] / METADATA).is_file():
        return children[0]
    return None


def export_entries(root, refused=None):
    """The entries of an unpacked Gradescope export at root. Folders missing from the metadata are
    graded all the same; a metadata entry without its folder is listed, as a problem.
    refused: {folder name: why} for submissions whose files could not be unpacked."""
    root, refused = Path(root), refused or {}
    people = parse_metadata((root / METADATA).read_text(encoding="utf-8", errors="replace"), str(root / METADATA))
    folders = {p.name for p in root.iterdir() if not p.name.startswith(".") and p.name != METADATA}
    entries = []
    for name in sorted(folders | set(people)):
        path = root / name
        problem = refused.get(name, "")
        if name not in folders:
            problem = problem or f"listed in {METADATA} but absent from the export"
        elif not path.is_dir() and path.suffix != ".zip":
            problem = problem or f"{name} is neither a folder nor a .zip file"
        entries.append(Entry(shown(name), path, people.get(name, ()), problem))
    return entries


def folder_entries(folder):
    """Every entry of a plain folder of submissions (a non-zip file becomes an unreadable one, never dropped)."""
    return [Entry(shown(p.name), p) for p in sorted(Path(folder).iterdir()) if not p.name.startswith(".")]


def extract_export(archive, dest):
    """Unpack a Gradescope export .zip into dest. Returns {submission folder path (posix, relative
    to dest): why} for the members that were refused (links, special files): those submissions
    become unreadable, the others are unaffected. A member escaping dest is an error."""
    refused = {}
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile:
        raise ClassError(f"{archive} is not a valid .zip file") from None
    with zf:
        total = 0
        for info in zf.infolist():
            parts = PurePosixPath(info.filename).parts
            if info.filename.startswith("/") or ".." in parts:
                raise ClassError(f"{archive}: member {info.filename!r} would be written outside the export; refusing the archive")
            if len(parts) > MAX_DEPTH + 3:  # the export's folder, the submission's, then the submission's own
                refused[info.filename] = (f"{shown(info.filename[:120])}... lies more than {MAX_DEPTH} folders deep; "
                                          "submit the assignment's files")
                continue
            total += info.file_size
            if total > MAX_EXPORT_BYTES:
                raise ClassError(f"{archive} unpacks to more than {MAX_EXPORT_BYTES >> 30} GB; unpack it yourself and pass the folder")
            kind = (info.external_attr >> 16) & 0o170000
            if kind not in (0, 0o100000, 0o040000):
                what = "a symbolic link" if kind == 0o120000 else "a special file"
                refused[info.filename] = f"{info.filename} is {what}; submit regular files only"
                continue
            zf.extract(info, dest)
    return refused


def refused_by_folder(refused, dest, root):
    """extract_export's refusals keyed by the submission folder (first part under root) they belong to."""
    by_folder = {}
    for member, why in sorted(refused.items()):
        try:
            rel = (Path(dest) / member).relative_to(root)
        except ValueError:
            continue
        if len(rel.parts) > 1:
            by_folder.setdefault(rel.parts[0], why)
    return by_folder


def looks_like_one_submission(folder):
    """True when the folder holds the assignment's modules itself (a single submission, not a class)."""
    return any((Path(folder) / f"{m}.py").is_file() for m in MODULES)


def discover(submissions, workdir):
    """The named entries of SUBMISSIONS (a folder, an unpacked export, or an export .zip unpacked into workdir)."""
    submissions = Path(submissions)
    if not submissions.exists():
        raise ClassError(f"{submissions} does not exist; pass a folder of submissions or a Gradescope export")
    if submissions.is_file():
        if submissions.suffix != ".zip":
            raise ClassError(f"{submissions} is neither a folder nor a .zip; pass a folder of submissions or a Gradescope export")
        refused = extract_export(submissions, workdir)
        root = export_root(workdir)
        if root is None:
            raise ClassError(f"{submissions} is a .zip without {METADATA}, so not a Gradescope export; unpack it and pass "
                             "the folder, or grade one submission with `grader grade`")
        return name_entries(export_entries(root, refused_by_folder(refused, workdir, root)))
    root = export_root(submissions)
    if root is not None:
        return name_entries(export_entries(root))
    if looks_like_one_submission(submissions):
        raise ClassError(f"{submissions} holds the assignment's modules itself: it is one submission, not a class; "
                         "grade it with `grader grade`, or pass the folder that holds it")
    return name_entries(folder_entries(submissions))
