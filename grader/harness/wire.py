"""Values across the process boundary: .npz arrays (allow_pickle=False) and JSON, never pickle.

encode() runs in the student process; decode() runs in the grader and trusts nothing.
"""

import json
import math
import os

import numpy as np

MAX_JSON_BYTES = 1 << 20
MAX_NPZ_BYTES = 256 << 20
NUMERIC_KINDS = "biuf"


def describe(value):
    """A short type description for feedback, e.g. 'ndarray float64 (3, 4)' or 'list'."""
    if isinstance(value, np.ndarray):
        return f"ndarray {value.dtype} {value.shape}"
    return type(value).__name__


def flatten(name, value, arrays, meta):
    """Split a returned value into arrays (numeric ndarrays) and JSON metadata.

    Tuples/lists/dicts recurse with names like "result.0" or "result.W1".
    Python and NumPy scalars become 0-d arrays; their Python type is recorded.
    Anything else is recorded by type name only, so the grader can say what came back.
    """
    if isinstance(value, (tuple, list)):
        meta[name] = {"container": type(value).__name__, "length": len(value)}
        for i, item in enumerate(value):
            flatten(f"{name}.{i}", item, arrays, meta)
    elif isinstance(value, dict):
        keys = [k for k in value if isinstance(k, str)]
        meta[name] = {"container": "dict", "keys": sorted(keys)}
        for k in keys:
            flatten(f"{name}.{k}", value[k], arrays, meta)
    elif type(value) is np.ndarray and value.dtype.kind in NUMERIC_KINDS:
        arrays[name] = np.array(value, copy=True)
        meta[name] = {"type": "ndarray"}
    elif isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating)) and not isinstance(value, np.ndarray):
        arrays[name] = np.asarray(value)
        meta[name] = {"type": "bool" if isinstance(value, (bool, np.bool_)) else type(value).__name__}
    else:
        meta[name] = {"type": "other", "description": describe(value)}


def encode(path_stem, outputs, status):
    """Write outputs (dict name -> value) and status (JSON-able dict) beside path_stem."""
    arrays, meta = {}, {}
    for name, value in outputs.items():
        flatten(name, value, arrays, meta)
    np.savez(path_stem + ".npz", **arrays)
    with open(path_stem + ".json", "w") as f:
        json.dump({"status": status, "meta": meta}, f)


class WireError(ValueError):
    """The student process wrote something that is not a plain numeric result."""


def decode(path_stem):
    """Read a result written by encode(). Returns (status, meta, arrays). Raises WireError."""
    json_path, npz_path = path_stem + ".json", path_stem + ".npz"
    if not os.path.isfile(json_path):
        raise WireError("no result was written")
    if os.path.getsize(json_path) > MAX_JSON_BYTES:
        raise WireError("the result description is larger than allowed")
    with open(json_path, encoding="utf-8") as f:
        try:
            doc = json.load(f, parse_constant=lambda c: math.nan)
        except ValueError as exc:
            raise WireError(f"the result description is not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("status"), dict) or not isinstance(doc.get("meta"), dict):
        raise WireError("the result description has the wrong structure")
    arrays = {}
    if os.path.isfile(npz_path):
        if os.path.getsize(npz_path) > MAX_NPZ_BYTES:
            raise WireError("the returned arrays are larger than allowed")
        try:
            with np.load(npz_path, allow_pickle=False) as npz:
                for key in npz.files:
                    a = npz[key]
                    if a.dtype.kind not in NUMERIC_KINDS:
                        raise WireError(f"{key} has non-numeric dtype {a.dtype}")
                    arrays[key] = a
        except WireError:
            raise
        except Exception as exc:  # a corrupted or forged file
            raise WireError(f"the returned arrays could not be read ({type(exc).__name__})") from None
    return doc["status"], doc["meta"], arrays
