"""Build the student kit: DIR/ and DIR.zip, publishable as they are.

    DIR/
      README.md        how to set up, self-check and submit
      dev              ./dev check [PATH] [ARGS], ./dev package [PATH] [--out FILE]
      assignment/      the skeleton (the same text `grader skeleton` writes)
      checker/         the self-check: grader/dist/kit/*.py, the pure modules in COPIED,
                       checks.json (the visible checks) and checks.npz (their public inputs and
                       the reference's values on them; plain arrays, no pickle)

Nothing of reference/ is copied: its values reach the kit only as numbers on the kit's own inputs.
"""

import hashlib
import json
import os
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import skeleton
from ..checks import catalog
from . import specs

GRADER_DIR = Path(__file__).resolve().parent.parent
KIT_SOURCE = Path(__file__).resolve().parent / "kit"
TEMPLATES = Path(__file__).resolve().parent / "templates"
COPIED = {  # path in checker/ -> the grader's pure module it is copied from (NumPy and the standard library only)
    "compare.py": GRADER_DIR / "checks" / "compare.py",
    "hints.py": GRADER_DIR / "checks" / "hints.py",
    "wire.py": GRADER_DIR / "harness" / "wire.py",
    "aliases.py": GRADER_DIR / "harness" / "aliases.py",
    "contract.py": GRADER_DIR / "harness" / "contract.py",
    "training.py": GRADER_DIR / "harness" / "training.py",
    "train_config.py": GRADER_DIR / "harness" / "train_config.py",
    "data/errors.py": GRADER_DIR / "data" / "errors.py",
    "data/sources.py": GRADER_DIR / "data" / "sources.py",
    "data/locate.py": GRADER_DIR / "data" / "locate.py",
    "data/idx.py": GRADER_DIR / "data" / "idx.py",
    "data/digits.py": GRADER_DIR / "data" / "digits.py",
}
DATA_PACKAGE_DOC = '"""MNIST and digits readers, copied from the course grader."""\n'


@dataclass(frozen=True)
class Kit:
    folder: Path
    archive: Path
    checks: int  # visible checks in the kit, the data checks included


