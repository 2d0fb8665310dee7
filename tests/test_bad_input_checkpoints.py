"""Bad input to ``bp.save`` / ``bp.load``: a clear error naming the file (and
the key), and nothing changed -- no Variable, not the random key, no file.

Table-driven like ``test_bad_input.py``. Every case starts from a directory
holding a good checkpoint ``ok.npz`` of a fresh :class:`Holder` and the
broken files of :func:`_write_bad_files`; the act must fail. Afterwards
``assert_refused`` checks every Variable, the random key and every file
(names and bytes: the old checkpoint intact, no temporary file left).

Then positive tests: every dtype round-trips bit for bit, keys that
``np.savez(**state)`` would take as its own keywords, old plain-``np.savez``
files, and file modes under the umask.
"""
from __future__ import annotations

import errno
import io
import json
import os
import struct
import subprocess
import sys
import textwrap
import zipfile
from unittest import mock

import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest

import brainobj as bp
import brainobj.math as bm
from _helpers import assert_refused, assert_same_state


class Holder(bp.BrainPyObject):
    def __init__(self):
        self.vec = bm.Variable(jnp.asarray([1.5, 2.5, 3.5]))
        self.half = bm.Variable(jnp.asarray([0.5, -2.0], jnp.bfloat16))   # stored as bits
        self.file = bm.Variable(jnp.asarray(7, jnp.int32))   # a keyword of np.savez
        self.lin = bp.Linear(3, 2)


# -- broken files, written before each case ---------------------------------------------------

def _zip(path, members: dict) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _npy(value) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(value), allow_pickle=True)
    return buffer.getvalue()


def _npy_declaring(shape, data: bytes) -> bytes:
    """A float32 ``.npy`` member whose header declares ``shape``, followed by ``data``."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": "<f4", "fortran_order": False, "shape": shape})
    return buffer.getvalue() + data


def _write_bad_files(directory: str, holder: Holder) -> None:
    def at(name):
        return os.path.join(directory, name)

    def read(name):
        with open(at(name), "rb") as f:
            return f.read()

    good = read("ok.npz")
    with zipfile.ZipFile(at("ok.npz")) as archive:   # the good members, to break one at a time
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    raw = {
        "single.npy": _npy(np.zeros(3, np.float32)),
        "notes.txt": b"step 100: loss 0.25\n",
        "empty.npz": b"",
        "truncated.npz": good[: len(good) // 2],
    }
    # flip one byte of vec's data: the zip's CRC-32 no longer matches
    where = good.index(np.asarray(holder.vec.value).tobytes())
    raw["crc.npz"] = good[:where] + bytes([good[where] ^ 1]) + good[where + 1:]
    for name, data in raw.items():
        with open(at(name), "wb") as f:
            f.write(data)
    broken = {
        "huge.npz": {"vec.npy": _npy_declaring((10 ** 12,), bytes(16))},   # 4 TB declared
        "short.npz": {"vec.npy": _npy_declaring((3,), bytes(8))},
        "pickled.npz": {"vec.npy": _npy(np.array([None, 1, 2], dtype=object))},
        "extra_member.npz": {"README": b"hello"},
        "record_garbage.npz": {"brainobj-dtypes.json": b"{not json"},
        "record_list.npz": {"brainobj-dtypes.json": json.dumps({"bits": ["half"]})},
        "record_object.npz": {"brainobj-dtypes.json": json.dumps({"bits": {"half": "object"}})},
        "record_int_as_float.npz": {"brainobj-dtypes.json": json.dumps(
            {"bits": {"half": "bfloat16", "file": "float32"}})},
        "record_absent_key.npz": {"brainobj-dtypes.json": json.dumps(
            {"bits": {"half": "bfloat16", "nothing": "bfloat16"}})},
    }
    for name, replaced in broken.items():
        _zip(at(name), {**members, **replaced})
    # an entry whose zip headers claim 4 GB (its .npy header agreeing) but that holds 64 bytes
    lying = _npy_declaring((10 ** 9,), bytes(64))
    _zip(at("lying.npz"), {"vec.npy": lying})
    claimed = 4 * 10 ** 9 + len(lying) - 64
    data = bytearray(read("lying.npz"))
    for signature, offset in [(b"PK\x03\x04", 18), (b"PK\x01\x02", 20)]:   # local, central header
        struct.pack_into("<II", data, data.index(signature) + offset, claimed, claimed)
    with open(at("lying.npz"), "wb") as f:
        f.write(data)
    wide = Holder()
    wide.vec = bm.Variable(jnp.zeros(4))
    bp.save(at("wide.npz"), wide)
    with open(at("a_file"), "wb") as f:
        f.write(b"x")
    os.mkdir(at("a_directory.npz"))


# -- acts ---------------------------------------------------------------------------------------

def _save_to(name):
    def act(h, directory):
        bp.save(os.path.join(directory, name), h)
    return act


def _load_from(name):
    def act(h, directory):
        bp.load(os.path.join(directory, name), h)
    return act


def _save_failing(target, error):
    """Save over ``ok.npz`` while ``target`` (a dotted name) raises ``error``."""
    def act(h, directory):
        with mock.patch(target, side_effect=error):
            bp.save(os.path.join(directory, "ok.npz"), h)
    return act


def _save_in_jit(h, directory):
    bm.jit(lambda h: bp.save(os.path.join(directory, "inside.npz"), h))(h)


def _load_in_jit(h, directory):
    path = os.path.join(directory, "ok.npz")
    bm.jit(lambda h: bp.load(path, h))(h)


def _save_nul_key(h, directory):
    other = bp.BrainPyObject()
    setattr(other, "a\0b", bm.Variable(jnp.zeros(2)))
    bp.save(os.path.join(directory, "ok.npz"), other)


def _target(name, rest):
    """A pattern: the message names ``name`` as bp.save's target and no temporary file."""
    return rf"^(?!.*\.tmp-).*bp\.save\('[^']*{name}'\): {rest}"


