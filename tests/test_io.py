import os
import time

import pytest

from harness.io import atomic_path, atomic_write_json, sha256_file, stable_hash


def test_stable_hash_ignores_key_order_but_not_values():
    assert stable_hash({"a": 1, "b": [1, 2]}) == stable_hash({"b": [1, 2], "a": 1})
    assert stable_hash({"a": 1}) != stable_hash({"a": 2})


def test_atomic_write_leaves_old_content_on_failure(tmp_path):
    dest = tmp_path / "out.json"
    atomic_write_json(dest, {"v": 1})
    with pytest.raises(RuntimeError):
        with atomic_path(dest) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert dest.read_text().strip().startswith("{") and '"v": 1' in dest.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no temporary left behind


def test_atomic_path_replaces_folders(tmp_path):
    dest = tmp_path / "d"
    for v in ("1", "2"):
        with atomic_path(dest) as tmp:
            tmp.mkdir()
            (tmp / "f").write_text(v)
    assert (dest / "f").read_text() == "2"


def test_sha256_sees_a_modified_file(tmp_path):
    f = tmp_path / "x"
    f.write_text("one")
    first = sha256_file(f)
    time.sleep(0.01)
    f.write_text("two")
    os.utime(f, ns=(time.time_ns(), time.time_ns()))
    assert sha256_file(f) != first