def digest(named):
    """A content hash of {name: array}: names, dtypes, shapes and bytes."""
    h = hashlib.sha256()
    for k, a in sorted(named.items()):
        a = np.ascontiguousarray(a)
        h.update(f"{k}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def manifest_and_arrays(checks, data):
    """(checks.json document, {npz key: array}) of the kit's checks. Arrays: c{i}.p{j}.in.NAME and c{i}.p{j}.ref.NAME;
    a probe whose inputs (or expected values) equal an earlier probe's names that probe's prefix in "inputs_at"
    ("expected_at") instead of storing them again (the forward checks share their probes)."""
    entries, arrays, stored = [], {}, {}

    def store(prefix, named):
        named = {k: np.asarray(v) for k, v in named.items()}
        key = digest(named)
        if key not in stored:
            stored[key] = prefix
            arrays.update({f"{prefix}{k}": v for k, v in named.items()})
        return stored[key]
    for i, c in enumerate(checks):
        probes = []
        for j, p in enumerate(c.probes):
            entry = {"probe": p.probe, "spec": p.spec, "expected": None, "inputs_at": store(f"c{i}.p{j}.in.", p.inputs)}
            if p.expected is not None:
                entry["expected"], values = p.expected
                entry["expected_at"] = store(f"c{i}.p{j}.ref.", values)
            probes.append(entry)
        entries.append({"id": c.id, "name": c.name, "group": c.group, "hint": c.hint, "advice": c.advice, "kind": c.kind, "params": c.params,
                        "needs": list(c.needs), "depends_on": list(c.depends_on), "points": c.points, "timeout": c.timeout,
                        "probes": probes, "kind_hints": dict(c.kind_hints or {}), "requires": list(c.requires), "withheld": c.withheld,
                        "requires_any": c.requires_any})
    return {"kit_seed": specs.KIT_SEED, "checks": entries, **data}, arrays


def write_checker(dest, checks, data, data_arrays):
    """checker/: the kit's own modules, the copied pure modules, checks.json and checks.npz."""
    dest.mkdir(parents=True)
    (dest / "data").mkdir()
    for src in sorted(KIT_SOURCE.glob("*.py")):
        shutil.copyfile(src, dest / src.name)
    for name, src in COPIED.items():
        shutil.copyfile(src, dest / name)
    (dest / "data" / "__init__.py").write_text(DATA_PACKAGE_DOC)
    manifest, arrays = manifest_and_arrays(checks, data)
    arrays.update(data_arrays)
    (dest / "checks.json").write_text(json.dumps(manifest, indent=1) + "\n")
    for key, a in arrays.items():
        if a.dtype.kind not in "biuf":
            raise specs.DistError(f"{key}: dtype {a.dtype} cannot be stored without pickle")
    np.savez_compressed(dest / "checks.npz", **arrays)


def write_zip(folder, archive):
    """archive (a .zip) holding folder/ under its own name, files in sorted order, the exec bit kept."""
    tmp = archive.with_name(f".{archive.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo(f"{folder.name}/{path.relative_to(folder).as_posix()}", date_time=(2024, 1, 1, 0, 0, 0))
                info.external_attr = (stat.S_IFREG | (0o755 if os.access(path, os.X_OK) else 0o644)) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, path.read_bytes())
    os.replace(tmp, archive)
    return archive


def readme_text(kit_name, count, data):
    """The student README: templates/README.md with the kit's name and the rubric's training figures."""
    training = data.get("training", {})
    mnist, digits = training.get("mnist", {}), training.get("digits", {})
    values = {"KIT": kit_name, "CHECKS": str(count), "EPOCHS": str(mnist.get("epochs", "?")),
              "THRESHOLD": f"{mnist.get('threshold', 0):g}", "DIGITS_EPOCHS": str(digits.get("epochs", "?")),
              "DIGITS_THRESHOLD": f"{digits.get('threshold', 0):g}"}
    text = (TEMPLATES / "README.md").read_text()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


@dataclass(frozen=True)
class Contents:
    """What the kit's checker holds, computed from the rubric and reference/ (the slow part of a build)."""
    checks: list  # of specs.KitCheck: the visible unit checks
    data: dict  # manifest entries of the training and performance checks (those visible)
    data_arrays: dict  # their arrays


def kit_contents(rubric, reference_dir):
    """The kit's checks, with the reference's values on the kit's public inputs (RubricError for a rubric
    that names anything the catalog lacks)."""
    catalog.validate(rubric)
    checks = specs.kit_checks(rubric, Path(reference_dir))
    data, data_arrays = specs.data_checks(rubric, specs.load_reference(Path(reference_dir)))
    return Contents(checks, data, data_arrays)


def build_kit_folder(out, rubric, reference_dir, progress=lambda msg: None, finish=None, contents=None):
    """Write the kit folder out/ (which must not exist) through a temporary folder renamed at the end.

    finish(folder, groups): adds files to the folder before the rename; groups are the rubric groups
    of the kit's checks, in the kit's order. contents: kit_contents(rubric, reference_dir), when
    already computed. Returns the number of visible checks."""
    out = Path(out)
    catalog.validate(rubric)  # RubricError before anything is written: a misspelled id must never publish a hidden check
    if out.exists():
        raise specs.DistError(f"{out} already exists; remove it or choose another --out")
    if contents is None:
        progress("computing the reference's values on the kit's public inputs")
        contents = kit_contents(rubric, reference_dir)
    checks, data = contents.checks, contents.data
    tmp = out.with_name(f".{out.name}.building")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        progress(f"writing {out}")
        skeleton.generate(reference_dir, tmp / "assignment")
        write_checker(tmp / "checker", checks, data, contents.data_arrays)
        (tmp / "README.md").write_text(readme_text(out.name, len(checks) + len(data), data))
        shutil.copyfile(TEMPLATES / "dev", tmp / "dev")
        (tmp / "dev").chmod(0o755)
        if finish:
            finish(tmp, kit_groups(checks, data))
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return len(checks) + len(data)


def kit_groups(checks, data):
    """The rubric groups of the kit's checks, in order, each once: the unit checks', then training and performance."""
    groups = [c.group for c in checks] + [g for g in ("training", "performance") if g in data]
    return tuple(dict.fromkeys(groups))


def build_student_kit(out, rubric, reference_dir, progress=lambda msg: None, contents=None):
    """Write the kit folder out/ and out.zip. out must not exist yet. Returns a Kit."""
    out = Path(out)
    count = build_kit_folder(out, rubric, reference_dir, progress, contents=contents)
    archive = write_zip(out, out.with_name(out.name + ".zip"))
    return Kit(out, archive, count)