def _unreadable(name, rest):
    return rf"bp\.load\('[^']*{name}'.*\): not a readable brainobj checkpoint: {rest}"


CASES = [
    # -- inside a transform ---------------------------------------------------------------------
    ("save inside jit", _save_in_jit, bp.MathError, r"bp\.save\(.*inside\.npz'\): cannot .* inside"),
    ("load inside jit", _load_in_jit, bp.MathError, r"bp\.load\(.*ok\.npz'\): cannot .* inside"),
    # -- saving: where it cannot be written -----------------------------------------------------
    ("save into a missing directory", _save_to("missing/x.npz"), FileNotFoundError,
     _target(r"missing/x\.npz", r"cannot create a file in '[^']*missing': No such file")),
    ("save onto a directory", _save_to("a_directory.npz"), IsADirectoryError,
     _target(r"a_directory\.npz", "is a directory; expected a file path")),
    ("save below a file", _save_to("a_file/x.npz"), NotADirectoryError,
     _target(r"a_file/x\.npz", r"cannot create a file in '[^']*a_file': Not a directory")),
    ("save into a read-only directory",
     _save_failing("os.open", PermissionError(errno.EACCES, "Permission denied", "/d/.tmp-1.npz")),
     PermissionError, _target(r"ok\.npz", "cannot create a file in .*Permission denied")),
    ("save, disk full while writing",
     _save_failing("numpy.lib.format.write_array", OSError(errno.ENOSPC, "No space left on device")),
     OSError, _target(r"ok\.npz", "No space left on device")),
    ("save, rename fails",
     _save_failing("os.replace", OSError(errno.EBUSY, "Device busy", "/d/.tmp-1.npz", "/d/ok.npz")),
     OSError, _target(r"ok\.npz", "Device busy")),
    ("save interrupted", _save_failing("numpy.lib.format.write_array", KeyboardInterrupt("power cut")),
     KeyboardInterrupt, "power cut"),
    ("save a key holding NUL", _save_nul_key, bp.MathError, r"key 'a\\x00b' contains a NUL"),
    # -- loading: not a checkpoint ------------------------------------------------------------
    ("load a missing file", _load_from("absent.npz"), FileNotFoundError,
     r"bp\.load\('[^']*absent\.npz'\): No such file"),
    ("load below a file", _load_from("a_file/x.npz"), NotADirectoryError,
     r"bp\.load\('[^']*a_file/x\.npz'\): Not a directory"),
    ("load a directory", _load_from("a_directory.npz"), bp.MathError,
     r"bp\.load\('[^']*a_directory\.npz'\): is a directory; expected a checkpoint file"),
    ("load a single .npy", _load_from("single.npy"), bp.MathError,
     _unreadable(r"single\.npy", r"it is a single \.npy array; expected a \.npz archive")),
    ("load a text file", _load_from("notes.txt"), bp.MathError,
     _unreadable(r"notes\.txt", r"expected a \.npz \(zip\) archive")),
    ("load an empty file", _load_from("empty.npz"), bp.MathError,
     _unreadable(r"empty\.npz", r"expected a \.npz \(zip\) archive")),
    ("load a truncated file", _load_from("truncated.npz"), bp.MathError,
     _unreadable(r"truncated\.npz", r"expected a \.npz \(zip\) archive")),
    # -- loading: a broken member ---------------------------------------------------------------
    ("load a huge declared shape", _load_from("huge.npz"), bp.MathError,
     _unreadable(r"huge\.npz', key 'vec", r"its header declares float32\[1000000000000\] "
                 r"\(4000000000000 bytes\) but it holds 16 bytes")),
    ("load data shorter than its header", _load_from("short.npz"), bp.MathError,
     _unreadable(r"short\.npz', key 'vec", r"its header declares float32\[3\] \(12 bytes\) "
                 "but it holds 8 bytes")),
    ("load pickled objects", _load_from("pickled.npz"), bp.MathError,
     _unreadable(r"pickled\.npz', key 'vec", "it holds Python objects")),
    ("load a zip entry lying about its size", _load_from("lying.npz"), bp.MathError,
     _unreadable(r"lying\.npz', key 'vec", r"it ends before its stated size")),
    ("load a bad CRC", _load_from("crc.npz"), bp.MathError,
     _unreadable(r"crc\.npz', key 'vec", "BadZipFile: Bad CRC-32")),
    ("load a member that is no array", _load_from("extra_member.npz"), bp.MathError,
     _unreadable(r"extra_member\.npz', member 'README", r"an unexpected member, not a \.npy array")),
    # -- loading: a broken dtype record ---------------------------------------------------------
    ("load a record that is no JSON", _load_from("record_garbage.npz"), bp.MathError,
     _unreadable(r"record_garbage\.npz', member 'brainobj-dtypes\.json", "JSONDecodeError: Expecting")),
    ("load a record that is no table", _load_from("record_list.npz"), bp.MathError,
     _unreadable(r"record_list\.npz', member 'brainobj-dtypes\.json", "it holds no")),
    ("load a record naming object", _load_from("record_object.npz"), bp.MathError,
     _unreadable(r"record_object\.npz', key 'half", "brainobj-dtypes.json lists dtype 'object'")),
    ("load a record reinterpreting an int", _load_from("record_int_as_float.npz"), bp.MathError,
     _unreadable(r"record_int_as_float\.npz', key 'file",
                 "brainobj-dtypes.json lists dtype 'float32', which does not fit the stored int32")),
    ("load a record naming an absent key", _load_from("record_absent_key.npz"), bp.MathError,
     _unreadable(r"record_absent_key\.npz', key 'nothing",
                 "brainobj-dtypes.json lists dtype 'bfloat16', which does not fit the stored nothing")),
    # -- loading: another model ----------------------------------------------------------------
    ("load a wider model", _load_from("wide.npz"), bp.MathError,
     r"mis-shaped \[vec: expected float32\[3\], got float32\[4\]\]"),
]


