"""Values across the process boundary: .npz bytes (allow_pickle=False) and JSON, never pickle.

encode() runs in the student process and returns what travels over the pipe;
decode() runs in the grader and trusts nothing: it checks the sizes written in
the zip headers before anything is inflated, and never unpickles.
"""

import io
import json
import math
import zipfile

import numpy as np

MAX_JSON_BYTES = 1 << 20  # one event line (status and metadata)
MAX_NPZ_BYTES = 256 << 20  # the arrays of one result, on the pipe
MAX_ARRAY_BYTES = 256 << 20  # all members of one result, uncompressed, as the zip headers declare them
MAX_MEMBERS = 4096
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


def encode(outputs):
    """(meta, npz bytes) for outputs (dict name -> value)."""
    arrays, meta = {}, {}
    for name, value in outputs.items():
        flatten(name, value, arrays, meta)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return meta, buffer.getvalue()


class WireError(ValueError):
    """The student process sent something that is not a plain numeric result."""


def parse_json(text):
    """A JSON document from untrusted text: bounded size, bounded nesting, NaN allowed."""
    if len(text) > MAX_JSON_BYTES:
        raise WireError("the result description is larger than allowed")
    try:
        return json.loads(text, parse_constant=lambda c: math.nan)
    except RecursionError:
        raise WireError("the result description is nested too deeply") from None
    except (ValueError, MemoryError) as exc:
        raise WireError(f"the result description is not valid JSON ({type(exc).__name__})") from None


def _check_zip(payload):
    """Refuse an archive whose declared members are too many or inflate too large."""
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise WireError("the returned arrays could not be read (not an .npz)") from None
    if len(infos) > MAX_MEMBERS:
        raise WireError(f"the result holds more than {MAX_MEMBERS} arrays")
    if sum(i.file_size for i in infos) > MAX_ARRAY_BYTES:
        raise WireError(f"the returned arrays inflate to more than {MAX_ARRAY_BYTES >> 20} MB")
    if any(i.compress_type != zipfile.ZIP_STORED for i in infos):
        raise WireError("the returned arrays are compressed; results are sent uncompressed")


def decode_arrays(payload):
    """{name: ndarray} from npz bytes written by encode(). Raises WireError."""
    if not payload:
        return {}
    if len(payload) > MAX_NPZ_BYTES:
        raise WireError("the returned arrays are larger than allowed")
    _check_zip(payload)
    arrays = {}
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as npz:
            for key in npz.files:
                a = npz[key]
                if a.dtype.kind not in NUMERIC_KINDS:
                    raise WireError(f"{key} has non-numeric dtype {a.dtype}")
                arrays[key] = a
    except WireError:
        raise
    except Exception as exc:  # a corrupted or forged archive
        raise WireError(f"the returned arrays could not be read ({type(exc).__name__})") from None
    return arrays


def decode(event, payload):
    """(status, meta, arrays) of a 'done' event and its payload. Raises WireError."""
    status, meta = event.get("status"), event.get("meta")
    if not isinstance(status, dict) or not isinstance(meta, dict):
        raise WireError("the result description has the wrong structure")
    return status, meta, decode_arrays(payload)
