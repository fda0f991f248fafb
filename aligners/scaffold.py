"""``alignboard aligners new``: write a minimal, working aligner plugin package."""

from __future__ import annotations

import re
from pathlib import Path

from harness.errors import AlignboardError
from harness.io import atomic_path

_PYPROJECT = '''[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "alignboard-{name}"
version = "0.1.0"
description = "{name}: an alignboard aligner"
dependencies = ["alignboard"]

[project.entry-points."alignboard.aligners"]
{name} = "alignboard_{name}:{cls}"
'''

_MODULE = '''"""{name}: an alignboard aligner plugin.

Start from this SFT-shaped skeleton: change what ``build_data`` builds and how
``train`` trains. ``ctx`` hands you the pools (``ctx.harmful()``, ``ctx.benign()``),
the cached generation function (``ctx.generate``), the seed and the shared budget.
"""

from pydantic import Field

from aligners import training
from aligners.api import Aligner
from aligners.responses import benign_answers, chat, harmless_responses


class {cls}(Aligner):
    """Fine-tunes on harmless answers to harmful instructions (edit me)."""

    description = "{name}: SFT on harmless answers (plugin skeleton)"

    class Config(Aligner.Config):
        benign: bool = Field(True, description="also train on answers to benign instructions")

    def build_data(self, ctx):
        rows = [chat(r.prompt, y) for r, y in harmless_responses(ctx, ctx.harmful())]
        if self.config.benign:
            rows += [chat(r.prompt, y) for r, y in benign_answers(ctx, ctx.benign())]
        return {{"sft": rows}}

    def train(self, ctx, data, out):
        model, result = training.sft(ctx, data["sft"])
        training.save_adapter(model, out)
        return result
'''

_README = '''# alignboard-{name}

An aligner plugin for alignboard. Install it next to alignboard and it is listed and ranked:

    pip install -e .
    alignboard aligners list
    alignboard aligners train {name} --max-steps 2
'''


def write_plugin(name: str, directory: str | Path) -> Path:
    """Write package ``alignboard-<name>`` into ``directory``; return its folder."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise AlignboardError(f"aligner name {name!r} must be lowercase letters, digits and _ (starting with a letter)")
    dest = Path(directory) / f"alignboard-{name}"
    if dest.exists():
        raise AlignboardError(f"{dest} already exists; choose another --dir or remove it")
    cls = "".join(p.capitalize() for p in name.split("_")) or "Plugin"
    with atomic_path(dest) as tmp:
        (tmp / f"alignboard_{name}").mkdir(parents=True)
        (tmp / "pyproject.toml").write_text(_PYPROJECT.format(name=name, cls=cls))
        (tmp / f"alignboard_{name}" / "__init__.py").write_text(_MODULE.format(name=name, cls=cls))
        (tmp / "README.md").write_text(_README.format(name=name))
    return dest