@pytest.mark.parametrize("name, act, error, pattern", CASES, ids=[c[0] for c in CASES])
def test_bad_checkpoint_input_is_refused_and_changes_nothing(name, act, error, pattern, tmp_path):
    holder = Holder()
    bp.save(tmp_path / "ok.npz", holder)
    _write_bad_files(str(tmp_path), holder)
    holder.vec.value = jnp.asarray([-1.0, -2.0, -3.0])   # differs from every file: loads would show
    assert_refused(lambda: act(holder, str(tmp_path)), error, pattern, [holder], tmp_path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs POSIX permissions, which root ignores")
def test_save_into_a_really_read_only_directory(tmp_path):
    holder = Holder()
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        assert_refused(lambda: bp.save(folder / "x.npz", holder), PermissionError,
                       _target(r"ro/x\.npz", "cannot create a file in .*Permission denied"),
                       [holder], tmp_path)
    finally:
        folder.chmod(0o755)


# -- positive: every dtype, bit for bit ------------------------------------------------------

def _bits(dtype, shape=(16,), seed=0, special=True):
    """Random bit patterns as ``dtype`` (NaNs with payloads, infinities, subnormals,
    -0.0 among them), with ``special``, for floats, five more values appended."""
    dtype = np.dtype(dtype)
    rng = np.random.default_rng(seed)
    if dtype == np.bool_:
        return rng.integers(0, 2, shape).astype(bool)
    words = rng.integers(0, 256, (*shape, dtype.itemsize), dtype=np.uint8)
    values = words.view(dtype).reshape(shape)
    if special and jnp.issubdtype(dtype, jnp.floating):
        width = np.dtype(f"u{dtype.itemsize}")
        top = 1 << (8 * dtype.itemsize - 1)
        special = np.array([top, top - 1, top | 1, top + 5, 1], width)   # -0, NaNs, subnormal
        values = np.concatenate([values.reshape(-1), special.view(dtype)])
    return values


DTYPES = [np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32,
          np.float16, jnp.bfloat16, np.float32, np.complex64,
          ml_dtypes.float8_e4m3fn, ml_dtypes.float8_e5m2]


def _as_bits(a):
    a = np.asarray(a)
    return a.view(np.uint8) if a.dtype != np.bool_ else a


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_every_dtype_round_trips_bit_for_bit(dtype, tmp_path):
    saved = _bits(dtype)
    obj = bp.BrainPyObject()
    obj.x = bm.Variable(jnp.asarray(saved))
    obj.m = bm.Variable(jnp.asarray(_bits(dtype, (2, 3), seed=1, special=False)))
    before = {k: np.asarray(v.value).copy() for k, v in obj.vars(method="relative").items()}
    bp.save(tmp_path / "c.npz", obj)
    fresh = bp.BrainPyObject()
    fresh.x = bm.Variable(jnp.zeros_like(saved))
    fresh.m = bm.Variable(jnp.zeros((2, 3), dtype))
    assert bp.load(tmp_path / "c.npz", fresh) == ([], [], [])
    for key, value in before.items():
        got = np.asarray(getattr(fresh, key).value)
        assert got.dtype == value.dtype and got.shape == value.shape, key
        np.testing.assert_array_equal(_as_bits(got), _as_bits(value), err_msg=key)
    # and plain numpy reads it without pickle: the same bits, as an unsigned int if need be
    with np.load(tmp_path / "c.npz", allow_pickle=False) as data:
        stored = data["x"]
    assert stored.dtype.kind in "biufc" and stored.dtype.itemsize == before["x"].dtype.itemsize
    np.testing.assert_array_equal(_as_bits(stored), _as_bits(before["x"]))


def test_64_bit_dtypes_round_trip_with_x64(tmp_path):
    code = textwrap.dedent(f"""
        import jax
        jax.config.update("jax_enable_x64", True)
        import numpy as np, jax.numpy as jnp, brainobj as bp, brainobj.math as bm
        rng = np.random.default_rng(0)
        obj, fresh = bp.BrainPyObject(), bp.BrainPyObject()
        for dtype in (np.float64, np.int64, np.uint64, np.complex128):
            value = rng.integers(0, 256, (6, np.dtype(dtype).itemsize), dtype=np.uint8)
            value = value.view(dtype).reshape(6)
            setattr(obj, np.dtype(dtype).name, bm.Variable(jnp.asarray(value)))
            setattr(fresh, np.dtype(dtype).name, bm.Variable(jnp.zeros(6, dtype)))
        bp.save({str(tmp_path / 'x64.npz')!r}, obj)
        bp.load({str(tmp_path / 'x64.npz')!r}, fresh)
        for key, var in obj.vars(method="relative").items():
            a, b = np.asarray(var.value), np.asarray(getattr(fresh, key).value)
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), key
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


# -- positive: odd keys ---------------------------------------------------------------------

ODD_NAMES = ["file", "allow_pickle", "fix_imports", "args", "kwds", "allow_zip64", "compress",
             "brainobj-dtypes.json", "x.npy", "a/b", "/leading", "..", "a\\b", "é λ", " "]


def test_odd_key_names_save_and_load(tmp_path):
    def build(fill):
        obj = bp.BrainPyObject()
        for i, name in enumerate(ODD_NAMES):
            setattr(obj, name, bm.Variable(jnp.full((2,), fill + i, jnp.float32)))
        obj.table = {"a/b": bm.Variable(jnp.full((), fill, jnp.bfloat16)),
                     "": bm.Variable(jnp.full((), fill, jnp.int8))}
        return obj

    def written(name):  # the documented naming rule: '%' and '.' escaped, '' as '%'
        return name.replace("%", "%25").replace(".", "%2E") or "%"

    saved, fresh = build(1.0), build(0.0)
    assert {written(n) for n in ODD_NAMES} | {"table.a/b", "table.%"} == set(saved.state_dict())
    bp.save(tmp_path / "odd.npz", saved)
    assert bp.load(tmp_path / "odd.npz", fresh) == ([], [], [])
    assert_same_state(fresh, saved)


# -- positive: old checkpoints ----------------------------------------------------------------

def test_files_written_by_plain_np_savez_still_load(tmp_path):
    saved = bp.Sequential(bp.Linear(3, 4), bm.relu, bp.Linear(4, 2))
    saved.count = bm.Variable(jnp.asarray(9, jnp.int32))
    saved.mask = bm.Variable(jnp.asarray([True, False]))
    saved.h = bm.Variable(jnp.asarray([0.25, -1.5], jnp.float16))
    np.savez(tmp_path / "old.npz", **saved.state_dict())   # the format before the dtype record
    fresh = bp.Sequential(bp.Linear(3, 4), bm.relu, bp.Linear(4, 2))
    fresh.count = bm.Variable(jnp.asarray(0, jnp.int32))
    fresh.mask = bm.Variable(jnp.asarray([False, False]))
    fresh.h = bm.Variable(jnp.zeros(2, jnp.float16))
    assert bp.load(tmp_path / "old.npz", fresh) == ([], [], [])
    assert_same_state(fresh, saved)


# -- positive: file mode ---------------------------------------------------------------------

@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_file_mode_follows_the_umask(umask, tmp_path):
    path = tmp_path / "net.npz"
    old = os.umask(umask)
    try:
        bp.save(path, Holder())
        first = path.stat().st_mode & 0o777
        bp.save(path, Holder())   # replacing an existing file too
        second = path.stat().st_mode & 0o777
    finally:
        os.umask(old)
    assert first == second == 0o666 & ~umask
    assert os.listdir(tmp_path) == ["net.npz"]
